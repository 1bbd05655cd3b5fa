import subprocess
import sys
from pathlib import Path

import langcodes
import pytest

from tours.i18n import COMMON_TAGS, LocalizedText, base_language, is_valid_tag, normalize_tag

TEXT = LocalizedText({"es": "Hola", "eu": "Kaixo", "pt-BR": "Olá", "ar": "مرحبا"})


@pytest.mark.parametrize(
    ("requested", "default", "text", "language", "fallback"),
    [
        ("eu", "es", "Kaixo", "eu", False),  # exact tag
        ("EU", "es", "Kaixo", "eu", False),  # tags compare case-insensitively
        ("pt-BR", "es", "Olá", "pt-BR", False),
        ("pt-PT", "es", "Olá", "pt-BR", False),  # same base language beats the default
        ("pt", "es", "Olá", "pt-BR", False),
        ("es-MX", "eu", "Hola", "es", False),  # base language of the request
        ("fr", "eu", "Kaixo", "eu", True),  # the tour's default language
        ("fr", None, "Hola", "es", True),  # any: the first the map lists
        ("fr", "de", "Hola", "es", True),  # default missing too: any
        # The visitor's other languages, in their order, before the tour's default.
        ("de", ("ar", "es"), "مرحبا", "ar", True),
        ("de", ("fr", "eu", "es"), "Kaixo", "eu", True),  # a language it lacks is skipped
        ("de", ("pt", "es"), "Olá", "pt-BR", True),  # same base language, as for the request
        ("de", ("eu-ES", "es"), "Kaixo", "eu", True),
        ("de", ("fr", "it"), "Hola", "es", True),  # none of them: any
        ("eu", ("ar", "es"), "Kaixo", "eu", False),  # the request itself still comes first
    ],
)
def test_fallback_chain(requested, default, text, language, fallback):
    resolved = TEXT.resolve(requested, default)
    assert resolved is not None
    assert (resolved.text, resolved.language, resolved.is_fallback) == (text, language, fallback)
    assert resolved.requested == requested


def test_empty_text_resolves_to_nothing():
    assert LocalizedText().resolve("es", "es") is None
    assert LocalizedText().get_text("es") == ""


def test_localized_text_is_an_immutable_mapping():
    source = {"es": "Hola"}
    text = LocalizedText(source)
    source["es"] = "changed"
    assert text["es"] == "Hola"
    assert text == {"es": "Hola"}
    assert text.languages == ["es"]
    assert text.to_json() == {"es": "Hola"}
    assert hash(text) == hash(LocalizedText({"es": "Hola"}))


@pytest.mark.parametrize("tag", ["es", "eu", "en", "fr", "ar", "pt-BR", "zh-Hant", "sr-Latn-RS"])
def test_valid_tags(tag):
    assert is_valid_tag(tag)


@pytest.mark.parametrize("tag", ["", "english", "e", "es_ES", "x", 12, None, "es-"])
def test_invalid_tags(tag):
    assert not is_valid_tag(tag)


def test_normalize_tag():
    assert normalize_tag("pt-br") == "pt-BR"
    assert normalize_tag("ZH-hant") == "zh-Hant"
    assert base_language("pt-BR") == "pt"
    with pytest.raises(ValueError, match="not a valid BCP 47"):
        normalize_tag("es_ES")


@pytest.mark.parametrize("tag", sorted(COMMON_TAGS))
def test_common_tags_are_what_langcodes_says(tag):
    """The fast path may never disagree with langcodes: each common tag is valid and
    already canonical, so answering it without langcodes changes no answer."""
    assert langcodes.tag_is_valid(tag)
    assert langcodes.standardize_tag(tag, macro=False) == tag
    assert is_valid_tag(tag) and normalize_tag(tag) == tag


def test_interface_languages_are_common_tags():
    translations = Path(__file__).resolve().parents[2] / "webapp" / "translations"
    interface = {p.name for p in translations.iterdir() if (p / "LC_MESSAGES").is_dir()}
    assert len(interface) == 9 and interface <= COMMON_TAGS


def test_common_tags_need_no_langcodes_and_others_still_ask_it():
    code = (
        "import sys\nfrom tours.i18n import is_valid_tag, normalize_tag\n"
        "assert is_valid_tag('eu') and normalize_tag('pt-BR') == 'pt-BR'\n"
        "assert not is_valid_tag('es_ES') and not is_valid_tag(None)\n"
        "print('langcodes' in sys.modules)\n"
        "assert normalize_tag('sr-latn-rs') == 'sr-Latn-RS' and not is_valid_tag('qq-ZZZ')\n"
        "print('langcodes' in sys.modules)"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.stdout.split() == ["False", "True"], result.stderr
