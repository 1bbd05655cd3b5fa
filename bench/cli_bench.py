"""CLI start-up benchmark: how long do ``bidean --help`` and ``bidean validate`` take?

Each command runs as a whole new process, as a person or a script runs it, and the wall
time from start to exit is taken.  In the same run, alternating with them so that all
see the same machine load, it times two references: ``python -c pass`` (the interpreter
alone) and ``python -c "import flask"`` (the least a Flask command line can import).
It prints the median of ``--runs`` runs of each and checks the goal: each ``bidean``
command within 0.5 s (issue #13).  ``validate`` checks a sample tour of ``data/routes``
without images (``zabala-kitchens-and-workshops``); the one with images
(``san-francisco-voices``, two PNGs re-encoded in a scratch store) is shown beside it.

Run it as ``python bench/cli_bench.py`` (``--runs 15`` for steadier figures).  See what
a command imports, and what each import costs, with
``python -X importtime -m webapp.cli validate FILE 2>&1 | sort -t'|' -k2 -n | tail``.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
ROUTES = REPO / "data" / "routes"
GOAL_S = 0.5


def _bidean() -> list[str]:
    """The installed console script when there is one, else the same entry point."""
    script = Path(sys.executable).parent / "bidean"
    if script.exists():
        return [str(script)]
    return [sys.executable, "-c", "from webapp.cli import main; main()"]


def _timed(command: list[str], env: dict[str, str], cwd: Path = REPO) -> tuple[float, float]:
    """Wall time and CPU time (user + system) of one run of ``command``."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(
        command,
        cwd=cwd,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        check=False,
    )
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=9)
    parser.add_argument(
        "--before",
        type=Path,
        metavar="DIR",
        help="also time --help and validate of another checkout (git archive REV | tar -x -C DIR)",
    )
    args = parser.parse_args()

    bidean = _bidean()
    commands = {
        "python -c pass": [sys.executable, "-c", "pass"],
        'python -c "import flask"': [sys.executable, "-c", "import flask"],
        "bidean --help": [*bidean, "--help"],
        "bidean validate zabala-kitchens-and-workshops.geojson": [
            *bidean,
            "validate",
            str(ROUTES / "zabala-kitchens-and-workshops.geojson"),
        ],
        "bidean validate san-francisco-voices.geojson (2 images)": [
            *bidean,
            "validate",
            str(ROUTES / "san-francisco-voices.geojson"),
        ],
    }
    if args.before is not None:
        before = [sys.executable, "-c", "from webapp.cli import main; main()"]
        commands["before: bidean --help"] = [*before, "--help"]
        commands["before: bidean validate zabala-kitchens-and-workshops.geojson"] = [
            *before,
            "validate",
            str(ROUTES / "zabala-kitchens-and-workshops.geojson"),
        ]
    # No instance folder or database is needed, and none may be touched: point the
    # database somewhere that would fail if a command opened it.
    env = {**os.environ, "BIDEAN_DATABASE_URL": "sqlite:////nonexistent/bench/bidean.sqlite3"}
    env.pop("FLASK_APP", None)
    check = subprocess.run(commands["bidean --help"], cwd=REPO, env=env, capture_output=True)
    if check.returncode != 0:
        sys.exit(f"bidean --help failed:\n{check.stderr.decode()}")

    def run(label: str) -> tuple[float, float]:
        if label.startswith("before:"):  # the other checkout first on the path
            return _timed(commands[label], {**env, "PYTHONPATH": str(args.before)}, args.before)
        return _timed(commands[label], env)

    for label in commands:  # warm the disk cache and the .pyc files
        run(label)
    walls: dict[str, list[float]] = {label: [] for label in commands}
    cpus: dict[str, list[float]] = {label: [] for label in commands}
    for _ in range(args.runs):
        for label in commands:
            wall, cpu = run(label)
            walls[label].append(wall)
            cpus[label].append(cpu)
    medians = {label: statistics.median(t) for label, t in walls.items()}
    cpu = {label: statistics.median(t) for label, t in cpus.items()}

    base = medians["python -c pass"]
    print(f"whole process, median of {args.runs} runs each (alternated): wall time, CPU time")
    for label, median in medians.items():
        extra = "" if label == "python -c pass" else f"  {median / base:4.1f}x python -c pass"
        print(f"  {label:<66} {median * 1000:6.0f} ms  {cpu[label] * 1000:6.0f} ms{extra}")
    goals = [label for label in medians if label.startswith("bidean") and "images" not in label]
    if args.before is not None:
        for label in ("bidean --help", "bidean validate zabala-kitchens-and-workshops.geojson"):
            print(f"  {label}: {medians['before: ' + label] / medians[label]:.1f}x faster")
    worst = max(goals, key=lambda label: medians[label])
    verdict = "within" if medians[worst] <= GOAL_S else "OVER"
    flask = medians['python -c "import flask"']
    print(
        f"slowest: {worst}, {medians[worst] * 1000:.0f} ms wall, {verdict} the {GOAL_S:g} s"
        f" goal ({medians[worst] / flask:.1f}x importing flask)"
    )
    if verdict == "OVER":
        sys.exit(f"{worst} took {medians[worst] * 1000:.0f} ms, above {GOAL_S:g} s")


if __name__ == "__main__":
    main()
