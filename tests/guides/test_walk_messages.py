"""The rules of a message to a walk's group, as pure functions: what may be written and
which text each reader gets."""

from __future__ import annotations

import pytest

from guides import walk_messages as walk

SUBJECTS = {"es": "Llueve", "fr": "Il pleut", "pt-BR": "Chove"}
TEXTS = {"es": "Traed paraguas.", "fr": "Prenez un parapluie.", "pt-BR": "Tragam guarda-chuva."}


@pytest.mark.parametrize(
    ("reader", "language", "subject"),
    [
        ("fr", "fr", "Il pleut"),
        ("fr-CA", "fr", "Il pleut"),  # the base language's text
        ("pt", "pt-BR", "Chove"),  # a plain tag takes a regional text
        ("en", "es", "Llueve"),  # not written in English: the walk's language
        ("ar", "es", "Llueve"),
    ],
)
def test_each_reader_gets_the_best_text_for_their_language(reader, language, subject):
    letter = walk.letter(SUBJECTS, TEXTS, "es", reader)
    assert (letter.language, letter.subject) == (language, subject)
    assert letter.text == TEXTS[language]


def test_a_draft_keeps_the_walk_language_first_and_drops_empty_languages():
    draft = walk.check_draft(
        "es",
        {"fr": "Il pleut", "es": " Llueve ", "en": ""},
        {"fr": "Prenez un parapluie.\r\nÀ demain.", "es": "Traed paraguas.", "en": "  "},
    )
    assert list(draft.texts) == ["es", "fr"] and list(draft.subjects) == ["es", "fr"]
    assert draft.subjects["es"] == "Llueve"  # trimmed
    assert draft.texts["fr"] == "Prenez un parapluie.\nÀ demain."  # one kind of line end


@pytest.mark.parametrize(
    ("subjects", "texts", "reason", "field"),
    [
        ({"es": "a\nBcc: x@example.org"}, {"es": "t"}, walk.SUBJECT_BREAKS, "subject"),
        ({"es": "a\u2028b"}, {"es": "t"}, walk.SUBJECT_BREAKS, "subject"),
        ({"es": "a\x00"}, {"es": "t"}, walk.UNSTORABLE, "text"),
        ({"es": "s" * (walk.SUBJECT_MAX + 1)}, {"es": "t"}, walk.SUBJECT_LONG, "subject"),
        ({"es": "s"}, {"es": "t" * (walk.TEXT_MAX + 1)}, walk.TEXT_LONG, "text"),
        ({"fr": "Il pleut"}, {"fr": "Pluie"}, walk.SUBJECT_MISSING, "subject"),
        ({"es": "s", "fr": "Il pleut"}, {"es": "t"}, walk.HALF_WRITTEN, "text"),
        ({"es": "s", "no such": "x"}, {"es": "t", "no such": "y"}, walk.BAD_LANGUAGE, "language"),
    ],
)
def test_a_bad_draft_is_refused_with_its_reason(subjects, texts, reason, field):
    with pytest.raises(walk.MessageRejected) as refused:
        walk.check_draft("es", subjects, texts)
    assert (refused.value.reason, refused.value.field) == (reason, field)


def test_at_most_so_many_languages():
    tags = ["es", "eu", "en", "fr", "ar", "de", "it", "pl", "pt", "nl", "ca", "gl", "ro"]
    with pytest.raises(walk.MessageRejected) as refused:
        walk.check_draft("es", dict.fromkeys(tags, "s"), dict.fromkeys(tags, "t"))
    assert refused.value.reason == walk.TOO_MANY_LANGUAGES
