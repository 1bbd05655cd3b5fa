"""``/sitemap.xml`` lists the public pages and public walks, never a group's private walk;
``/robots.txt`` points to it and keeps crawlers out of private areas."""

from __future__ import annotations

from datetime import datetime, timedelta
from xml.etree import ElementTree

from sqlalchemy import update

from tours.booking.departures import DepartureRequest, schedule
from tours.booking.models import Departure
from webapp.commands.samples import load_sample_guides, load_sample_routes
from webapp.common.database import get_db

SLUG = "san-francisco-voices"
NS = {"s": "http://www.sitemaps.org/schemas/sitemap/0.9"}


def listed(client) -> list[str]:
    response = client.get("/sitemap.xml")
    assert response.status_code == 200
    assert response.mimetype == "application/xml"
    root = ElementTree.fromstring(response.data)
    return [loc.text for loc in root.findall("s:url/s:loc", NS)]


def walks(app) -> tuple[int, int]:
    start = (datetime.now() + timedelta(days=4)).replace(hour=11, minute=0, second=0)
    with get_db(app).transaction(write_lock=True) as db_session:
        (public,) = schedule(
            db_session, DepartureRequest(SLUG, start.replace(microsecond=0), "es", 12)
        )
        (private,) = schedule(
            db_session, DepartureRequest(SLUG, start.replace(hour=16, microsecond=0), "eu", 20)
        )
        db_session.execute(update(Departure).where(Departure.id == private.id).values(private=True))
        return public.id, private.id


def test_the_sitemap_lists_public_pages_and_walks_but_never_a_private_walk(app, client):
    load_sample_routes(app)
    load_sample_guides(app)
    public, private = walks(app)
    urls = listed(client)
    assert urls[0] == "http://localhost/"
    assert f"http://localhost/tours/{SLUG}" in urls
    assert f"http://localhost/tours/{SLUG}/book?session={public}" in urls
    assert "http://localhost/groups" in urls
    assert "http://localhost/guides/youssef" in urls
    assert not [url for url in urls if f"session={private}" in url]
    assert not [url for url in urls if "/console" in url or "/bookings/" in url]
    assert len(urls) == len(set(urls))


def test_robots_names_the_sitemap_and_keeps_crawlers_out_of_private_areas(client):
    text = client.get("/robots.txt").get_data(as_text=True)
    assert "Sitemap: http://localhost/sitemap.xml" in text
    for area in ("/console/", "/bookings/", "/api/"):
        assert f"Disallow: {area}" in text
