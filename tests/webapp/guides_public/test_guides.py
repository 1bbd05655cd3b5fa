"""Guide profiles: the CLI, the public page, 'Your guides', the JSON API, the migration."""

from __future__ import annotations

import json

from alembic import command
from sqlalchemy import inspect, text

from tours.db import make_engine
from webapp.commands.samples import load_samples_if_empty
from webapp.common.database import alembic_config, upgrade


def test_guides_cli(app, runner):
    load_samples_if_empty(app)
    added = runner.invoke(
        args=[
            "guides",
            "add",
            "nadia",
            "--name",
            "Nadia",
            "--languages",
            "ar:native,fr:fluent",
            "--bio",
            "fr=Nadia raconte.",
            "--tours",
            "san-francisco-voices",
        ]
    )
    assert added.exit_code == 0, added.output
    bad = runner.invoke(args=["guides", "add", "Bad Id", "--name", "X", "--languages", "es"])
    assert bad.exit_code != 0 and "not valid" in bad.output
    level = runner.invoke(args=["guides", "add", "z", "--name", "Z", "--languages", "es:expert"])
    assert level.exit_code != 0 and "native, fluent, conversational" in level.output
    listed = runner.invoke(args=["guides", "list"]).output
    assert "nadia\tNadia\tar:native,fr:fluent\tsan-francisco-voices" in listed
    assert runner.invoke(args=["guides", "update", "nadia", "--name", "Nadia B."]).exit_code == 0
    in_use = runner.invoke(args=["guides", "remove", "youssef"])
    assert in_use.exit_code != 0 and "2 sessions name Youssef as" in in_use.output
    assert runner.invoke(args=["guides", "remove", "nadia"]).exit_code == 0


def test_samples_bring_guides_and_bookable_departures(app, client):
    load_samples_if_empty(app)
    guides = client.get("/api/guides").get_json()
    assert len(guides) >= 4
    assert len({lang["tag"] for g in guides for lang in g["languages"]}) >= 5
    assert all(g["sample"] for g in guides)
    sessions = client.get("/api/sessions").get_json()
    assert len(sessions) >= 5 and all(s["guide_name"] for s in sessions)


def test_public_profile_and_your_guides(app, client):
    load_samples_if_empty(app)
    page = client.get("/tours/san-francisco-voices?lang=en").get_data(as_text=True)
    assert "Your guides" in page and 'href="/guides/youssef"' in page and "Guide: Youssef" in page
    profile = client.get("/guides/ionela?lang=eu").get_data(as_text=True)
    assert "Ionela arotza da" in profile  # the bio in Basque
    fallback = client.get("/guides/mei?lang=fr").get_data(as_text=True)
    assert "Mei" in fallback and "fallback-note" in fallback
    assert client.get("/guides/nobody").status_code == 404


def test_each_departure_shows_its_guide_in_the_catalogue_and_the_booking_form(app, client):
    load_samples_if_empty(app)
    catalogue = client.get("/?lang=en").get_data(as_text=True)
    assert '<span class="walk-guide">Youssef</span>' in catalogue
    assert '<span class="walk-guide">Mei</span>' in catalogue
    form = client.get("/tours/san-francisco-voices/book?lang=en").get_data(as_text=True)
    assert "Guide: Youssef" in form and "Guide: Aminata" in form


def test_guide_api_has_no_contact_data(app, client, runner):
    load_samples_if_empty(app)
    runner.invoke(
        args=["users", "add", "--role", "guide", "--email", "mei@example.org", "--guide", "mei"]
    )
    item = client.get("/api/guides/mei?lang=en").get_json()
    assert item["name"] == "Mei" and item["bio"].startswith("Mei is training")
    assert "@" not in json.dumps(item)
    assert client.get("/api/guides/none").status_code == 404
    assert client.get("/api/guides?lang=no_such!").status_code == 400
    spec = client.get("/api/openapi.json").get_json()
    assert {"/api/guides", "/api/guides/{guide_id}"} <= set(spec["paths"])


def test_migration_turns_free_text_guides_into_profiles(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'm.sqlite3'}")
    upgrade(engine, "0002")
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO tours (id, slug, city, current_version, created_at, "
                "updated_at) VALUES (1, 't', 'Bilbao', 1, '2027-01-01', '2027-01-01')"
            )
        )
        for n, (guide, lang) in enumerate([("Amina", "es"), ("Amina", "ar"), (None, "es")]):
            conn.execute(
                text(
                    "INSERT INTO departures (id, tour_id, starts_at, timezone, language, capacity,"
                    " max_party, seats_taken, seats_held, guide, meeting_name, meeting_lon,"
                    " meeting_lat, status, created_at) VALUES (:id, 1, '2027-03-06 10:00:00',"
                    " 'Europe/Madrid', :lang, 10, 8, 0, 0, :guide, '{}', -2.9, 43.2,"
                    " 'scheduled', '2027-01-01')"
                ),
                {"id": n + 1, "lang": lang, "guide": guide},
            )
    upgrade(engine)
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT id, guide_id FROM departures ORDER BY id")).all()
        guide = conn.execute(text("SELECT id, display_name, languages FROM guides")).one()
    assert [r.guide_id for r in rows] == ["amina", "amina", None]
    assert guide.display_name == "Amina"
    assert {lang["tag"] for lang in json.loads(guide.languages)} == {"es", "ar"}
    command.downgrade(alembic_config(engine), "0002")
    with engine.connect() as conn:
        assert [r[0] for r in conn.execute(text("SELECT guide FROM departures ORDER BY id"))] == [
            "amina",
            "amina",
            None,
        ]
    assert not inspect(engine).has_table("guides")
    engine.dispose()
