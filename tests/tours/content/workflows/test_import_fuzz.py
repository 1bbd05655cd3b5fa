"""Fuzz the importer: generated values in a tour file never crash it or half store it.

Each example replaces some of a valid tour's properties with generated values (Unicode
of every category, control characters, huge and negative numbers, long strings, deep
nesting), writes the file and imports it: the import reports problems or stores the
tour whole (one tour row and one version per stored file, nothing for a refused one).
"""

from __future__ import annotations

import copy
import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from tests.booking_support import tour_document
from tours.content.checking.pipeline import ValidationOptions
from tours.content.workflows.storing import import_paths
from tours.db import make_sessionmaker
from tours.tour.models import TourRecord, TourVersionRecord

TEXT = st.text(st.characters(codec="utf-8"), max_size=200) | st.text(
    st.characters(categories=["Cc", "Zl", "Zp", "Cf"]), max_size=10
)
VALUE = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**70), 2**70)
    | st.floats(allow_nan=False)
    | TEXT
    | st.integers(100, 3000).map(lambda n: "x" * n),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(TEXT, inner, max_size=3),
    max_leaves=10,
)
ROUTE_KEYS = ["title", "summary", "city", "slug", "timezone", "districts", "languages",
              "duration_minutes", "licence", "credits"]  # fmt: skip
STOP_KEYS = ["id", "name", "story", "order", "status", "dwell_minutes", "media"]


def test_import_fuzz(engine, tmp_path):
    sessions = make_sessionmaker(engine)
    counter = iter(range(10**6))

    @settings(
        max_examples=40,
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    @given(
        route=st.dictionaries(st.sampled_from(ROUTE_KEYS), VALUE, max_size=2),
        stop=st.dictionaries(st.sampled_from(STOP_KEYS), VALUE, max_size=2),
        nesting=st.integers(0, 200),
    )
    def run(route, stop, nesting) -> None:
        document = copy.deepcopy(tour_document(f"fuzz-{next(counter)}"))
        document["features"][0]["properties"].update(route)
        document["features"][1]["properties"].update(stop)
        if nesting:
            document["features"][2]["properties"]["deep"] = json.loads(
                "[" * nesting + "]" * nesting
            )
        path = tmp_path / "tour.geojson"
        path.write_text(json.dumps(document, ensure_ascii=False), encoding="utf-8")
        with sessions() as db_session:
            before = (
                db_session.scalar(select(func.count()).select_from(TourRecord)),
                db_session.scalar(select(func.count()).select_from(TourVersionRecord)),
            )
        (outcome,) = import_paths(sessions, [path], ValidationOptions())
        codes = [p.code for p in outcome.result.report.errors]
        assert "import.internal-error" not in codes, outcome.result.report.problems
        assert "store.failed" not in codes, outcome.result.report.problems
        with sessions() as db_session:
            after = (
                db_session.scalar(select(func.count()).select_from(TourRecord)),
                db_session.scalar(select(func.count()).select_from(TourVersionRecord)),
            )
        stored = outcome.stored is not None
        assert stored == outcome.result.valid
        assert after[1] == before[1] + (1 if stored else 0)
        assert after[0] in (before[0], before[0] + 1)

    run()
