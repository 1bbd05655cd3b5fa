"""Pages of a list of walks (``agenda.walks_page``): keyset paging forwards and back,
ties on the start time broken by id, filters, and walks before ``since`` left out."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import insert, select

from tests.booking_support import SLUG, store_tour
from tours.booking.agenda import WalkFilter, walks_page
from tours.booking.models import Departure
from tours.tour.models import TourRecord

NOW = datetime(2027, 3, 1, 9, 0, tzinfo=UTC)
LIMIT = 4


def _store(db_transaction, count: int) -> list[int]:
    """``count`` walks after NOW, three at each start time (ids out of time order), every
    third in French, every fifth cancelled, every seventh private; and two before NOW.
    The ids of those after NOW, in the order a list shows them."""
    store_tour(db_transaction)
    with db_transaction() as db_session:
        tour_id = db_session.scalar(select(TourRecord.id).where(TourRecord.slug == SLUG))
        # Later ids start earlier: the order is the start's, then the id's.
        starts = [NOW + timedelta(hours=1 + (count - n) // 3) for n in range(count)]
        starts += [NOW - timedelta(hours=2), NOW - timedelta(minutes=1)]
        rows = [
            {
                "tour_id": tour_id, "starts_at": start, "timezone": "Europe/Madrid",
                "language": "fr" if n % 3 == 0 else "es", "capacity": 10, "max_party": 5,
                "meeting_lon": -2.93, "meeting_lat": 43.25, "meeting_name": {"es": "Plaza"},
                "status": "cancelled" if n % 5 == 0 else "scheduled", "private": n % 7 == 0,
            }
            for n, start in enumerate(starts)
        ]  # fmt: skip
        db_session.execute(insert(Departure), rows)
        found = db_session.execute(
            select(Departure.id, Departure.starts_at)
            .where(Departure.starts_at > NOW)
            .order_by(Departure.starts_at, Departure.id)
        )
        return [walk_id for walk_id, _start in found]


EVERY_WALK = WalkFilter()


def _forwards(db_session, chosen=EVERY_WALK):
    pages = [walks_page(db_session, NOW, chosen, limit=LIMIT)]
    while pages[-1].has_next:
        pages.append(walks_page(db_session, NOW, chosen, limit=LIMIT, after=pages[-1].last_key))
        assert len(pages) < 50, "paging never ends"
    return pages


def test_forwards_every_walk_once_in_order_and_back_the_same_pages(db_transaction):
    expected = _store(db_transaction, 17)
    with db_transaction() as db_session:
        pages = _forwards(db_session)
        seen = [walk.id for page in pages for walk in page.walks]
        assert seen == expected  # none twice, none missing, the two before NOW left out
        assert [len(page.walks) for page in pages] == [4, 4, 4, 4, 1]
        assert not pages[0].has_previous and all(page.has_previous for page in pages[1:])
        assert not pages[-1].has_next
        # Back from the last page: the same pages, in reverse.
        back = [pages[-1]]
        while back[-1].has_previous:
            back.append(walks_page(db_session, NOW, limit=LIMIT, before=back[-1].first_key))
        assert [[w.id for w in p.walks] for p in back] == [
            [w.id for w in p.walks] for p in reversed(pages)
        ]
        assert back[-1].has_next and not back[-1].has_previous


def test_filters_hold_on_every_page(db_transaction):
    _store(db_transaction, 17)
    with db_transaction() as db_session:
        everything = [w for page in _forwards(db_session) for w in page.walks]
        french = _forwards(db_session, WalkFilter(language="fr"))
        assert [w.id for p in french for w in p.walks] == [
            w.id for w in everything if w.language == "fr"
        ]
        assert [w.id for p in _forwards(db_session, WalkFilter(slug=SLUG)) for w in p.walks] == [
            w.id for w in everything
        ]
        assert walks_page(db_session, NOW, WalkFilter(slug="no-such-tour"), limit=LIMIT).walks == []
        assert {w.cancelled for w in everything} == {True, False}
        assert {w.private for w in everything} == {True, False}


def test_an_empty_list_and_a_page_of_nothing(db_transaction):
    store_tour(db_transaction)
    with db_transaction() as db_session:
        page = walks_page(db_session, NOW, limit=LIMIT)
        assert page.walks == [] and not page.has_next and not page.has_previous
        assert page.first_key is None and page.last_key is None
        with pytest.raises(ValueError):
            walks_page(db_session, NOW, limit=0)
