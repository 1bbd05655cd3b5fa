"""The licence check's shortcut for common licences never disagrees with license-expression."""

from __future__ import annotations

import pytest

from tours.content.checking import licences
from tours.content.checking.licences import COMMON_LICENCES, is_spdx, licence_problem


@pytest.mark.parametrize("key", sorted(COMMON_LICENCES))
def test_each_common_licence_is_one_license_expression_knows(key):
    assert key in licences._single_keys()  # its index, read as `is_spdx` would
    info = licences._licensing().validate(key, strict=False)  # and its full parser
    assert not info.errors and not info.invalid_symbols
    assert is_spdx(key) and is_spdx(key.upper())


def test_a_common_licence_needs_no_index(monkeypatch):
    def unread() -> frozenset[str]:
        raise AssertionError("the index was read")

    monkeypatch.setattr(licences, "_single_keys", unread)
    assert licence_problem("CC-BY-SA-4.0", "/features/0/properties/licence") is None
    assert is_spdx("odbl-1.0")


def test_other_licences_still_ask_license_expression():
    assert is_spdx("GPL-2.0-or-later") and is_spdx("CC-BY-4.0 OR MIT")
    assert not is_spdx("CC-BY-SA-5.0")
    problem = licence_problem("Creative Commons BY-SA 4", "/x")
    assert problem is not None and problem.code == "profile.licence-not-spdx"
