import pytest
from sqlalchemy import event

from tours.errors import TourNotFound
from tours.tour.domain import Tour
from tours.tour.models import TourRecord, TourVersionRecord
from tours.tour.store import (
    catalogue_rows,
    current_versions,
    get_document,
    get_tour,
    list_tours,
    save_tour,
)


def make_tour(slug="test-walk", city="Bilbao", title="Paseo") -> Tour:
    return Tour.from_document(
        {
            "type": "FeatureCollection",
            "features": [
                {
                    "type": "Feature",
                    "geometry": {
                        "type": "LineString",
                        "coordinates": [[-2.9262, 43.2556], [-2.9249, 43.2548], [-2.9236, 43.2550]],
                    },
                    "properties": {
                        "profile": "bidean-tour/1",
                        "slug": slug,
                        "title": {"es": title, "en": "Walk"},
                        "summary": {"es": "Resumen"},
                        "city": city,
                        "timezone": "Europe/Madrid",
                        "districts": ["San Francisco"],
                        "languages": ["es", "en"],
                        "licence": "CC-BY-SA-4.0",
                    },
                },
                {
                    "type": "Feature",
                    "geometry": {"type": "Point", "coordinates": [-2.9262, 43.2556]},
                    "properties": {
                        "id": "a",
                        "name": {"es": "Plaza"},
                        "story": {"es": "Historia"},
                        "order": 1,
                        "status": "published",
                    },
                },
            ],
        }
    )


def test_save_and_read_back(db_transaction):
    with db_transaction() as db_session:
        stored = save_tour(db_session, make_tour(), source_name="walk.geojson")
    assert (stored.slug, stored.version) == ("test-walk", 1)
    with db_transaction() as db_session:
        again = get_tour(db_session, "test-walk")
        assert again.tour == make_tour()
        assert get_document(db_session, "test-walk") == make_tour().to_document()
        row = db_session.query(TourVersionRecord).one()
        assert (row.city, row.languages, row.source_name) == ("Bilbao", "es en", "walk.geojson")
        assert row.imported_at.tzinfo is not None


def test_reimport_creates_a_new_version_and_keeps_the_old(db_transaction):
    with db_transaction() as db_session:
        save_tour(db_session, make_tour(title="Primera"))
    with db_transaction() as db_session:
        second = save_tour(db_session, make_tour(title="Segunda"))
    assert second.version == 2
    with db_transaction() as db_session:
        assert get_tour(db_session, "test-walk").tour.title["es"] == "Segunda"
        assert get_tour(db_session, "test-walk", version=1).tour.title["es"] == "Primera"
        assert db_session.query(TourRecord).one().current_version == 2
        assert current_versions(db_session) == [("test-walk", 2)]


def test_failed_transaction_stores_nothing(db_transaction):
    with pytest.raises(RuntimeError), db_transaction() as db_session:
        save_tour(db_session, make_tour())
        raise RuntimeError("the import failed half-way")
    with db_transaction() as db_session:
        assert db_session.query(TourRecord).count() == 0
        assert db_session.query(TourVersionRecord).count() == 0


def test_unknown_tour(db_transaction):
    with db_transaction() as db_session:
        with pytest.raises(TourNotFound, match="nope"):
            get_tour(db_session, "nope")
        save_tour(db_session, make_tour())
        with pytest.raises(TourNotFound, match="version 9"):
            get_tour(db_session, "test-walk", version=9)


def test_list_tours_by_city(db_transaction):
    with db_transaction() as db_session:
        save_tour(db_session, make_tour("b-walk", city="Bilbao"))
        save_tour(db_session, make_tour("a-walk", city="Vitoria-Gasteiz"))
        save_tour(db_session, make_tour("c-walk", city="Bilbao"))
    with db_transaction() as db_session:
        assert [t.slug for t in list_tours(db_session)] == ["b-walk", "c-walk", "a-walk"]
        assert [t.slug for t in list_tours(db_session, city="Vitoria-Gasteiz")] == ["a-walk"]


def test_current_versions_of_every_city_and_of_one(db_transaction):
    with db_transaction() as db_session:
        save_tour(db_session, make_tour("b-walk", city="Bilbao"))
        save_tour(db_session, make_tour("a-walk", city="Vitoria-Gasteiz"))
        save_tour(db_session, make_tour("c-walk", city="Bilbao"))
        save_tour(db_session, make_tour("c-walk", city="Bilbao", title="Otra vez"))
    with db_transaction() as db_session:
        assert current_versions(db_session) == [("b-walk", 1), ("c-walk", 2), ("a-walk", 1)]
        assert current_versions(db_session, city="Bilbao") == [("b-walk", 1), ("c-walk", 2)]
        assert current_versions(db_session, city="Vitoria-Gasteiz") == [("a-walk", 1)]
        assert current_versions(db_session, city="Donostia") == []


def test_city_override(db_transaction):
    with db_transaction() as db_session:
        save_tour(db_session, make_tour(), city="Getxo")
    with db_transaction() as db_session:
        assert db_session.query(TourRecord).one().city == "Getxo"


def test_a_catalogue_page_reads_tours_in_index_order_not_sorted(engine, db_transaction):
    """``catalogue_rows`` with a limit walks the (status, city, slug) index and stops:
    with 1,000 tours, sorting all of them was most of ``/api/tours``'s time."""
    if engine.dialect.name != "sqlite":
        pytest.skip("reads SQLite's query plan")
    with db_transaction() as db_session:
        for n in range(5):
            save_tour(
                db_session, make_tour(slug=f"walk-{n}", city="Donostia" if n % 2 else "Bilbao")
            )
    seen: list[tuple[str, object]] = []

    def remember(conn, cursor, statement, params, *_args) -> None:
        seen.append((statement, params))

    event.listen(engine, "before_cursor_execute", remember)
    try:
        with db_transaction() as db_session:
            rows = catalogue_rows(db_session, after=("Bilbao", "walk-2"), limit=2)
    finally:
        event.remove(engine, "before_cursor_execute", remember)
    assert [(row.city, row.slug) for row in rows] == [("Bilbao", "walk-4"), ("Donostia", "walk-1")]
    statement, params = seen[-1]
    with engine.connect() as conn:
        plan = " | ".join(
            row[-1] for row in conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", params)
        )
    assert "ix_tours_status_city_slug" in plan, plan
    assert "TEMP B-TREE" not in plan, plan
