"""Translation completeness and the translation CSV files, without a database."""

from __future__ import annotations

import csv
import io

import pytest

from tests.tours.tourdoc import stop, tour
from tours.content.translation.translation_csv import (
    HEADER,
    protect,
    read_csv,
    unprotect,
    write_csv,
)
from tours.content.translation.translations import (
    apply_texts,
    completeness,
    counted_stops,
    declare_language,
    languages_of,
    report_text,
    tour_texts,
)
from tours.text import breaks_lines

HOSTILE = [
    'She said "no", then "yes"',
    "one, two, three",
    "line one\nline two\r\nline three\rend",
    '=HYPERLINK("http://evil.example","x")',
    "+1 555 0100",
    "-2+3",
    "@SUM(A1:A2)",
    "\tstarts with a tab",
    "\rstarts with a carriage return",
    "'already quoted",
    "''two quotes",
    "مرحبا بكم في الساحة، \u202bنص\u202c",
    "עברית, with ‏marks‏",
    "  spaces around  ",
    "emoji 🚶🏽‍♀️ and ZWJ",
]


def document():
    doc = tour()
    doc["features"].append(stop("rio", -2.9249, 43.2548, order=1, script={"es": "Guion."}))
    doc["features"].append(stop("gone", -2.9256, 43.2552, status="withdrawn"))
    doc["features"].append(
        stop(
            "later",
            -2.9240,
            43.2545,
            status="draft",
            name={"es": "Luego", "pl": "Później"},
            story=None,
        )
    )
    return doc


def test_counted_stops_skip_withdrawn_and_put_explicit_order_first():
    ids = [s.id for s in counted_stops(document())]
    assert ids == ["rio", "plaza", "cortes", "later"]


def test_languages_are_the_declared_ones_then_any_other_in_use():
    doc = document()
    assert languages_of(doc, ("name", "story")) == ["es", "eu", "en", "pl"]
    # A script in a language nobody declared counts only when scripts are counted.
    doc["features"][3]["properties"]["script"]["fr"] = "Script."
    assert languages_of(doc, ("name", "story")) == ["es", "eu", "en", "pl"]
    assert languages_of(doc, ("name", "story", "script")) == ["es", "eu", "en", "fr", "pl"]


def test_completeness_per_language_and_field():
    doc = document()
    doc["features"][1]["properties"]["story"]["eu"] = "   "  # blank counts as missing
    report = completeness(doc, ("name", "story", "script"), version=3)
    by_lang = {lang.language: lang for lang in report.languages}
    assert report.stops == ("rio", "plaza", "cortes", "later")
    assert report.source_language == "es" and report.version == 3
    es = {f.field: f for f in by_lang["es"].fields}
    assert (es["name"].present, es["name"].total, es["name"].percent) == (4, 4, 100.0)
    assert es["story"].missing == ("later",)  # the draft stop has no story
    assert es["script"].missing == ("plaza", "cortes", "later")
    eu = by_lang["eu"]
    assert eu.missing_by_stop()["plaza"] == ["story", "script"]
    assert by_lang["pl"].declared is False and by_lang["es"].declared is True
    pl = {f.field: f for f in by_lang["pl"].fields}
    assert pl["name"].percent == 25.0 and pl["name"].missing == ("rio", "plaza", "cortes")
    assert by_lang["pl"].percent == round(100 * 1 / 12, 1)
    data = report.to_dict()
    assert data["languages"][0]["fields"]["script"]["missing"] == ["plaza", "cortes", "later"]


def test_a_tour_without_stops_is_complete_not_a_division_by_zero():
    doc = tour()
    doc["features"] = doc["features"][:1]
    [es, *_] = completeness(doc).languages
    assert es.percent == 100.0 and es.total == 0


@pytest.mark.parametrize("text", HOSTILE)
def test_protect_is_reversed_by_unprotect(text):
    assert unprotect(protect(text)) == text
    assert not protect(text).startswith(("=", "+", "-", "@", "\t", "\r"))


def csv_for(doc, language="pl", version=4, fields=("name", "story")):
    return write_csv("san-francisco-voices", version, counted_stops(doc), fields, "es", language)


def fill(text: str, values: dict[tuple[str, str], str]) -> bytes:
    """What a translator's spreadsheet gives back: the same file with the text column set."""
    rows = list(csv.reader(io.StringIO(text.removeprefix("\ufeff"), newline="")))
    for row in rows[1:]:
        key = (row[2], row[3])
        if key in values:
            row[7] = protect(values[key])
    out = io.StringIO(newline="")
    csv.writer(out, lineterminator="\r\n").writerows(rows)
    return out.getvalue().encode("utf-8")


def read(data: bytes, version=4, **kwargs):
    options = {
        "slug": "san-francisco-voices",
        "version": version,
        "stop_ids": ["rio", "plaza", "cortes", "later"],
        "fields": ("name", "story", "script"),
        "limits": {"name": 200, "story": 20_000},
    }
    options.update(kwargs)
    return read_csv(data, **options)


def test_the_file_has_a_row_per_stop_and_field_with_the_source_beside():
    text = csv_for(document())
    assert text.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(text[1:], newline="")))
    assert tuple(rows[0]) == HEADER
    assert [(r[2], r[3]) for r in rows[1:3]] == [("rio", "name"), ("rio", "story")]
    assert len(rows) == 1 + 4 * 2
    later = next(r for r in rows if r[2] == "later" and r[3] == "name")
    assert later[5] == "Luego" and later[6] == "pl" and later[7] == "Później"
    assert all(r[0] == "san-francisco-voices" and r[1] == "4" for r in rows[1:])


@pytest.mark.parametrize("text", HOSTILE)
def test_hostile_texts_survive_the_round_trip_through_a_spreadsheet_writer(text):
    doc = document()
    values = {("rio", "story"): text, ("cortes", "story"): text + text}
    if not breaks_lines(text):
        values[("plaza", "name")] = text  # names are on one line, without tabs
    parsed = read(fill(csv_for(doc), values))
    assert parsed.ok, parsed.problems
    expected = {k: v for k, v in values.items() if v.strip()}
    assert parsed.texts == {**expected, ("later", "name"): "Później"}
    # Written again and read again, the texts are still exactly the same.
    updated, _ = apply_texts(doc, "pl", parsed.texts)
    again = read(csv_for(updated).encode("utf-8"))
    assert again.ok and again.texts == parsed.texts
    # In the file, no cell starts a formula.
    for row in csv.reader(io.StringIO(csv_for(updated)[1:], newline="")):
        assert not any(cell.startswith(("=", "+", "-", "@", "\t", "\r")) for cell in row)


def test_a_protected_cell_from_another_language_loses_exactly_one_quote():
    doc = document()
    doc["features"][1]["properties"]["name"]["pl"] = "'quoted"
    parsed = read(csv_for(doc).encode("utf-8"))
    assert parsed.texts[("plaza", "name")] == "'quoted"


def problems(parsed):
    return [(p.row, p.column) for p in parsed.problems]


def test_title_and_summary_rows_come_first_and_round_trip():
    doc = document()
    text = write_csv("san-francisco-voices", 4, counted_stops(doc), ("name", "story"), "es", "pl",
                     tour_texts(doc))  # fmt: skip
    rows = list(csv.reader(io.StringIO(text[1:], newline="")))
    assert [(r[2], r[3], r[5]) for r in rows[1:3]] == [
        ("", "title", "Voces de San Francisco"),
        ("", "summary", "Un paseo."),
    ]
    values = {("", "title"): "Głosy San Francisco", ("", "summary"): "=Spacer\npo placu."}
    parsed = read(fill(text, values))
    assert parsed.ok, parsed.problems
    assert parsed.texts == {**values, ("later", "name"): "Później"}
    updated, changed = apply_texts(doc, "pl", parsed.texts)
    assert changed == 2
    route = updated["features"][0]["properties"]
    assert route["title"]["pl"] == "Głosy San Francisco"
    assert route["summary"] == {"es": "Un paseo.", "eu": "Ibilaldi bat.", "en": "A walk.",
                                "pl": "=Spacer\npo placu."}  # fmt: skip
    # A title is one line; a tour row takes no stop field, nor a stop a tour field.
    bad = fill(text, {("", "title"): "two\nlines"}).decode("utf-8")
    bad = bad.replace(",,summary,", ",,story,").replace(",rio,name,", ",rio,title,")
    assert problems(read(bad.encode("utf-8"))) == [(2, "text"), (3, "field"), (4, "field")]


def test_wrong_header_is_refused_on_row_1():
    data = csv_for(document()).replace("stop_id", "stop").encode("utf-8")
    parsed = read(data)
    assert problems(parsed) == [(1, "stop")]
    assert "stop_id" in parsed.problems[0].message and not parsed.texts


def test_unknown_stop_id_and_field_give_row_and_column():
    data = fill(csv_for(document()), {("rio", "name"): "Rzeka"}).decode("utf-8")
    data = data.replace(",plaza,name,", ",plaza-x,name,").replace(",cortes,story,", ",cortes,tale,")
    parsed = read(data.encode("utf-8"))
    assert problems(parsed) == [(4, "stop_id"), (7, "field")]
    assert not parsed.ok


def test_encoding_error_names_the_row():
    text = csv_for(document()).encode("utf-8")
    lines = text.split(b"\r\n")
    lines[3] = lines[3] + "ł".encode("iso-8859-2")
    parsed = read(b"\r\n".join(lines))
    assert problems(parsed) == [(4, "")]
    assert "UTF-8" in parsed.problems[0].message


def test_duplicate_rows_are_refused():
    text = csv_for(document())
    lines = text.split("\r\n")
    data = "\r\n".join([*lines[:3], lines[2], *lines[3:]])
    parsed = read(data.encode("utf-8"))
    assert problems(parsed) == [(4, "")]
    assert "row 3" in parsed.problems[0].message


def test_too_long_text_and_multi_line_names_are_refused():
    data = fill(
        csv_for(document()),
        {("rio", "story"): "x" * 20_001, ("plaza", "name"): "two\nlines", ("cortes", "name"): "ok"},
    )
    parsed = read(data)
    assert problems(parsed) == [(3, "text"), (4, "text")]
    assert "20001" in parsed.problems[0].message


def test_a_file_for_an_older_version_is_refused_once():
    data = fill(csv_for(document(), version=2), {("rio", "name"): "Rzeka"})
    parsed = read(data, version=4)
    assert problems(parsed) == [(2, "version")]
    assert "version 2" in parsed.problems[0].message and "version 4" in parsed.problems[0].message
    assert problems(read(data, version=1)) == [(2, "version")]


def test_mixed_languages_wrong_tour_and_short_rows():
    text = csv_for(document())
    lines = text.split("\r\n")
    lines[2] = lines[2].replace(",pl,", ",de,")
    lines[3] = lines[3].replace("san-francisco-voices", "other-tour", 1)
    lines[4] = "san-francisco-voices,4,plaza"
    parsed = read("\r\n".join(lines).encode("utf-8"))
    assert problems(parsed) == [(3, "language"), (4, "tour"), (5, "")]


def test_empty_and_header_only_files():
    assert problems(read(b"")) == [(1, "")]
    assert problems(read(("\ufeff" + ",".join(HEADER) + "\r\n").encode("utf-8"))) == [(2, "")]


def test_apply_texts_declares_a_new_language_at_the_end_and_counts_changes():
    doc = document()
    texts = {("rio", "name"): "Rzeka", ("later", "name"): "Później"}
    updated, changed = apply_texts(doc, "pl", texts)
    assert changed == 1  # "Później" was there already
    assert updated["features"][0]["properties"]["languages"] == ["es", "eu", "en", "pl"]
    assert doc["features"][0]["properties"]["languages"] == ["es", "eu", "en"]  # a copy
    rio = next(f for f in updated["features"] if f["properties"].get("id") == "rio")
    assert rio["properties"]["name"]["pl"] == "Rzeka"


def test_a_partial_language_is_listed_with_its_completeness_until_declared():
    document = tour()
    document["features"][1]["properties"]["name"]["tr"] = "Meydan"
    report = completeness(document)
    turkish = report.languages[-1]
    assert (turkish.language, turkish.declared, turkish.percent) == ("tr", False, 25.0)
    assert turkish.to_dict()["partial"] is True
    lines = report_text(report)
    assert "tr (partial: not offered to visitors until declared): 25% (name 50%, story 0%)" in lines
    declared, changed = declare_language(document, "TR")
    assert changed and declared["features"][0]["properties"]["languages"] == [
        "es",
        "eu",
        "en",
        "tr",
    ]
    assert document["features"][0]["properties"]["languages"] == ["es", "eu", "en"]  # a copy
    assert completeness(declared).languages[-1].to_dict()["partial"] is False
    assert declare_language(declared, "tr") == (declared, False)
