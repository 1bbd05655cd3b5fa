"""The tour page cache: a page is rendered once per tour version and language, and every
request still gets its own nonce, its own language links and live seats.

Renders are counted by wrapping ``webapp.public.views.render_tour`` (the one function that
renders ``tour.html``) and by Flask's ``template_rendered`` signal; database statements
by a SQLAlchemy engine event.  Tours are stored by the real importer, departures and
bookings go through the real booking code and API.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from flask import Flask, template_rendered
from flask_babel import force_locale, gettext
from jinja2 import BaseLoader, ChoiceLoader, DictLoader, TemplateNotFound
from sqlalchemy import event

import webapp
from tests.booking_support import SLUG, add_departure, store_tour
from tests.webapp.pages_support import INTERFACE, Page, store_document, walk_document
from tours.booking import departures
from tours.booking.departures import cancel
from webapp.common.database import get_db
from webapp.common.tourcache import tour_cache
from webapp.public import views as public
from webapp.public.pagecache import Holes, PageShell, page_cache

NONCE_ATTR = re.compile(r'nonce="([^"]*)"')
HEADER_NONCE = re.compile(r"'nonce-([^']+)'")


@pytest.fixture
def renders(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, int, str]]:
    """``(slug, version, language)`` of every full render of the tour page template."""
    calls: list[tuple[str, int, str]] = []
    real = public.render_tour

    def counting(cached, lang, holes=None, **kwargs):
        calls.append((cached.stored.slug, cached.stored.version, lang))
        return real(cached, lang, holes, **kwargs)

    monkeypatch.setattr(public, "render_tour", counting)
    return calls


@pytest.fixture
def templates(app: Flask) -> Iterator[list[str]]:
    """Names of the templates Flask renders (an ``{% include %}`` is not one of them)."""
    names: list[str] = []

    def record(sender: Flask, template, context, **extra) -> None:
        names.append(template.name)

    template_rendered.connect(record, app)
    yield names
    template_rendered.disconnect(record, app)


@pytest.fixture
def hidden_walk(app: Flask):
    return store_document(app, walk_document())


@pytest.fixture
def booked_tour(app: Flask, db_transaction) -> int:
    """The booking tests' tour with one departure of 10 seats; returns the departure id."""
    store_tour(db_transaction)
    return add_departure(db_transaction, capacity=10, max_party=6, language="eu")


def without_nonces(html: str) -> str:
    # Folium names each map at random when it renders one; the cache renders it once per app.
    html = re.sub(r"map-[0-9a-f]{32}", "map-ID", html)
    return NONCE_ATTR.sub('nonce="N"', html)


def seats_text(html: str) -> list[str]:
    section = Page(html).root.find("section", "tour-sessions")
    return [span.text for span in section.find_all("span", "session-seats")]


def book(client, departure_id: int, party_size: int, n: int) -> None:
    response = client.post(
        f"/api/sessions/{departure_id}/bookings",
        json={"name": f"Visitor {n}", "email": f"v{n}@example.org", "party_size": party_size},
    )
    assert response.status_code == 201, response.get_json()


# --- the cache is used --------------------------------------------------------------


def test_second_view_is_served_without_rendering_the_tour_template(
    client, hidden_walk, renders, templates
):
    first = client.get("/tours/hidden-walk?lang=en")
    second = client.get("/tours/hidden-walk?lang=en")
    # The cookie set by ?lang= picks English too: the same page, still from the cache.
    third = client.get("/tours/hidden-walk")
    assert [r.status_code for r in (first, second, third)] == [200, 200, 200]
    assert renders == [("hidden-walk", 1, "en")]
    assert templates.count("public/tour.html") == 1
    # No departures, three times: the block saying so is rendered once and kept.
    assert templates.count("departures/_tour_departures.html") == 1
    bodies = {without_nonces(r.get_data(as_text=True)) for r in (first, second, third)}
    assert len(bodies) == 1
    body = bodies.pop()
    assert "First story." in body
    assert "No walks are scheduled yet." in body and "session-seats" not in body


def test_the_departures_block_is_rendered_again_exactly_when_what_it_shows_changes(
    db_transaction, client, booked_tour, renders, templates
):
    def view(lang: str = "en") -> list[str]:
        return seats_text(client.get(f"/tours/{SLUG}?lang={lang}").get_data(as_text=True))

    def block_renders() -> int:
        return templates.count("departures/_tour_departures.html")

    assert [view(), view()] == [["10 seats left"]] * 2
    assert block_renders() == 1
    book(client, booked_tour, 2, 1)
    assert [view(), view()] == [["8 seats left"]] * 2
    assert block_renders() == 2
    add_departure(db_transaction, capacity=4, days_ahead=20)
    assert view() == ["8 seats left", "4 seats left"]
    assert view("eu") == ["8 plaza geratzen dira", "4 plaza geratzen dira"]
    assert block_renders() == 4
    assert renders == [(SLUG, 1, "en"), (SLUG, 1, "eu")]


def test_a_departures_block_using_the_nonce_is_rendered_for_every_view(
    app, client, booked_tour, templates
):
    app.jinja_env.loader = ChoiceLoader(
        [
            DictLoader(
                {
                    "departures/_tour_departures.html": (
                        '<section class="tour-sessions"><style nonce="{{ csp_nonce() }}">'
                        "</style>{{ tour_departures | length }}</section>"
                    )
                }
            ),
            app.jinja_env.loader,
        ]
    )
    seen = set()
    for _ in range(3):
        response = client.get(f"/tours/{SLUG}?lang=en")
        nonce = HEADER_NONCE.search(response.headers["Content-Security-Policy"]).group(1)
        html = response.get_data(as_text=True)
        assert set(NONCE_ATTR.findall(html)) == {nonce}
        assert f'<style nonce="{nonce}"></style>1</section>' in html
        seen.add(nonce)
    assert len(seen) == 3
    assert templates.count("departures/_tour_departures.html") == 3


def test_without_the_page_cache_every_view_renders(tmp_path, database_url, renders):
    app = webapp.create_app(
        {
            "TESTING": True,
            "DATABASE_URL": database_url,
            "SECRET_KEY": "x",
            "RATELIMIT_ENABLED": False,
            "INSTANCE_PATH": str(tmp_path / "nocache"),
            "PAGE_CACHE": False,
        }
    )
    try:
        store_document(app, walk_document())
        client = app.test_client()
        for _ in range(3):
            assert "First story." in client.get("/tours/hidden-walk?lang=en").get_data(as_text=True)
        assert len(renders) == 3
        assert page_cache(app).page_count == 0
    finally:
        get_db(app).engine.dispose()


def test_cached_pages_equal_pages_rendered_without_the_cache(
    app, client, tmp_path, database_url, hidden_walk, booked_tour
):
    uncached_app = webapp.create_app({**app.config, "PAGE_CACHE": False})
    uncached = uncached_app.test_client()
    try:
        for lang in INTERFACE:
            for url in (
                f"/tours/hidden-walk?lang={lang}",
                f"/tours/{SLUG}?lang={lang}",
                f"/tours/{SLUG}?session={booked_tour}&lang={lang}&x=%C3%B1",
            ):
                expected = without_nonces(uncached.get(url).get_data(as_text=True))
                for _ in range(2):  # the first view fills the cache, the second reads it
                    assert without_nonces(client.get(url).get_data(as_text=True)) == expected
        assert 'class="tour-sessions"' in expected and "session-seats" in expected
    finally:
        get_db(uncached_app).engine.dispose()


# --- what must stay fresh ----------------------------------------------------------------


def test_a_reimport_shows_the_new_version_at_once(app, client, hidden_walk, renders):
    before = client.get("/tours/hidden-walk?lang=en").get_data(as_text=True)
    assert "Hidden walk" in before and "First story." in before
    document = walk_document()
    document["features"][0]["properties"]["title"]["en"] = "Renamed walk"
    document["features"][2]["properties"]["story"]["en"] = "A rewritten first story."
    assert store_document(app, document).version == 2
    after = client.get("/tours/hidden-walk?lang=en").get_data(as_text=True)
    assert "Renamed walk" in after and "A rewritten first story." in after
    assert "Hidden walk" not in after and "First story." not in after
    assert renders == [("hidden-walk", 1, "en"), ("hidden-walk", 2, "en")]
    # The first version's page and departures block are dropped, not kept until they age out.
    assert (page_cache(app).page_count, page_cache(app).fragment_count) == (1, 1)


def test_seats_left_change_on_the_next_view_after_a_booking(client, booked_tour, renders):
    assert seats_text(client.get(f"/tours/{SLUG}?lang=en").get_data(as_text=True)) == [
        "10 seats left"
    ]
    book(client, booked_tour, 2, 1)
    assert seats_text(client.get(f"/tours/{SLUG}?lang=en").get_data(as_text=True)) == [
        "8 seats left"
    ]
    book(client, booked_tour, 6, 2)
    book(client, booked_tour, 1, 3)
    html = client.get(f"/tours/{SLUG}?lang=en").get_data(as_text=True)
    assert seats_text(html) == ["1 seat left"]
    book(client, booked_tour, 1, 4)
    html = client.get(f"/tours/{SLUG}?lang=en").get_data(as_text=True)
    assert seats_text(html) == ["Full"]
    assert f"/tours/{SLUG}/waitlist?session={booked_tour}" in html
    assert f"/tours/{SLUG}/book?session={booked_tour}" not in html
    assert renders == [(SLUG, 1, "en")]  # one page, spliced with live seats every time


def test_a_new_departure_shows_on_the_next_view(db_transaction, client, booked_tour, renders):
    html = client.get(f"/tours/{SLUG}?lang=en").get_data(as_text=True)
    assert len(Page(html).root.find("section", "tour-sessions").find_all("li")) == 1
    later = add_departure(db_transaction, capacity=4, days_ahead=20, language="ar")
    html = client.get(f"/tours/{SLUG}?lang=en").get_data(as_text=True)
    assert len(Page(html).root.find("section", "tour-sessions").find_all("li")) == 2
    assert f"/tours/{SLUG}/book?session={later}" in html and "4 seats left" in html
    assert len(renders) == 1


def test_when_the_last_departure_is_cancelled_the_next_view_says_none_are_scheduled(
    db_transaction, client, booked_tour, renders
):
    # The page and its departures block are first cached while a departure is listed.
    html = client.get(f"/tours/{SLUG}?lang=en").get_data(as_text=True)
    assert seats_text(html) == ["10 seats left"] and "No walks are scheduled yet." not in html
    with db_transaction() as db_session:
        cancel(db_session, booked_tour)
    html = client.get(f"/tours/{SLUG}?lang=en").get_data(as_text=True)
    section = Page(html).root.find("section", "tour-sessions")
    assert section.find_all("li") == []
    assert section.find("p", "empty").text == "No walks are scheduled yet. Check again soon."
    assert f"session={booked_tour}" not in html
    assert renders == [(SLUG, 1, "en")]


def test_departures_are_shown_in_the_tour_zone_and_the_visitor_language(
    db_transaction, client, booked_tour
):
    later = add_departure(db_transaction, capacity=4, days_ahead=30, hour=18, language="ar")
    for _ in range(2):
        html = client.get(f"/tours/{SLUG}?lang=es").get_data(as_text=True)
        items = Page(html).root.find("section", "tour-sessions").find_all("li")
        assert [li.find("time").text.split(" · ")[1] for li in items] == ["11:00", "18:00"]
        assert [li.find("span", "session-language").text for li in items] == ["euskera", "árabe"]
        assert seats_text(html) == ["Quedan 10 plazas", "Quedan 4 plazas"]
        assert f"/tours/{SLUG}/book?session={later}" in html


@contextmanager
def statements_sent(app: Flask, monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """Every statement sent meanwhile: through SQLAlchemy's execution (its events) or the
    quick read that goes around them (``tours.db.fetch_first``)."""
    statements: list[str] = []

    def record(conn, cursor, statement, parameters, context, executemany) -> None:
        statements.append(statement)

    real = departures.fetch_first

    def quick(engine, statement, params):
        statements.append(str(statement.compile(dialect=engine.dialect)))
        return real(engine, statement, params)

    monkeypatch.setattr(departures, "fetch_first", quick)
    engine = get_db(app).engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", record)
        monkeypatch.setattr(departures, "fetch_first", real)


def test_a_cached_view_reads_the_database_once(
    app, client, db_transaction, booked_tour, monkeypatch
):
    """The tour's version and its departures version come in one statement, with no
    transaction around it on SQLite (BEGIN and COMMIT would be statements here too); the
    departures themselves, unchanged, are not read again."""
    add_departure(db_transaction, days_ahead=12)
    client.get(f"/tours/{SLUG}?lang=en")  # fills the caches
    with statements_sent(app, monkeypatch) as statements:
        html = client.get(f"/tours/{SLUG}?lang=en").get_data(as_text=True)
    assert len(seats_text(html)) == 2
    assert len(statements) == 1, statements
    assert "tours.current_version" in statements[0]
    assert "departure_versions.version" in statements[0]
    assert "departures" not in statements[0] and "guides" not in statements[0]


def test_every_view_gets_its_own_nonce_on_its_scripts_and_in_its_policy(client, hidden_walk):
    seen = []
    for _ in range(3):
        response = client.get("/tours/hidden-walk?lang=es")
        html = response.get_data(as_text=True)
        nonce = HEADER_NONCE.search(response.headers["Content-Security-Policy"]).group(1)
        scripts = Page(html).root.find_all("script")
        executable = [s for s in scripts if s.attrs.get("type") != "application/json"]
        assert executable and all(s.attrs.get("nonce") == nonce for s in executable)
        assert set(NONCE_ATTR.findall(html)) == {nonce}
        assert "bidean-hole" not in html
        seen.append(nonce)
    assert len(set(seen)) == 3


def test_each_language_gets_its_own_page(client, hidden_walk, renders):
    headings = {}
    for _ in range(2):
        for lang in INTERFACE:
            page = Page(client.get(f"/tours/hidden-walk?lang={lang}").get_data(as_text=True))
            assert page.html_element().attrs["lang"] == lang
            headings[lang] = page.root.find("h2").text
            nav = page.root.find("nav", "language-switcher")
            current = [
                a.attrs["hreflang"] for a in nav.find_all("a") if a.attrs.get("aria-current")
            ]
            assert current == [lang]
    assert headings["en"] == "Before you book"  # the booking summary now comes first (issue 11)
    # Each page speaks its own language, not a cached page of another (Spanish and
    # Portuguese both say "Antes de reservar", so compare with each catalogue).
    with client.application.test_request_context():
        expected = {}
        for lang in INTERFACE:
            with force_locale(lang):
                expected[lang] = gettext("Before you book")
    assert headings == expected
    assert len(set(headings.values())) >= len(INTERFACE) - 1
    assert sorted(renders) == sorted(("hidden-walk", 1, lang) for lang in INTERFACE)
    arabic = Page(client.get("/tours/hidden-walk?lang=ar").get_data(as_text=True))
    assert arabic.html_element().attrs == {"lang": "ar", "dir": "rtl"}


def test_language_links_keep_each_request_own_query(client, hidden_walk):
    def hrefs(url: str) -> list[str]:
        page = Page(client.get(url).get_data(as_text=True))
        return [a.attrs["href"] for a in page.root.find("nav", "language-switcher").find_all("a")]

    for _ in range(2):
        assert hrefs("/tours/hidden-walk?session=5&lang=fr")[2] == (
            "/tours/hidden-walk?session=5&lang=en"
        )
        assert hrefs("/tours/hidden-walk?session=7&lang=fr")[2] == (
            "/tours/hidden-walk?session=7&lang=en"
        )
        assert hrefs("/tours/hidden-walk?lang=fr")[2] == "/tours/hidden-walk?lang=en"


def test_one_version_query_per_view_however_many_departures(
    app, client, db_transaction, booked_tour, monkeypatch
):
    for days in (11, 12, 13):
        add_departure(db_transaction, days_ahead=days)
    client.get(f"/tours/{SLUG}?lang=es")  # fills the caches
    with statements_sent(app, monkeypatch) as statements:
        html = client.get(f"/tours/{SLUG}?lang=es").get_data(as_text=True)
    assert len(Page(html).root.find("section", "tour-sessions").find_all("li")) == 4
    version_queries = [s for s in statements if "tours.current_version" in s]
    assert len(version_queries) == 1, version_queries


def test_a_request_that_imports_then_reads_sees_the_new_version(app, hidden_walk):
    document = walk_document()
    document["features"][0]["properties"]["title"]["en"] = "Renamed walk"
    with app.test_request_context("/"):
        with get_db().transaction() as db_session:
            assert tour_cache().get(db_session, "hidden-walk").stored.version == 1
        store_document(app, document)
        with get_db().transaction() as db_session:
            cached = tour_cache().get(db_session, "hidden-walk")
        assert cached.stored.version == 2
        assert cached.tour.title.get_text("en", "es") == "Renamed walk"


# --- edges ---------------------------------------------------------------------------


class MissingDeparturesLoader(BaseLoader):
    """A loader that knows no booking departures template, as before bookings existed."""

    def get_source(self, environment, template):
        if template == "departures/_tour_departures.html":
            raise TemplateNotFound(template)
        return self.fallback.get_source(environment, template)

    def __init__(self, fallback: BaseLoader) -> None:
        self.fallback = fallback


def test_the_page_works_without_a_departures_template(app, client, hidden_walk):
    app.jinja_env.loader = ChoiceLoader([MissingDeparturesLoader(app.jinja_env.loader)])
    for _ in range(2):
        response = client.get("/tours/hidden-walk?lang=en")
        html = response.get_data(as_text=True)
        assert response.status_code == 200
        assert "tour-sessions" not in html and "bidean-hole" not in html
        assert "First story." in html


def test_marker_like_text_in_a_tour_stays_text(app, client):
    document = walk_document("marker-walk")
    fake = "bidean-hole-0123456789abcdef0123456789abcdef-sessions"
    document["features"][2]["properties"]["story"]["en"] = f"{fake} and nonce"
    store_document(app, document)
    for _ in range(2):
        html = client.get("/tours/marker-walk?lang=en").get_data(as_text=True)
        assert f"{fake} and nonce" in html
        assert html.count('class="tour-sessions"') == 1


def test_a_shell_must_have_each_named_hole_once():
    holes = Holes(("nonce", "sessions"))
    marker = holes.markers["sessions"]
    shell = PageShell.cut(f"<a>{marker}</a><b {holes.nonce}>", holes, once=("sessions",))
    assert shell.fill({"sessions": "S", "nonce": "N"}) == "<a>S</a><b N>"
    with pytest.raises(ValueError, match="0 'sessions' holes"):
        PageShell.cut("<a></a>", holes, once=("sessions",))
    with pytest.raises(ValueError, match="2 'sessions' holes"):
        PageShell.cut(marker * 2, holes, once=("sessions",))
