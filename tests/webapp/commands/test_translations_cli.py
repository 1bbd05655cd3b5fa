"""``bidean translations report|export|import`` and ``bidean fork`` through the CLI, on
both backends: what is stored, and that a refused file stores nothing."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

from guides.audit import recent
from tests.tours.content.translation.test_translations import HOSTILE
from tests.tours.tourdoc import encode, tour
from tours.content.translation.translation_csv import protect
from tours.text import breaks_lines
from tours.tour.store import newest_version, tour_listings
from webapp.common.database import get_db

SLUG = "san-francisco-voices"
SCRIPT = "Unique-script-c41e: wait for everyone at the fountain"


def import_tour(runner, tmp_path: Path, **changes) -> None:
    doc = tour(**changes)
    doc["features"][1]["properties"]["script"] = {"es": SCRIPT}
    path = tmp_path / "tour.geojson"
    path.write_bytes(encode(doc))
    result = runner.invoke(args=["import", str(path)])
    assert result.exit_code == 0, result.output


def stored(app, slug: str = SLUG):
    with get_db(app).transaction() as db_session:
        row = newest_version(db_session, slug)
        return row.version, row.document, row.tour.status


def stop_props(document, stop_id):
    features = document["features"]
    return next(f["properties"] for f in features if f["properties"].get("id") == stop_id)


def rows_of(path: Path) -> list[list[str]]:
    return list(csv.reader(io.StringIO(path.read_text(encoding="utf-8-sig"), newline="")))


def translate(path: Path, values: dict[tuple[str, str], str], out: Path) -> Path:
    """A translator's spreadsheet: the exported file with the text column filled in."""
    rows = list(csv.reader(io.StringIO(path.read_text(encoding="utf-8-sig"), newline="")))
    for row in rows[1:]:
        if (row[2], row[3]) in values:
            row[7] = protect(values[(row[2], row[3])])
    with out.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows(rows)
    return out


def test_report_lists_missing_texts_per_language_and_field(runner, tmp_path):
    import_tour(runner, tmp_path)
    result = runner.invoke(args=["translations", "report", SLUG, "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["fields"] == ["name", "story", "script"] and report["version"] == 1
    es, eu, _en = report["languages"]
    assert es["language"] == "es" and es["fields"]["script"]["missing"] == ["cortes"]
    assert es["fields"]["script"]["percent"] == 50.0 and es["fields"]["name"]["percent"] == 100.0
    assert eu["missing_by_stop"] == {"plaza": ["script"], "cortes": ["script"]}
    assert round(eu["percent"], 1) == 66.7
    text = runner.invoke(args=["translations", "report", SLUG]).output
    assert "eu: 66.7% (name 100%, story 100%, script 0%)" in text
    assert "  cortes: no script" in text
    missing = runner.invoke(args=["translations", "report", "nope"])
    assert missing.exit_code == 1 and "No tour 'nope'" in missing.output


def test_round_trip_with_hostile_text_stores_a_new_published_version(app, runner, tmp_path):
    import_tour(runner, tmp_path)
    exported = tmp_path / "pl.csv"
    result = runner.invoke(
        args=["translations", "export", SLUG, "--language", "pl", "-o", str(exported)]
    )
    assert result.exit_code == 0, result.output
    assert "script" not in {row[3] for row in rows_of(exported)}
    story = "\n\n".join(HOSTILE)
    name = " ".join(t for t in HOSTILE if not breaks_lines(t))[:200].strip()
    filled = translate(
        exported,
        {("plaza", "story"): story, ("plaza", "name"): name, ("cortes", "name"): "=1+1"},
        tmp_path / "pl-done.csv",
    )
    result = runner.invoke(args=["translations", "import", SLUG, str(filled)])
    assert result.exit_code == 0, result.output
    assert f"stored {SLUG} version 2: 3 pl texts changed" in result.output
    version, document, status = stored(app)
    assert (version, status) == (2, "published")
    plaza = stop_props(document, "plaza")
    assert plaza["story"]["pl"] == story and plaza["name"]["pl"] == name
    assert stop_props(document, "cortes")["name"]["pl"] == "=1+1"
    assert plaza["script"] == {"es": SCRIPT}  # the private script is kept in storage
    assert document["features"][0]["properties"]["languages"] == ["es", "eu", "en", "pl"]
    # Exported again, the file gives back exactly the stored texts; importing it changes nothing.
    again = tmp_path / "pl-again.csv"
    runner.invoke(args=["translations", "export", SLUG, "-l", "pl", "-o", str(again)])
    assert "'=1+1" in again.read_text(encoding="utf-8-sig")
    result = runner.invoke(args=["translations", "import", SLUG, str(again)])
    assert result.exit_code == 0 and "no text changed" in result.output
    assert stored(app)[0] == 2


def test_scripts_travel_only_when_asked_and_are_stored(app, runner, tmp_path):
    import_tour(runner, tmp_path)
    exported = tmp_path / "en.csv"
    runner.invoke(
        args=["translations", "export", SLUG, "-l", "en", "--with-scripts", "-o", str(exported)]
    )
    rows = rows_of(exported)
    plaza_script = next(r for r in rows if r[2] == "plaza" and r[3] == "script")
    assert plaza_script[5] == SCRIPT and plaza_script[7] == ""
    filled = translate(exported, {("plaza", "script"): "Wait at the fountain."}, tmp_path / "x.csv")
    result = runner.invoke(args=["translations", "import", SLUG, str(filled)])
    assert result.exit_code == 0, result.output
    assert stop_props(stored(app)[1], "plaza")["script"] == {
        "es": SCRIPT,
        "en": "Wait at the fountain.",
    }


@pytest.mark.parametrize(
    ("damage", "expected"),
    [
        (lambda t: t.replace("stop_id", "stop"), "row 1, column stop: The header must be"),
        (lambda t: t.replace(",cortes,", ",nowhere,", 1), "column stop_id: The tour has no stop"),
        (lambda t: t.replace(",1,", ",0,", 1), "row 2, column version: The file was made for"),
    ],
)
def test_a_refused_file_stores_nothing(app, runner, tmp_path, damage, expected):
    import_tour(runner, tmp_path)
    exported = tmp_path / "pl.csv"
    runner.invoke(args=["translations", "export", SLUG, "-l", "pl", "-o", str(exported)])
    filled = translate(exported, {("plaza", "name"): "Plac"}, tmp_path / "pl2.csv")
    filled.write_text(damage(filled.read_text(encoding="utf-8")), encoding="utf-8")
    result = runner.invoke(args=["translations", "import", SLUG, str(filled)])
    assert result.exit_code == 1
    assert expected in result.output and "nothing was stored" in result.output
    assert stored(app)[0] == 1


def test_a_latin1_file_is_refused_with_its_row(app, runner, tmp_path):
    import_tour(runner, tmp_path)
    exported = tmp_path / "pl.csv"
    runner.invoke(args=["translations", "export", SLUG, "-l", "pl", "-o", str(exported)])
    filled = translate(exported, {("cortes", "name"): "Plac Łódzki"}, tmp_path / "pl2.csv")
    text = filled.read_text(encoding="utf-8").replace("Łódzki", "Lodzki é")
    filled.write_bytes(text.encode("latin-1"))
    result = runner.invoke(args=["translations", "import", SLUG, str(filled)])
    assert result.exit_code == 1 and "row 6: The file is not UTF-8" in result.output
    assert stored(app)[0] == 1


def test_export_refuses_the_source_language_and_a_bad_tag(runner, tmp_path):
    import_tour(runner, tmp_path)
    result = runner.invoke(args=["translations", "export", SLUG, "-l", "es"])
    assert result.exit_code == 1 and "source language" in result.output
    result = runner.invoke(args=["translations", "export", SLUG, "-l", "p_l"])
    assert result.exit_code == 1 and "not a language tag" in result.output


def test_a_draft_stays_a_draft(app, runner, tmp_path):
    import_tour(runner, tmp_path)
    runner.invoke(args=["fork", SLUG, "--city", "Wrocław"])
    fork = f"{SLUG}-wroclaw"
    exported = tmp_path / "pl.csv"
    runner.invoke(args=["translations", "export", fork, "-l", "pl", "-o", str(exported)])
    filled = translate(exported, {("plaza", "name"): "Rynek"}, tmp_path / "pl2.csv")
    result = runner.invoke(args=["translations", "import", fork, str(filled)])
    assert result.exit_code == 0 and "version 2 as a draft" in result.output
    version, document, status = stored(app, fork)
    assert (version, status) == (2, "draft")
    assert stop_props(document, "plaza")["name"]["pl"] == "Rynek"


def test_fork_stores_a_draft_in_the_other_city_with_attribution(app, runner, client, tmp_path):
    import_tour(runner, tmp_path, credits={"en": "Texts by the association."})
    result = runner.invoke(args=["fork", SLUG, "--city", "Wrocław"])
    assert result.exit_code == 0, result.output
    assert f"stored {SLUG}-wroclaw version 1 as a draft (4 to do)" in result.output
    with get_db(app).transaction() as db_session:
        listing = {t.slug: t for t in tour_listings(db_session)}
    fork = listing[f"{SLUG}-wroclaw"]
    assert (fork.status, fork.city, fork.languages) == ("draft", "Wrocław", ["es", "eu", "en"])
    codes = [t["code"] for t in fork.todo]
    assert codes == ["fork.route", "fork.districts", "fork.stop", "fork.stop"]
    _, document, _ = stored(app, f"{SLUG}-wroclaw")
    route = document["features"][0]["properties"]
    assert route["forked_from"]["slug"] == SLUG and route["licence"] == "CC-BY-SA-4.0"
    assert route["credits"]["en"].startswith("Texts by the association.\nForked from «Voices»")
    assert SCRIPT not in json.dumps(document)
    assert client.get(f"/tours/{SLUG}-wroclaw").status_code == 404
    assert listing[SLUG].status == "published"  # the original is untouched
    # Asked for, scripts come along; a taken slug and an unknown tour are refused.
    result = runner.invoke(args=["fork", SLUG, "--city", "Gdańsk", "--slug", "g", "--with-scripts"])
    assert result.exit_code == 0, result.output
    assert SCRIPT in json.dumps(stored(app, "g")[1])
    taken = runner.invoke(args=["fork", SLUG, "--city", "Gdańsk", "--slug", "g"])
    assert taken.exit_code == 1 and "exists already" in taken.output
    unknown = runner.invoke(args=["fork", "nope", "--city", "Gdańsk"])
    assert unknown.exit_code == 1 and "No tour 'nope'" in unknown.output
    bad = runner.invoke(args=["fork", SLUG, "--city", "Gdańsk", "--slug", "Not A Slug"])
    assert bad.exit_code == 1 and "cannot be a slug" in bad.output


def test_a_partial_language_is_kept_and_offered_only_once_declared(app, runner, client, tmp_path):
    doc = tour()
    doc["features"][1]["properties"]["name"]["tr"] = "Durak-7f3"
    path = tmp_path / "tour.geojson"
    path.write_bytes(encode(doc))
    result = runner.invoke(args=["import", str(path)])
    assert result.exit_code == 0, result.output
    assert "partial translations" in result.output
    version, document, status = stored(app)
    assert (version, status) == (1, "published")
    assert stop_props(document, "plaza")["name"]["tr"] == "Durak-7f3"  # kept
    report = json.loads(runner.invoke(args=["translations", "report", SLUG, "--json"]).output)
    turkish = next(lang for lang in report["languages"] if lang["language"] == "tr")
    assert (turkish["declared"], turkish["partial"]) == (False, True)
    assert turkish["fields"]["name"]["present"] == 1 and turkish["percent"] == 16.7
    text = runner.invoke(args=["translations", "report", SLUG]).output
    assert "tr (partial: not offered to visitors until declared): 16.7%" in text
    # Not offered: no Turkish in the language menu, and ?lang=tr falls back.
    page = client.get(f"/tours/{SLUG}?lang=tr").get_data(as_text=True)
    assert "Durak-7f3" not in page and "Parada plaza" in page
    assert 'hreflang="tr"' not in page

    result = runner.invoke(args=["translations", "declare", SLUG, "tr"])
    assert result.exit_code == 0, result.output
    assert f"stored {SLUG} version 2: tr is declared" in result.output
    assert "tr is 16.7% complete" in result.output
    version, document, status = stored(app)
    assert (version, status) == (2, "published")
    assert document["features"][0]["properties"]["languages"] == ["es", "eu", "en", "tr"]
    page = client.get(f"/tours/{SLUG}?lang=tr").get_data(as_text=True)
    assert "Durak-7f3" in page and 'hreflang="tr"' in page
    with get_db(app).transaction() as db_session:
        entry = recent(db_session)[0]
    assert (entry.action, entry.target, entry.details) == (
        "tour.language.declare",
        f"tour:{SLUG}",
        {"language": "tr", "version": 2},
    )
    # Declared and incomplete: each stop lacking it is warned about, as for any language.
    check = runner.invoke(args=["export", SLUG, "-o", str(tmp_path / "v2.geojson")])
    assert check.exit_code == 0, check.output
    validated = runner.invoke(args=["validate", str(tmp_path / "v2.geojson")])
    assert "profile.missing-translation" in validated.output and "(tr)" in validated.output
    assert "profile.partial-language" not in validated.output
    again = runner.invoke(args=["translations", "declare", SLUG, "tr"])
    assert again.exit_code == 0 and "already declares tr" in again.output
    bad = runner.invoke(args=["translations", "declare", SLUG, "d_e"])
    assert bad.exit_code == 1 and "not a language tag" in bad.output
