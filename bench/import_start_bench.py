"""``bidean import`` start-up: how long does importing a 1 KB route take, whole process?

Every ``bidean import`` used to create the whole web app (every blueprint, maps, Babel,
the rate limiter) and build Alembic's environment before reading a byte: 2.8 s for a
1 KB route, when ``bidean validate`` took 0.3 s (issue #21).  Each command here runs as
a new process, as a person or a script runs it, alternated with the references in the
same run so that all see the same machine load: ``python -c pass``, ``python -c "import
flask"`` (the least a Flask command line imports) and ``bidean validate`` of the same
file.  Timed: ``bidean import`` of a 1 KB GeoJSON (a line and two stops) into an SQLite
database already migrated (the everyday case: the goal), into a new database each run
(the first import creates the schema with Alembic) and ``--dry-run``.

Goal (issue #23): the import into a migrated database at most 1.0 s, whole process
(median wall time); printed as a ratio to that second, beside issue #21's ratio to
``python -c "import flask"`` in the same run (at most 8x, checked too).  Exits 1 when
either is missed.  The commands run with bytecode caching on, as an installed ``bidean``
does (``PYTHONDONTWRITEBYTECODE`` is dropped: see ``cli_bench.py``).

Run it as ``python bench/import_start_bench.py`` (``--runs 15`` for steadier figures).
See what it imports with ``python -X importtime -m webapp.cli import FILE 2>&1 | sort
-t'|' -k2 -n | tail``.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from cli_bench import REPO, _bidean, _timed  # the same process timing

from bench import run_notes

GOAL_RATIO = 8.0
ISSUE_GOAL_S = 1.0
ROUTE = {
    "type": "FeatureCollection",
    "features": [
        {
            "type": "Feature",
            "properties": {"name": "Along the estuary"},
            "geometry": {
                "type": "LineString",
                "coordinates": [[-2.9353, 43.2571], [-2.9341, 43.2583], [-2.9322, 43.2590]],
            },
        },
        {
            "type": "Feature",
            "properties": {"name": "Market", "description": "The old market hall."},
            "geometry": {"type": "Point", "coordinates": [-2.9353, 43.2571]},
        },
        {
            "type": "Feature",
            "properties": {"name": "Bridge", "description": "Where the ferry crossed."},
            "geometry": {"type": "Point", "coordinates": [-2.9322, 43.2590]},
        },
    ],
}


def main() -> None:
    run_notes.begin()
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=9)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="bidean-bench-") as scratch:
        folder = Path(scratch)
        route = folder / "walk.geojson"
        route.write_text(json.dumps(ROUTE), encoding="utf-8")
        env = {k: v for k, v in os.environ.items() if not k.startswith(("BIDEAN_", "FLASK_"))}
        env.pop("PYTHONDONTWRITEBYTECODE", None)  # as installed: .pyc files written, then used
        env["BIDEAN_MEDIA_DIR"] = str(folder / "media")
        migrated = {**env, "BIDEAN_DATABASE_URL": f"sqlite:///{folder / 'migrated.sqlite3'}"}
        bidean = _bidean()
        options = ["--city", "Bilbao", "--language", "en", "--timezone", "Europe/Madrid"]
        imported = [*bidean, "import", *options, "--licence", "CC-BY-SA-4.0", str(route)]
        commands = {
            "python -c pass": ([sys.executable, "-c", "pass"], env),
            'python -c "import flask"': ([sys.executable, "-c", "import flask"], env),
            "bidean validate walk.geojson": ([*bidean, "validate", str(route)], env),
            "bidean import walk.geojson (migrated database)": (imported, migrated),
            "bidean import --dry-run walk.geojson": ([*imported, "--dry-run"], migrated),
        }
        check = subprocess.run(imported, cwd=REPO, env=migrated, capture_output=True, text=True)
        if check.returncode != 0 or "stored" not in check.stdout:
            sys.exit(f"bidean import failed:\n{check.stdout}\n{check.stderr}")
        fresh_label = "bidean import walk.geojson (new database: migrations run)"
        fresh_count = 0

        def run(label: str) -> tuple[float, float]:
            nonlocal fresh_count
            if label == fresh_label:
                fresh_count += 1
                url = f"sqlite:///{folder / f'fresh-{fresh_count}.sqlite3'}"
                return _timed(imported, {**env, "BIDEAN_DATABASE_URL": url})
            command, command_env = commands[label]
            return _timed(command, command_env)

        labels = [*commands, fresh_label]
        for label in labels:  # warm the disk cache and the .pyc files
            run(label)
        walls: dict[str, list[float]] = {label: [] for label in labels}
        cpus: dict[str, list[float]] = {label: [] for label in labels}
        for _ in range(args.runs):
            for label in labels:
                wall, cpu = run(label)
                walls[label].append(wall)
                cpus[label].append(cpu)
    wall = {label: statistics.median(t) for label, t in walls.items()}
    cpu = {label: statistics.median(t) for label, t in cpus.items()}
    flask = 'python -c "import flask"'
    print(f"whole process, median of {args.runs} runs each (alternated): wall time, CPU time")
    for label in labels:
        extra = "" if label == flask else f"  {wall[label] / wall[flask]:4.1f}x import flask"
        print(f"  {label:<58} {wall[label] * 1000:6.0f} ms  {cpu[label] * 1000:6.0f} ms{extra}")
    goal = "bidean import walk.geojson (migrated database)"
    ratio = wall[goal] / wall[flask]
    seconds = wall[goal] / ISSUE_GOAL_S
    within_ratio, within_seconds = ratio <= GOAL_RATIO, wall[goal] <= ISSUE_GOAL_S
    print(
        f"{goal}: {wall[goal] * 1000:.0f} ms wall ({cpu[goal] * 1000:.0f} ms CPU):"
        f" {seconds:.2f}x the issue's {ISSUE_GOAL_S:g} s whole process"
        f" ({'within' if within_seconds else 'OVER'});"
        f" {ratio:.1f}x importing flask ({'within' if within_ratio else 'OVER'} {GOAL_RATIO:g}x)"
    )
    if not within_seconds:
        sys.exit(f"bidean import took {wall[goal]:.2f} s, above {ISSUE_GOAL_S:g} s")
    if not within_ratio:
        sys.exit(f"bidean import took {ratio:.1f}x importing flask, above {GOAL_RATIO:g}x")


if __name__ == "__main__":
    main()
