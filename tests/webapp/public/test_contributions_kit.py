"""Residents' contributions in kits and exports: only what consent allows kits goes in
(never a story "for this site only"), and the kit's README says what was left out and
why, without the content."""

from __future__ import annotations

import io
import json
import zipfile

from tests.stories_support import AUDIO_KEYS, IMAGE_KEYS, MARK, SLUG
from tests.webapp.public.test_contributions_shown import publish
from tours.tour.store import get_document
from webapp.common.database import get_db

LEFT_OUT = (
    MARK["anonymous"],  # this site only
    MARK["guides"],  # guides' scripts only
    f"{MARK['nophotos']}-photo",
    f"{MARK['nophotos']}-t",
    IMAGE_KEYS["nophotos"],
    AUDIO_KEYS["nophotos"],
)


def test_the_kit_leaves_out_what_consent_keeps_from_kits_and_says_why(app, client):
    publish(app)
    response = client.get(f"/tours/{SLUG}/kit.zip")
    assert response.status_code == 200
    archive = zipfile.ZipFile(io.BytesIO(response.data))
    files = {name: archive.read(name).decode("utf-8") for name in archive.namelist()}
    for name, text in files.items():
        for marker in LEFT_OUT:
            assert marker not in text, (name, marker)
    readme = files[f"{SLUG}/README.md"]
    left_out = readme.split("## Left out", 1)[1]
    assert "Stop `cortes` (Parada cortes): story left out: the teller chose this site only." in (
        left_out
    )
    assert "Stop `cortes` (Parada cortes): photos left out: photos not consented." in left_out
    assert "recording left out: recording not consented." in left_out
    assert "Stop `mercado`: the stop left out" in left_out
    # What kits may show is in, with its teller's credit.
    geojson = json.loads(files[f"{SLUG}/{SLUG}.geojson"])
    assert [f["properties"]["id"] for f in geojson["features"][1:]] == ["plaza", "cortes"]
    assert f"{MARK['named']}-t" in files[f"{SLUG}/{SLUG}.geojson"]
    assert "Amina <b>Haddad</b>: Parada plaza" in files[f"{SLUG}/CREDITS.txt"]
    printable = files[f"{SLUG}/stops.html"]
    assert "Told by <bdi>Amina &lt;b&gt;Haddad&lt;/b&gt;</bdi>" in printable
    assert "Told by <bdi>Mei</bdi>" in printable  # her text is in, not her photo and recording


def test_exports_leave_out_what_consent_keeps_from_exports(app, runner, tmp_path):
    publish(app)
    for fmt in ("geojson", "gpx"):
        result = runner.invoke(args=["export", SLUG, "--format", fmt, "--with-scripts"])
        assert result.exit_code == 0, result.output
        for marker in LEFT_OUT:
            assert marker not in result.stdout, (fmt, marker)
        assert "left out: Stop `cortes` (Parada cortes): story left out: the teller chose" in (
            result.stderr
        )
    exported = runner.invoke(args=["export", SLUG]).stdout
    assert MARK["named"] in exported
    path = tmp_path / "again.geojson"
    path.write_text(exported, encoding="utf-8")
    # What is left imports again (a new version of the tour).
    assert runner.invoke(args=["import", str(path)]).exit_code == 0


def test_a_fork_for_another_city_holds_only_what_kits_may(app, runner):
    publish(app)
    result = runner.invoke(args=["fork", SLUG, "--city", "Wrocław", "--with-scripts"])
    assert result.exit_code == 0, result.output
    with get_db(app).transaction() as db_session:  # the stored draft, not an export of it
        stored = json.dumps(get_document(db_session, f"{SLUG}-wroclaw"), ensure_ascii=False)
    assert MARK["named"] in stored
    for marker in (MARK["anonymous"], MARK["guides"]):
        assert marker not in stored
