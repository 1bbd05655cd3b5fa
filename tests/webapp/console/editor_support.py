"""Tours for the editor tests: the sample tours, and a draft made from one of them."""

from __future__ import annotations

import copy

from guides.accounts import create_account
from tours.content.checking.pipeline import ValidationOptions
from tours.content.workflows.editing import check_document
from tours.tour.store import get_document, save_document
from webapp.commands.samples import load_sample_guides, load_sample_routes
from webapp.common.database import get_db

PASSWORD = "a walk by the river at noon"
COORDINATOR = "coordinator@example.org"
SECOND_COORDINATOR = "second-coordinator@example.org"
GUIDE = "guide-a@example.org"
PUBLISHED_SLUG = "san-francisco-voices"
DRAFT_SLUG = "editor-draft"


def store_draft(app, slug: str = DRAFT_SLUG) -> None:
    """A draft copy of the San Francisco sample without a title: one thing to do."""
    with get_db(app).transaction(write_lock=True) as db_session:
        store_draft_in(db_session, slug)


def store_draft_in(session, slug: str = DRAFT_SLUG) -> None:
    """``store_draft`` in an open session (a live server's database, for browser tests)."""
    document = copy.deepcopy(get_document(session, PUBLISHED_SLUG))
    route = document["features"][0]["properties"]
    route["slug"] = slug
    del route["title"]
    checked = check_document(document, slug, ValidationOptions())
    save_document(
        session,
        document,
        slug=slug,
        city=route["city"],
        languages=route["languages"],
        title={},
        source_name="test draft",
        todo=checked.todo,
        draft=True,
    )


def store_long_draft_in(session, slug: str, stops: int = 12) -> None:
    """A draft of the San Francisco sample grown to ``stops`` stops (copies of its first
    ones, a little further east), whose stop sf-03 has no story: a problem at one stop."""
    document = copy.deepcopy(get_document(session, PUBLISHED_SLUG))
    route = document["features"][0]["properties"]
    route["slug"] = slug
    points = [f for f in document["features"][1:] if f["geometry"]["type"] == "Point"]
    others = document["features"][1 + len(points) :]
    for n in range(len(points) + 1, stops + 1):
        extra = copy.deepcopy(points[(n - 1) % len(points)])
        extra["properties"].update(id=f"sf-{n:02d}", order=n)
        lon, lat = extra["geometry"]["coordinates"][:2]
        extra["geometry"]["coordinates"] = [lon + 0.002, lat]
        points.append(extra)
    del next(p for p in points if p["properties"]["id"] == "sf-03")["properties"]["story"]
    document["features"] = [document["features"][0], *points, *others]
    checked = check_document(document, slug, ValidationOptions())
    save_document(
        session,
        checked.document,
        slug=slug,
        city=route["city"],
        languages=route["languages"],
        title=route["title"],
        source_name="test draft",
        todo=checked.todo,
        draft=True,
    )


def store_approximate_draft_in(session, slug: str) -> list[list[float]]:
    """A draft of the San Francisco sample whose route is straight lines through its stops,
    marked approximate (what ``--draw-route`` gives); returns that line."""
    document = copy.deepcopy(get_document(session, PUBLISHED_SLUG))
    route = document["features"][0]["properties"]
    route.update(slug=slug, approximate_route=True)
    stops = sorted(
        (f for f in document["features"][1:] if f["geometry"]["type"] == "Point"),
        key=lambda f: f["properties"]["order"],
    )
    line = [f["geometry"]["coordinates"][:2] for f in stops]
    document["features"][0]["geometry"] = {"type": "LineString", "coordinates": line}
    checked = check_document(document, slug, ValidationOptions())
    save_document(
        session,
        document,
        slug=slug,
        city=route["city"],
        languages=route["languages"],
        title=route["title"],
        source_name="test draft",
        todo=checked.todo,
        draft=True,
    )
    return line


def editor_world(app) -> None:
    """The sample tours, the draft, two coordinators and a guide."""
    load_sample_routes(app)
    load_sample_guides(app)
    store_draft(app)
    with get_db(app).transaction(write_lock=True) as db_session:
        create_account(db_session, COORDINATOR, "coordinator", password=PASSWORD)
        create_account(db_session, SECOND_COORDINATOR, "coordinator", password=PASSWORD)
        create_account(db_session, GUIDE, "guide", guide_id="youssef", password=PASSWORD)


def log_in(client, email: str = COORDINATOR):
    return client.post("/console/login", data={"email": email, "password": PASSWORD})
