"""A guide's languages are chosen from lists, a row each (issue #24): a language and its
level; an error stays beside its row, in the coordinator's language."""

from __future__ import annotations

import re

import pytest

from guides.models import LEVELS, GuideRecord
from tests.webapp.console.support import ADMIN, SLUG, build_world, log_in
from webapp.common.database import get_db


def rows(data: dict[str, str], *languages: tuple[str, str]) -> dict[str, str]:
    """The form's fields with ``languages`` chosen in the first rows, the rest empty."""
    filled = dict(data)
    for index in range(6):
        tag, level = languages[index] if index < len(languages) else ("", "fluent")
        filled[f"languages-{index}-tag"] = tag
        filled[f"languages-{index}-level"] = level
    return filled


def select(page: str, name: str) -> str:
    return re.search(rf'<select[^>]*name="{name}"[^>]*>(.*?)</select>', page, re.S)[1]


def selected(page: str, name: str) -> str | None:
    found = re.search(r'<option selected value="([^"]*)"', select(page, name)) or re.search(
        r'<option value="([^"]*)" selected', select(page, name)
    )
    return found[1] if found else None


def stored_languages(app, guide_id: str):
    with get_db(app).transaction() as db_session:
        record = db_session.get(GuideRecord, guide_id)
        return None if record is None else list(record.languages)


@pytest.fixture
def coordinator(app, client):
    build_world(app)
    log_in(client, ADMIN)
    return client


def test_the_new_guide_form_offers_languages_and_levels_from_lists(coordinator):
    page = coordinator.get("/console/admin/guides").get_data(as_text=True)
    assert 'name="languages"' not in page and "es:native" not in page
    for index in range(6):
        languages = select(page, f"languages-{index}-tag")
        values = re.findall(r'<option[^>]*value="([^"]*)"', languages)
        # The world's languages, the guides' among them, named in the interface language.
        assert values[0] == "" and {"wo", "qu", "ro", "zh", "ar", "ary", "eu"} <= set(values)
        assert len(values) > 250
        assert ">Wolof (wo)<" in languages and ">Quechua (qu)<" in languages
        levels = re.findall(
            r'<option[^>]*value="([^"]*)"', select(page, f"languages-{index}-level")
        )
        assert levels == list(LEVELS)
        assert f'<label for="languages-{index}-tag">Language {index + 1}</label>' in page


def test_a_guide_is_created_with_languages_chosen_from_the_lists(app, coordinator):
    new = rows(
        {"guide_id": "nadia", "display_name": "Nadia", "tours": SLUG},
        ("wo", "native"),
        ("", "native"),  # an empty row: its level is not a language
        ("fr", "conversational"),
    )
    created = coordinator.post("/console/admin/guides", data=new)
    assert created.status_code == 302
    assert stored_languages(app, "nadia") == [
        {"tag": "wo", "level": "native"},
        {"tag": "fr", "level": "conversational"},
    ]
    listing = coordinator.get("/console/admin/guides").get_data(as_text=True)
    assert "Wolof (native), French (conversational)" in listing


def test_editing_keeps_what_the_profile_has_and_saves_the_rows(app, coordinator):
    page = coordinator.get("/console/admin/guides/youssef").get_data(as_text=True)
    before = stored_languages(app, "youssef")
    for index, language in enumerate(before):
        assert selected(page, f"languages-{index}-tag") == language["tag"]
        assert selected(page, f"languages-{index}-level") == language["level"]
    assert selected(page, f"languages-{len(before)}-tag") in (None, "")
    kept = [(item["tag"], item["level"]) for item in before]
    edit = rows({"display_name": "Youssef", "tours": SLUG}, *kept, ("qu", "conversational"))
    assert coordinator.post("/console/admin/guides/youssef", data=edit).status_code == 302
    assert stored_languages(app, "youssef") == [*before, {"tag": "qu", "level": "conversational"}]
    page = coordinator.get("/console/admin/guides/youssef").get_data(as_text=True)
    assert selected(page, f"languages-{len(before)}-tag") == "qu"


ROW_ERRORS = {
    # language: (a language chosen twice, none chosen, a tag not in the list)
    "en": (
        "This language is chosen in another row already.",
        "Choose at least one language the guide guides in.",
        "Choose a language from the list.",
    ),
    "es": (
        "Este idioma ya está elegido en otra fila.",
        "Elige al menos un idioma en el que guíe.",
        "Elige un idioma de la lista.",
    ),
}


@pytest.mark.parametrize("language", sorted(ROW_ERRORS))
def test_a_wrong_row_is_refused_with_its_error_beside_it(app, coordinator, language):
    twice, none, unknown = ROW_ERRORS[language]
    coordinator.environ_base["HTTP_ACCEPT_LANGUAGE"] = language
    base = {"guide_id": "nadia", "display_name": "Nadia", "bio_en": "Kept after a refusal."}
    sent = rows(base, ("es", "native"), ("ro", "fluent"), ("es", "fluent"))
    refused = coordinator.post("/console/admin/guides", data=sent)
    assert refused.status_code == 422
    page = refused.get_data(as_text=True)
    row = re.search(r'<div class="language-row has-error" id="languages-2">.*?</div>', page, re.S)
    assert row and twice in row[0] and 'role="alert"' in row[0]
    assert 'aria-describedby="languages-2-error"' in row[0]
    assert page.count('class="field-error"') == 1
    # What was chosen stays chosen, and the other fields keep their text.
    assert selected(page, "languages-1-tag") == "ro" and selected(page, "languages-2-tag") == "es"
    assert "Kept after a refusal." in page
    assert stored_languages(app, "nadia") is None

    page = coordinator.post("/console/admin/guides", data=rows(base)).get_data(as_text=True)
    assert re.search(rf'<p class="field-error" id="languages-error" role="alert">{none}</p>', page)

    made_up = rows(base, ("klingon", "native"))
    page = coordinator.post("/console/admin/guides", data=made_up).get_data(as_text=True)
    assert unknown in re.search(r'id="languages-0".*?</div>', page, re.S)[0]
    assert stored_languages(app, "nadia") is None


def test_removing_a_language_an_upcoming_walk_needs_is_said_beside_the_languages(app, coordinator):
    # Youssef leads the world's Spanish walk: without Spanish, the profile is refused.
    keep = [(i["tag"], i["level"]) for i in stored_languages(app, "youssef") if i["tag"] != "es"]
    edit = rows({"display_name": "Youssef", "tours": SLUG}, *keep)
    refused = coordinator.post("/console/admin/guides/youssef", data=edit)
    assert refused.status_code == 422
    error = re.search(r'<p class="field-error" id="languages-error"[^>]*>(.*?)</p>', refused.text)
    assert error and "give those walks another guide first" in error[1]
    assert "es" in [language["tag"] for language in stored_languages(app, "youssef")]
