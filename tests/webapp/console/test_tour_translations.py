"""The coordinator pages ``/console/tours/<slug>/translations`` (report, CSV download and
upload) and ``/console/tours/<slug>/fork``, on both backends."""

from __future__ import annotations

import copy
import csv
import html
import io
import re

import pytest

from guides.audit import recent
from tests.webapp.console.support import (
    ADMIN,
    GUIDE_A,
    SLUG,
    app_with_csrf,
    build_world,
    form_token,
    log_in,
    log_in_with_token,
)
from tours.content.translation.translation_csv import protect
from tours.tour.store import newest_version, save_document
from webapp.common.database import get_db

SCRIPT = "Reúne al grupo bajo los árboles"  # the Spanish script of the sample's stop 1


def newest(app, slug=SLUG):
    with get_db(app).transaction() as db_session:
        row = newest_version(db_session, slug)
        return row.version, row.document, row.tour.status


def filled_csv(client, values, language="pl") -> bytes:
    response = client.get(f"/console/tours/{SLUG}/translations.csv?language={language}")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert response.headers["Cache-Control"] == "no-store"
    rows = list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"), newline="")))
    for row in rows[1:]:
        if (row[2], row[3]) in values:
            row[7] = protect(values[(row[2], row[3])])
    out = io.StringIO(newline="")
    csv.writer(out).writerows(rows)
    return out.getvalue().encode("utf-8")


def upload(client, data: bytes):
    return client.post(
        f"/console/tours/{SLUG}/translations",
        data={"file": (io.BytesIO(data), "pl.csv")},
        content_type="multipart/form-data",
    )


def test_the_report_page_shows_percentages_and_missing_stops(app, client):
    build_world(app)
    log_in(client, ADMIN)
    page = client.get(f"/console/tours/{SLUG}/translations").get_data(as_text=True)
    assert "Translations of “Voices of San Francisco”" in page
    # Sample: five languages, scripts only in es and en.
    assert re.search(r"Basque \(eu\)</th>\s*<td>66.7 %</td>", page), page
    assert "0 % (0/8)" in page and "100 % (8/8)" in page
    assert (
        "Missing in Basque" in page and "Corazón de María Square: script" in page
    )  # by name, not id
    assert SCRIPT not in page  # the page counts scripts, it does not show them
    assert client.get("/console/tours/nope/translations").status_code == 404


def test_download_and_upload_store_a_new_version_and_audit_it(app, client):
    build_world(app)
    log_in(client, ADMIN)
    data = filled_csv(client, {("sf-01", "name"): "=Plac Serca Maryi", ("sf-02", "story"): "A\nB"})
    response = upload(client, data)
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Version 2 stored: 2 texts changed." in page
    version, document, status = newest(app)
    assert (version, status) == (2, "published")
    stops = {f["properties"].get("id"): f["properties"] for f in document["features"]}
    assert stops["sf-01"]["name"]["pl"] == "=Plac Serca Maryi"
    assert stops["sf-02"]["story"]["pl"] == "A\nB"
    assert stops["sf-01"]["script"]["es"].startswith(SCRIPT)
    with get_db(app).transaction() as db_session:
        entry = recent(db_session)[0]
        assert (entry.action, entry.actor, entry.details["version"]) == (
            "tour.translations",
            ADMIN,
            2,
        )
    # Polish is now declared, and the report lists it.
    page = client.get(f"/console/tours/{SLUG}/translations").get_data(as_text=True)
    assert "Polish (pl)</th>" in page and "partial: not offered" not in page


def test_the_title_and_summary_rows_round_trip(app, client):
    build_world(app)
    log_in(client, ADMIN)
    values = {("", "title"): "Głosy San Francisco", ("", "summary"): 'Spacer, z "cytatem".'}
    response = upload(client, filled_csv(client, values))
    assert response.status_code == 302
    _version, document, _status = newest(app)
    route = document["features"][0]["properties"]
    assert route["title"]["pl"] == "Głosy San Francisco"
    assert route["summary"]["pl"] == 'Spacer, z "cytatem".'
    # Exported again, the file carries them on its first rows, beside the source texts.
    again = client.get(f"/console/tours/{SLUG}/translations.csv?language=pl")
    rows = list(csv.reader(io.StringIO(again.data.decode("utf-8-sig"), newline="")))
    assert [(r[2], r[3], r[5] == route[r[3]]["es"], r[7]) for r in rows[1:3]] == [
        ("", "title", True, "Głosy San Francisco"),
        ("", "summary", True, 'Spacer, z "cytatem".'),
    ]


def test_a_bad_upload_shows_row_and_column_and_stores_nothing(app, client):
    build_world(app)
    log_in(client, ADMIN)
    data = filled_csv(client, {("sf-01", "name"): "x" * 201}).replace(b",sf-03,", b",sf-99,", 1)
    response = upload(client, data)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "The file was not accepted, and nothing was stored." in page
    assert (
        "Row 4, column text:" in page and "Row 8, column stop_id:" in page
    )  # after title, summary
    assert newest(app)[0] == 1
    assert upload(client, b"").status_code == 302  # no file: back to the page
    assert newest(app)[0] == 1


CSV_SENTENCES = {
    # language: (a text too long, a stop the tour lacks, the file's language mixed)
    "en": (
        "The text is too long: at most 200 characters fit.",
        "This row names a stop the tour does not have: leave the stop column as it was.",
        "The file mixes Polish and German: one file per language.",
    ),
    "es": (
        "El texto es demasiado largo: caben como mucho 200 caracteres.",
        "Esta fila nombra una parada que el recorrido no tiene: deja la columna de la parada"
        " como estaba.",
        "El archivo mezcla polaco y alemán: un archivo por idioma.",
    ),
}


@pytest.mark.parametrize("language", sorted(CSV_SENTENCES))
def test_a_bad_uploads_rows_are_said_in_interface_words(app, client, language):
    build_world(app)
    log_in(client, ADMIN)
    data = filled_csv(client, {("sf-01", "name"): "x" * 201}).replace(b",sf-03,", b",sf-99,", 1)
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))
    next(row for row in rows if row[2] == "sf-04")[6] = "de"  # a German row in a Polish file
    out = io.StringIO(newline="")
    csv.writer(out).writerows(rows)
    data = out.getvalue().encode("utf-8")
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = language
    response = upload(client, data)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    problems = re.search(
        r'<ul class="problems[^"]*" id="translation-problems">.*?</ul>', page, re.S
    )[0]
    seen = html.unescape(re.sub(r"<details.*?</details>", "", problems, flags=re.S))
    for sentence in CSV_SENTENCES[language]:
        assert sentence in " ".join(re.sub(r"<[^>]+>", " ", seen).split()), sentence
    # Before: "The tour has no stop 'sf-99'. Do not change the stop ids.", in English.
    assert "sf-99" not in seen and "'" not in seen
    # The file's own words stay, folded, for whoever reports a bug.
    assert "The tour has no stop &#39;sf-99&#39;" in problems or "no stop 'sf-99'" in problems
    assert newest(app)[0] == 1


def test_download_with_scripts_only_when_ticked(app, client):
    build_world(app)
    log_in(client, ADMIN)
    plain = client.get(f"/console/tours/{SLUG}/translations.csv?language=fr")
    assert SCRIPT not in plain.get_data(as_text=True)
    scripts = client.get(f"/console/tours/{SLUG}/translations.csv?language=fr&scripts=1")
    assert SCRIPT in scripts.get_data(as_text=True)
    source = client.get(f"/console/tours/{SLUG}/translations.csv?language=es")
    assert source.status_code == 302


def test_fork_page_makes_a_draft_and_guides_cannot(app, client):
    build_world(app)
    log_in(client, ADMIN)
    form = client.get(f"/console/tours/{SLUG}/fork").get_data(as_text=True)
    assert "Fork “Voices of San Francisco” for another city" in form
    response = client.post(f"/console/tours/{SLUG}/fork", data={"city": "Wrocław"})
    assert response.status_code == 302
    # The fork opens in its editor (its stops need placing and rewriting), saying so.
    assert response.headers["Location"].endswith(f"/console/tours/{SLUG}-wroclaw")
    editor = client.get(response.headers["Location"]).get_data(as_text=True)
    assert 'id="tour-editor-form"' in editor
    assert f"Forked {SLUG} as the draft {SLUG}-wroclaw for Wrocław" in editor
    version, document, status = newest(app, f"{SLUG}-wroclaw")
    assert (version, status) == (1, "draft")
    assert document["features"][0]["properties"]["city"] == "Wrocław"
    assert SCRIPT not in str(document)
    again = client.post(f"/console/tours/{SLUG}/fork", data={"city": "Wrocław"})
    assert again.status_code == 200 and "The fork was not made" in again.get_data(as_text=True)
    empty = client.post(f"/console/tours/{SLUG}/fork", data={"city": ""})
    assert empty.status_code == 200 and "Give the city" in empty.get_data(as_text=True)
    client.post("/console/logout")
    log_in(client, GUIDE_A)
    assert client.post(f"/console/tours/{SLUG}/fork", data={"city": "Kraków"}).status_code == 403
    assert client.get(f"/console/tours/{SLUG}/translations").status_code == 403


def test_a_partial_language_is_offered_with_the_button(app, client):
    build_world(app)
    with get_db(app).transaction(write_lock=True) as db_session:
        row = newest_version(db_session, SLUG)
        document = copy.deepcopy(row.document)
        first = next(f["properties"] for f in document["features"] if f["properties"].get("id"))
        first["name"]["tr"] = "Durak-c2a"
        save_document(db_session, document, slug=SLUG, city=row.city, languages=[], title=row.title)
    assert "Durak-c2a" not in client.get(f"/tours/{SLUG}?lang=tr").get_data(as_text=True)
    log_in(client, ADMIN)
    page = client.get(f"/console/tours/{SLUG}/translations").get_data(as_text=True)
    assert "Turkish (tr) · partial: not offered to visitors" in page
    assert page.count("Offer this language to visitors") == 1  # only the partial one
    url = f"/console/tours/{SLUG}/translations/declare"
    response = client.post(url, data={"language": "tr"})
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Version 3 stored: Turkish is offered to visitors." in page
    assert "Offer this language to visitors" not in page
    version, document, status = newest(app)
    assert (version, status) == (3, "published")
    assert document["features"][0]["properties"]["languages"][-1] == "tr"
    with get_db(app).transaction() as db_session:
        entry = recent(db_session)[0]
    assert (entry.action, entry.actor, entry.details["language"]) == (
        "tour.language.declare",
        ADMIN,
        "tr",
    )
    assert "Durak-c2a" in client.get(f"/tours/{SLUG}?lang=tr").get_data(as_text=True)
    again = client.post(url, data={"language": "tr"})
    offered = client.get(again.headers["Location"]).get_data(as_text=True)
    assert "Turkish is offered already" in offered
    assert client.post(url, data={"language": "t_r"}).status_code == 400
    nope = "/console/tours/nope/translations/declare"
    assert client.post(nope, data={"language": "tr"}).status_code == 404


def test_fork_and_upload_need_the_csrf_token(database_url, tmp_path):
    app = app_with_csrf(database_url, tmp_path)
    build_world(app)
    client = app.test_client()
    log_in_with_token(client, ADMIN)
    url = f"/console/tours/{SLUG}/fork"
    assert client.post(url, data={"city": "Kraków"}).status_code == 400
    assert client.post(f"/console/tours/{SLUG}/translations", data={}).status_code == 400
    declare = f"/console/tours/{SLUG}/translations/declare"
    assert client.post(declare, data={"language": "tr"}).status_code == 400
    ok = client.post(url, data={"city": "Kraków", "csrf_token": form_token(client, url)})
    assert ok.status_code == 302
    assert newest(app, f"{SLUG}-krakow")[2] == "draft"
    app.extensions["bidean.db"].engine.dispose()
