"""The guide console shows residents' contributions as their consent allows guides'
scripts (which may be more than tour pages may show), with each teller's credit."""

from __future__ import annotations

from tests.stories_support import MARK, SLUG
from tests.webapp.console.support import GUIDE_A, build_world, log_in
from tests.webapp.public.test_contributions_shown import cached_text, publish, text_of
from tours.stories.models import WITHDRAWN
from webapp.common.bytecache import byte_cache


def test_the_guide_console_shows_what_guides_may_see_with_the_credit(app, client):
    world = build_world(app)
    publish(app)
    assert MARK["guides"] not in client.get(f"/tours/{SLUG}").get_data(as_text=True)
    log_in(client, GUIDE_A)
    page = client.get(f"/console/departures/{world.walk_a}").get_data(as_text=True)
    # The stop only guides may see, its name and story, and its teller's credit.
    assert f"Mercado {MARK['guides']}" in page and f"Historia {MARK['guides']}" in page
    assert "Told by <bdi>Jonander</bdi>" in page
    assert "Told by <bdi>Amina &lt;b&gt;Haddad&lt;/b&gt;</bdi>" in page
    assert "Told by a neighbour of <bdi>San Francisco</bdi>" in page
    script = client.get(f"/console/departures/{world.walk_a}/stops/mercado/script")
    assert script.status_code == 200 and MARK["guides"] in script.get_data(as_text=True)
    # The tour pages' entries still hold nothing of it: only the guide console's does.
    assert MARK["guides"] not in client.get(f"/tours/{SLUG}").get_data(as_text=True)
    held = {key: text_of(value) for key, (value, _) in byte_cache(app)._items.items()}
    holding = {key[0] for key, text in held.items() if MARK["guides"] in text}
    assert holding == {"tour-for-guides"}


def test_a_withdrawn_contribution_is_not_in_the_guide_console(app, client):
    world = build_world(app)
    publish(app, guides=WITHDRAWN)
    log_in(client, GUIDE_A)
    page = client.get(f"/console/departures/{world.walk_a}").get_data(as_text=True)
    assert MARK["guides"] not in page and "Jonander" not in page
    assert client.get(f"/console/departures/{world.walk_a}/stops/mercado/script").status_code == 404
    assert MARK["guides"] not in cached_text(app)
