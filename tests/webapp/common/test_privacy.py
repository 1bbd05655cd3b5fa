"""Log redaction on long adversarial lines: the same result as before, in linear time.

Each expression used to be tried from every character of a long run and scanned to the
run's end from each: a 1 MB line without an "@", or of "(1/" repeated, kept a worker
busy for hours.  These check the results on such lines (the suite's time shows the rest).
"""

from __future__ import annotations

import smtplib

from webapp.common.privacy import redact
from webapp.mail.worker import _describe

MEGABYTE = 1_000_000


def test_a_long_run_without_an_at_sign_is_left_alone_and_a_later_address_blanked():
    run = "a" * MEGABYTE
    assert redact(run) == run
    assert redact(f"{run} ana@correo.es") == f"{run} <email>"
    assert redact("b" * MEGABYTE + "@correo.es") == "<email>"
    many = "a@" * (MEGABYTE // 2)
    assert redact(many) == many  # no domain with a dot: nothing that looks like an address


def test_a_long_run_of_phone_characters_that_is_no_phone_is_left_alone():
    brackets = "(1/" * (MEGABYTE // 3)  # every digit followed by "/": no phone ends here
    assert redact(brackets) == brackets
    assert redact(f"{brackets} +34 600 123 456") == f"{brackets} <phone>"
    spaced = "1 " * (MEGABYTE // 2) + "a"
    assert redact(spaced) == "<phone> a"
    assert redact("2027-03-06 11:00, tel. +34 (600) 123-456.") == "2027-03-06 11:00, tel. <phone>."


def test_a_long_smtp_answer_blanks_the_address_in_it():
    run = "x" * MEGABYTE
    refused = smtplib.SMTPRecipientsRefused(
        {"ana@correo.es": (550, f"{run} ana@correo.es".encode())}
    )
    assert _describe(refused) == f"recipient refused: 550 {run} <address>"
