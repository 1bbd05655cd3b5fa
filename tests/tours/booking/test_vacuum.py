"""``vacuum_tables`` on SQLite: a value deleted and committed is in no file of the
database afterwards (SQLite otherwise keeps it readable in the file's free space and in
its write-ahead log until the space is reused)."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import text

from tests.marker_search import files_holding
from tours.booking.purge import vacuum_tables
from tours.db import make_engine

MARKER = "vacuum-marker-6df1c0"


def test_a_deleted_value_leaves_the_sqlite_file_and_its_log(tmp_path: Path):
    folder = tmp_path / "db"
    folder.mkdir()
    engine = make_engine(f"sqlite:///{folder / 'bidean.sqlite3'}")
    try:
        with engine.begin() as conn:
            conn.execute(text("CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT)"))
            rows = [{"body": f"note {n} " + "x" * 200} for n in range(50)]
            conn.execute(text("INSERT INTO notes (body) VALUES (:body)"), rows)
            conn.execute(text("INSERT INTO notes (body) VALUES (:body)"), {"body": MARKER})
        with engine.begin() as conn:
            conn.execute(text("UPDATE notes SET body = 'kept' WHERE body = :m"), {"m": MARKER})
        assert files_holding(folder, [MARKER]), "the old value is on disk before the vacuum"

        assert vacuum_tables(engine, ["notes"]) == ["notes"]

        assert files_holding(folder, [MARKER]) == {}
        with engine.connect() as conn:
            assert conn.execute(text("SELECT count(*) FROM notes")).scalar_one() == 51
        assert vacuum_tables(engine, []) == []
    finally:
        engine.dispose()
