"""The coordinators' tour list and editor: pages, saving, refusals, publishing, history."""

from __future__ import annotations

import copy
import html
import re

from guides import audit
from tests.webapp.console.editor_support import (
    COORDINATOR,
    DRAFT_SLUG,
    GUIDE,
    PASSWORD,
    PUBLISHED_SLUG,
    editor_world,
    log_in,
    store_approximate_draft_in,
    store_long_draft_in,
)
from tests.webapp.console.support import app_with_csrf, log_in_with_token
from tours.tour.store import get_document, newest_version, version_history
from webapp.common.database import get_db

EDIT = f"/console/tours/{DRAFT_SLUG}"


def _versions(app, slug=DRAFT_SLUG) -> list[int]:
    with get_db(app).transaction() as db_session:
        return [v.version for v in version_history(db_session, slug)]


def _newest(app, slug=DRAFT_SLUG):
    with get_db(app).transaction() as db_session:
        row = newest_version(db_session, slug)
        return row.document, list(row.todo), row.tour.status, row.version


def _form(client, url=EDIT, **query) -> dict[str, list[str]]:
    """Every named field of the editor form as the browser would post it."""
    page = client.get(url, query_string=query).get_data(as_text=True)
    start = page.index('id="tour-editor-form"')
    form = page[start : page.index("</form>", start)]
    data: dict[str, list[str]] = {}
    for tag in re.finditer(r"<(input|textarea)\b([^>]*)>(?:([^<]*)</textarea>)?", form):
        attrs = dict(re.findall(r'(\w[\w-]*)="([^"]*)"', tag[2]))
        if "name" not in attrs or attrs.get("type") == "submit":
            continue
        value = tag[3] if tag[1] == "textarea" else attrs.get("value", "")
        data.setdefault(attrs["name"], []).append(_unescape(value or ""))
    return data


def _unescape(text: str) -> str:
    return html.unescape(text)


def _open_stops(page: str) -> list[str]:
    """The stops whose fold (<details>) the page opens, in the page's order."""
    rows = re.finditer(
        r'<li class="stop-row" data-stop-id="([^"]+)".*?<details class="stop-fold"( open)?>',
        page,
        re.S,
    )
    return [row[1] for row in rows if row[2]]


def _stop(document, stop_id):
    return next(f for f in document["features"][1:] if f["properties"].get("id") == stop_id)


def test_tours_list_shows_every_status_with_version_and_to_do(app, client):
    editor_world(app)
    log_in(client)
    with get_db(app).transaction(write_lock=True) as db_session:
        from tours.tour.store import WITHDRAWN, set_status

        set_status(db_session, "zabala-kitchens-and-workshops", WITHDRAWN)
    page = client.get("/console/tours").get_data(as_text=True)
    rows = dict(re.findall(r'<tr data-slug="([^"]+)">(.*?)</tr>', page, re.S))
    assert set(rows) >= {DRAFT_SLUG, PUBLISHED_SLUG, "zabala-kitchens-and-workshops"}
    assert "Draft" in rows[DRAFT_SLUG] and '<td class="tour-todo">1</td>' in rows[DRAFT_SLUG]
    assert "Published" in rows[PUBLISHED_SLUG]
    assert "Withdrawn" in rows["zabala-kitchens-and-workshops"]
    assert f'href="/console/tours/{DRAFT_SLUG}"' in page
    assert 'href="/console/tours/import"' in page
    nav = client.get("/console/").get_data(as_text=True)
    assert 'href="/console/tours"' in nav


def test_guides_cannot_reach_the_editor(app, client):
    editor_world(app)
    log_in(client, GUIDE)
    assert client.get("/console/tours").status_code == 403
    assert client.get(EDIT).status_code == 403
    assert client.post(EDIT, data={"based_on": "1", "tour-title": "x"}).status_code == 403
    assert client.post(f"{EDIT}/publish").status_code == 403
    assert _versions(app) == [1]
    assert 'href="/console/tours"' not in client.get("/console/").get_data(as_text=True)


def test_editor_shows_source_beside_target_and_the_fallback(app, client):
    editor_world(app)
    log_in(client)
    page = client.get(EDIT, query_string={"write": "de", "read": "es"}).get_data(as_text=True)
    story = page[page.index('id="field-stop-sf-01-story"') :][:3000]
    assert '<div class="text-source" lang="es"' in story
    assert 'name="stop-sf-01-story"' in story and 'lang="de"' in story
    assert "visitors read the" in story  # no German story: the Spanish one is shown instead
    assert "Publishing is possible once the to-do list is empty." in page
    assert re.search(r'id="publish-button"[^>]*disabled', page)
    assert 'href="#field-tour-title"' in page  # the to-do item points at its field


def test_save_creates_a_new_version_and_updates_the_to_do_list(app, client):
    editor_world(app)
    log_in(client)
    data = _form(client, write="de", read="es")
    data["tour-title"] = ["Stimmen von San Francisco"]
    data["stop-sf-02-story"] = ["Eine Geschichte auf Deutsch."]
    response = client.post(EDIT, data=data)
    assert response.status_code == 302 and "write=de" in response.headers["Location"]
    document, todo, status, version = _newest(app)
    assert version == 2 and _versions(app) == [2, 1] and status == "draft"
    route = document["features"][0]["properties"]
    assert route["title"] == {"de": "Stimmen von San Francisco"}
    assert "de" in route["languages"]  # writing in German declares it
    assert _stop(document, "sf-02")["properties"]["story"]["de"] == "Eine Geschichte auf Deutsch."
    assert todo == []
    page = client.get(EDIT).get_data(as_text=True)
    assert "Nothing left to do." in page
    assert not re.search(r'id="publish-button"[^>]*disabled', page)


def test_reorder_without_javascript_shows_the_new_order_then_saves_it(app, client):
    editor_world(app)
    log_in(client)
    data = _form(client)
    assert data["order"][:2] == ["sf-01", "sf-02"]
    data["action"] = ["down:sf-01"]
    shown = client.post(EDIT, data=data)
    assert shown.status_code == 200 and _versions(app) == [1]  # nothing stored yet
    order = re.findall(r'name="order" value="([^"]+)"', shown.get_data(as_text=True))
    assert order[:2] == ["sf-02", "sf-01"]
    data["order"], data["action"] = order, ["save"]
    assert client.post(EDIT, data=data).status_code == 302
    document = _newest(app)[0]
    assert _stop(document, "sf-02")["properties"]["order"] == 1
    assert _stop(document, "sf-01")["properties"]["order"] == 2


def test_move_and_add_stops(app, client):
    editor_world(app)
    log_in(client)
    data = _form(client, write="es")
    lon, lat = float(data["stop-sf-03-lon"][0]), float(data["stop-sf-03-lat"][0])
    data["stop-sf-03-lon"], data["stop-sf-03-lat"] = [str(lon + 0.0001)], [str(lat)]
    data["new-lon"], data["new-lat"], data["new-name"] = ["-2.9266"], ["43.2555"], ["Nueva"]
    assert client.post(EDIT, data=data).status_code == 302
    document = _newest(app)[0]
    assert _stop(document, "sf-03")["geometry"]["coordinates"][0] == round(lon + 0.0001, 6)
    new = _stop(document, "stop-9")
    assert new["properties"]["name"] == {"es": "Nueva"} and new["properties"]["order"] == 9


def test_invalid_input_is_refused_at_its_field_and_nothing_is_stored(app, client):
    editor_world(app)
    log_in(client)
    data = _form(client, write="es")
    data["tour-title"] = ["Un título"]
    data["stop-sf-03-lon"] = ["west"]
    response = client.post(EDIT, data=data)
    assert response.status_code == 422 and _versions(app) == [1]
    page = response.get_data(as_text=True)
    position = page[page.index('id="field-stop-sf-03-position"') :][:800]
    assert "Write the position as two numbers" in position
    assert ">Un título</textarea>" in page  # what was written is kept
    data["stop-sf-03-lon"] = _form(client)["stop-sf-03-lon"]
    data["stop-sf-04-lat"] = ["95"]
    page = client.post(EDIT, data=data).get_data(as_text=True)
    assert "latitude between -90 and 90" in page and _versions(app) == [1]
    data["stop-sf-04-lat"] = _form(client)["stop-sf-04-lat"]
    data["new-lon"], data["new-lat"], data["new-name"] = ["-2.9"], ["43.2"], [""]
    page = client.post(EDIT, data=data).get_data(as_text=True)
    assert "A new stop needs a name." in page and _versions(app) == [1]


def test_text_that_cannot_be_stored_is_refused_and_nothing_is_stored(app, client):
    """The request limits refuse a NUL before the editor sees it (the domain refuses it too)."""
    editor_world(app)
    log_in(client)
    data = _form(client, write="es")
    data["stop-sf-02-story"] = ["Una historia\x00 rota"]
    assert client.post(EDIT, data=data).status_code == 400
    assert _versions(app) == [1]


def test_a_draft_with_old_errors_can_still_be_edited(app, client):
    """What an assembled draft already had wrong stays on its to-do list; saving works."""
    editor_world(app)
    with get_db(app).transaction(write_lock=True) as db_session:
        row = newest_version(db_session, DRAFT_SLUG)
        document = copy.deepcopy(row.document)
        document["features"][0]["properties"]["timezone"] = "Mars/Olympus"
        row.document = document
    log_in(client)
    data = _form(client, write="en")
    data["tour-title"] = ["A title"]
    assert client.post(EDIT, data=data).status_code == 302
    todo = _newest(app)[1]
    assert [t["code"] for t in todo] == ["profile.timezone"]


def test_stale_save_is_refused_with_what_changed(app, client):
    editor_world(app)
    log_in(client)
    first = _form(client, write="en")
    second = _form(client, write="en")
    first["tour-summary"] = ["Written by the first coordinator."]
    assert client.post(EDIT, data=first).status_code == 302
    second["tour-summary"] = ["Written by the second coordinator."]
    response = client.post(EDIT, data=second)
    assert response.status_code == 409
    page = response.get_data(as_text=True)
    assert "someone saved this tour while you were editing" in page
    assert "What changed since: summary" in page
    assert ">Written by the second coordinator.</textarea>" in page  # not lost
    assert 'name="based_on" value="1"' in page  # saving again is refused again
    document = _newest(app)[0]
    assert document["features"][0]["properties"]["summary"]["en"] == (
        "Written by the first coordinator."
    )
    assert _versions(app) == [2, 1]


def test_publish_is_refused_while_there_is_something_to_do(app, client):
    editor_world(app)
    log_in(client)
    response = client.post(f"{EDIT}/publish", data={"based_on": "1"}, follow_redirects=True)
    assert "Not published" in response.get_data(as_text=True)
    assert _newest(app)[2] == "draft"
    assert client.get(f"/tours/{DRAFT_SLUG}").status_code == 404


def test_publish_and_withdraw_change_the_public_site(app, client):
    editor_world(app)
    log_in(client)
    data = _form(client, write="de", read="es")
    data["tour-title"] = ["Stimmen"]
    data["stop-sf-01-story"] = ["GESCHICHTE-ZUM-PRUEFEN"]
    data["stop-sf-01-script"] = ["PRIVATE-CUE-8842"]
    client.post(EDIT, data=data)
    stale = client.post(f"{EDIT}/publish", data={"based_on": "1"}, follow_redirects=True)
    assert "Nothing was saved" in stale.get_data(as_text=True)  # not what they saw
    assert client.post(f"{EDIT}/publish", data={"based_on": "2"}).status_code == 302
    assert _newest(app)[2] == "published"
    page = client.get(f"/tours/{DRAFT_SLUG}?lang=de").get_data(as_text=True)
    assert "GESCHICHTE-ZUM-PRUEFEN" in page and "Stimmen" in page
    for url in (
        f"/tours/{DRAFT_SLUG}?lang=de",
        f"/api/tours/{DRAFT_SLUG}",
        f"/api/tours/{DRAFT_SLUG}.geojson",
        f"/api/tours/{DRAFT_SLUG}.gpx",
        "/api/tours",
    ):
        response = client.get(url)
        assert response.status_code == 200, url
        assert "PRIVATE-CUE-8842" not in response.get_data(as_text=True), url
    with get_db(app).transaction() as db_session:  # the script is stored, only not public
        stored = get_document(db_session, DRAFT_SLUG)
        assert _stop(stored, "sf-01")["properties"]["script"]["de"] == "PRIVATE-CUE-8842"
    assert client.post(f"{EDIT}/withdraw").status_code == 302
    assert client.get(f"/tours/{DRAFT_SLUG}").status_code == 404
    assert DRAFT_SLUG not in client.get("/api/tours").get_data(as_text=True)
    with get_db(app).transaction() as db_session:
        entries = [(e.action, e.target, e.actor) for e in reversed(audit.recent(db_session))]
    assert entries[-3:] == [
        ("tour.edit", f"tour:{DRAFT_SLUG}", COORDINATOR),
        ("tour.publish", f"tour:{DRAFT_SLUG}", COORDINATOR),
        ("tour.withdraw", f"tour:{DRAFT_SLUG}", COORDINATOR),
    ]


def test_editing_a_published_tour_keeps_the_public_version_until_publish(app, client):
    editor_world(app)
    log_in(client)
    url = f"/console/tours/{PUBLISHED_SLUG}"
    data = _form(client, url, write="en")
    data["tour-summary"] = ["A DRAFT SUMMARY WAITING"]
    assert client.post(url, data=data).status_code == 302
    assert "A DRAFT SUMMARY WAITING" not in client.get(f"/tours/{PUBLISHED_SLUG}?lang=en").get_data(
        as_text=True
    )
    assert "A newer draft waits" in client.get("/console/tours").get_data(as_text=True)
    client.post(f"{url}/publish", data={"based_on": "2"})
    assert "A DRAFT SUMMARY WAITING" in client.get(f"/tours/{PUBLISHED_SLUG}?lang=en").get_data(
        as_text=True
    )


def test_history_lists_versions_and_restore_makes_a_new_one(app, client):
    editor_world(app)
    log_in(client)
    data = _form(client, write="en")
    data["tour-title"] = ["Second"]
    client.post(EDIT, data=data)
    history = client.get(f"{EDIT}/history").get_data(as_text=True)
    assert "edited by coordinator@example.org" in history and "test draft" in history
    assert 'name="version" value="1"' in history
    assert client.post(f"{EDIT}/restore", data={"version": "1", "based_on": "2"}).status_code == 302
    assert _versions(app) == [3, 2, 1]
    document, todo, _status, _version = _newest(app)
    assert "title" not in document["features"][0]["properties"] and len(todo) == 1
    stale = client.post(
        f"{EDIT}/restore", data={"version": "2", "based_on": "2"}, follow_redirects=True
    )
    assert "Nothing was saved" in stale.get_data(as_text=True) and _versions(app) == [3, 2, 1]


def test_unknown_tour_and_missing_version_are_clear_errors(app, client):
    editor_world(app)
    log_in(client)
    assert client.get("/console/tours/no-such-tour").status_code == 404
    assert client.post(EDIT, data={"tour-title": "x"}).status_code == 400
    assert _versions(app) == [1]


def test_editor_forms_need_the_csrf_token(database_url, tmp_path):
    app = app_with_csrf(database_url, tmp_path)
    editor_world(app)
    client = app.test_client()
    log_in_with_token(client, COORDINATOR, PASSWORD)
    data = _form(client)
    data["tour-title"] = ["Title"]
    without = {k: v for k, v in data.items() if k != "csrf_token"}
    assert client.post(EDIT, data=without).status_code == 400
    for action in ("publish", "withdraw", "restore"):
        assert client.post(f"{EDIT}/{action}", data={"based_on": "1"}).status_code == 400
    assert _versions(app) == [1]
    assert client.post(EDIT, data=data).status_code == 302
    assert _versions(app) == [2, 1]
    app.extensions["bidean.db"].engine.dispose()


def test_a_reorder_round_trip_keeps_the_version_the_form_was_based_on(app, client):
    """Without JavaScript, Up/Down come back from the server: that must not quietly move
    the form onto a version someone else saved meanwhile."""
    editor_world(app)
    log_in(client)
    data = _form(client, write="en")
    other = _form(client, write="en")
    other["tour-summary"] = ["Saved by someone else."]
    assert client.post(EDIT, data=other).status_code == 302
    data["action"] = ["up:sf-02"]
    shown = client.post(EDIT, data=data).get_data(as_text=True)
    assert 'name="based_on" value="1"' in shown
    data["action"] = ["save"]
    assert client.post(EDIT, data=data).status_code == 409
    assert _versions(app) == [2, 1]


def test_texts_are_escaped_in_the_page_and_in_the_map_data(app, client):
    editor_world(app)
    log_in(client)
    hostile = '</script><img src=x onerror="window.__xss=1">'
    data = _form(client, write="es", read="es")
    data["stop-sf-01-name"] = [hostile]
    assert client.post(EDIT, data=data).status_code == 302
    page = client.get(EDIT, query_string={"write": "es", "read": "es"}).get_data(as_text=True)
    assert hostile not in page
    island = page[page.index('id="tour-editor-data">') :]
    island = island[: island.index("</script>")]
    assert "\\u003c/script\\u003e" in island and "<img" not in island
    assert "<script>" not in page.replace('<script type="application/json"', "")


def test_stops_fold_but_for_those_with_a_problem_or_just_changed(app, client):
    """A long tour fits in a few screens: each stop is a <details>, open when it needs
    attention (a to-do item, a refused field) or when the last save changed or added it."""
    editor_world(app)
    with get_db(app).transaction(write_lock=True) as db_session:
        store_long_draft_in(db_session, "long-draft")
    log_in(client)
    url = "/console/tours/long-draft"
    page = client.get(url, query_string={"write": "es"}).get_data(as_text=True)
    assert page.count('<details class="stop-fold"') == 12
    assert _open_stops(page) == ["sf-03"]  # its story is missing
    summary = page[page.index('id="stop-sf-03"') :]
    summary = summary[summary.index("<summary") : summary.index("</summary>")]
    assert '<span class="stop-number">3</span>' in summary and "1 problem" in summary
    data = _form(client, url, write="es")
    data["stop-sf-03-story"] = ["Aquí se contó la historia que faltaba."]
    data["stop-sf-07-name"] = ["Otro nombre"]
    data["new-lon"], data["new-lat"], data["new-name"] = ["-2.9266"], ["43.2555"], ["Nueva"]
    saved = client.post(url, data=data)
    assert saved.status_code == 302
    after = client.get(saved.headers["Location"]).get_data(as_text=True)
    assert _open_stops(after) == ["sf-03", "sf-07", "stop-13"]
    # Later visits fold them again, but for the new stop: it has no story yet.
    assert _open_stops(client.get(url).get_data(as_text=True)) == ["stop-13"]
    data = _form(client, url, write="es")
    data["stop-sf-10-lat"] = ["95"]
    refused = client.post(url, data=data)
    # What a refused form holds is not stored: the page's script warns before leaving it.
    assert "novalidate data-unsaved>" in refused.get_data(as_text=True)
    assert "data-unsaved" not in after
    assert refused.status_code == 422 and _open_stops(refused.get_data(as_text=True)) == [
        "sf-10",
        "stop-13",
    ]


def test_an_approximate_route_is_a_to_do_until_it_is_redrawn_in_the_editor(app, client):
    editor_world(app)
    slug, url = "drawn-route", "/console/tours/drawn-route"
    with get_db(app).transaction(write_lock=True) as db_session:
        line = store_approximate_draft_in(db_session, slug)
    log_in(client)
    document, todo, _status, _version = _newest(app, slug)
    assert [t["code"] for t in todo] == ["profile.approximate-route"]
    page = client.get(url).get_data(as_text=True)
    assert "The route is approximate: redraw it in the editor" in page
    assert 'href="#field-tour-approximate_route"' in page and 'id="tour-route"' in page
    assert re.search(r'id="publish-button"[^>]*disabled', page)
    data = _form(client, url)
    data.pop("route-confirm")  # an unticked box is not sent
    data["tour-route"] = ["not a point\n1 2"]
    response = client.post(url, data=data)
    assert response.status_code == 422 and _versions(app, slug) == [1]
    refused = response.get_data(as_text=True)
    assert "Write the route as at least two points" in refused and "1 2" in refused
    redrawn = [line[0], [line[0][0] + 0.0005, line[0][1]], *line[1:]]
    data["tour-route"] = ["\n".join(f"{lon}, {lat}" for lon, lat in redrawn)]
    assert client.post(url, data=data).status_code == 302
    document, todo, _status, version = _newest(app, slug)
    assert version == 2 and todo == []
    assert document["features"][0]["geometry"]["coordinates"] == [
        [round(lon, 6), round(lat, 6)] for lon, lat in redrawn
    ]
    assert "approximate_route" not in document["features"][0]["properties"]
    page = client.get(url).get_data(as_text=True)
    assert "Nothing left to do." in page and 'id="tour-route"' not in page


def test_straight_lines_can_be_kept_as_they_are(app, client):
    editor_world(app)
    slug, url = "drawn-route", "/console/tours/drawn-route"
    with get_db(app).transaction(write_lock=True) as db_session:
        line = store_approximate_draft_in(db_session, slug)
    log_in(client)
    data = _form(client, url)
    data.pop("route-confirm")
    assert client.post(url, data=data).status_code == 302  # nothing changed: no new version
    assert _newest(app, slug)[1] != [] and _versions(app, slug) == [1]
    data["route-confirm"] = ["1"]
    assert client.post(url, data=data).status_code == 302
    document, todo, _status, version = _newest(app, slug)
    assert version == 2 and todo == []
    assert document["features"][0]["geometry"]["coordinates"] == line
