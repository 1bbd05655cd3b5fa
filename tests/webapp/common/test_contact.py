"""The email check that the API, the booking, group request and desk forms share: the
commonest addresses are taken without running the whole validator, and only where the
validator takes them unchanged; every other address gets the validator's answer."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from webapp.common.forms.contact import (
    _PLAIN_ADDRESS,
    checked_email,
    plain_address,
    validated_email,
)

CHECKS = settings(max_examples=300, deadline=None)

PLAIN = [
    "amaia@example.org",
    "b1-23@example.org",
    "Ane.Etxeberria+walks@correo.eus",
    "a_b@mail.sub.example.co.uk",
    "x@a1.example.museum",
    "info2@example.org",  # not an RFC 2142 name
    "u@" + "d" * 63 + ".org",
]

NOT_PLAIN = [
    "Ana@Example.org",  # the validator lower-cases the domain
    "ana@EXAMPLE.ORG",
    "postmaster@example.org",  # RFC 2142 names are lower-cased by the validator
    "Abuse@example.org",
    "ana@mail.local",  # special-use domains are refused
    "ana@x.arpa",
    "ana@host.invalid",
    "ana@site.test",
    "ana@foo.onion",
    "ana@a.localhost",
    "ana@xn--espaa-rta.es",  # IDNA: decoded and checked by the validator
    "ana@correo.españa.es",
    "ana@ab--cd.org",
    "ana--b@example.org",
    "ana@example",  # no top-level domain
    "ana@example.c0m",
    "ana@example.123",
    ".ana@example.org",
    "ana.@example.org",
    "a..na@example.org",
    "ana@-example.org",
    "ana@example-.org",
    "ana@" + "d" * 64 + ".org",  # a label too long
    "a" * 243 + "@example.org",  # 255 characters
    "ana@example.org.",
    "ana@@example.org",
    "ana example@example.org",
    "josé@example.org",
    '"ana"@example.org',
    "Ana <ana@example.org>",
    "ana@[127.0.0.1]",
    "ana!#$%&'*/=?^`{|}~@example.org",
    "",
    "@example.org",
    "ana@",
]


@pytest.mark.parametrize("address", PLAIN)
def test_plain_addresses_are_taken_as_the_validator_takes_them(address):
    assert plain_address(address)
    assert checked_email(address) == (address, None) == validated_email(address)


@pytest.mark.parametrize("address", NOT_PLAIN)
def test_other_addresses_get_the_validators_answer(address):
    assert not plain_address(address)
    assert checked_email(address) == validated_email(address)


def test_the_validator_refuses_or_changes_some_of_the_others():
    # So the cases above exercise both: refused, and normalised.
    answers = {address: validated_email(address) for address in NOT_PLAIN}
    assert answers["ana@mail.local"][0] is None and answers["ana@example"][0] is None
    assert answers["ana@EXAMPLE.ORG"] == ("ana@example.org", None)
    assert answers["Abuse@example.org"] == ("abuse@example.org", None)
    assert answers["ana@correo.españa.es"] == ("ana@correo.xn--espaa-rta.es", None)


@CHECKS
@given(st.from_regex(_PLAIN_ADDRESS, fullmatch=True))
def test_every_address_of_the_plain_shape_is_one_the_validator_keeps(address):
    if plain_address(address):
        assert validated_email(address) == (address, None)


LABEL = st.from_regex(r"[a-zA-Z0-9-]{1,8}", fullmatch=True) | st.sampled_from(
    ["local", "arpa", "invalid", "test", "onion", "localhost", "xn--espaa-rta", "org", "x" * 63]
)
LOCAL = st.from_regex(r"[A-Za-z0-9._+!#-]{1,12}", fullmatch=True) | st.sampled_from(
    ["postmaster", "ABUSE", "www", "a" * 70]
)
NEAR_MISSES = st.builds(
    lambda local, labels: f"{local}@{'.'.join(labels)}",
    LOCAL,
    st.lists(LABEL, min_size=1, max_size=4),
)


@CHECKS
@given(NEAR_MISSES)
def test_near_misses_are_plain_only_where_the_validator_keeps_them(address):
    if plain_address(address):
        assert validated_email(address) == (address, None)
    else:
        assert checked_email(address) == validated_email(address)
