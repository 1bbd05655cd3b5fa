"""CLI start-up benchmark: how long do ``bidean --help`` and ``bidean validate`` take?

Each command runs as a whole new process, as a person or a script runs it, and the wall
time from start to exit is taken.  In the same run, alternating with them so that all
see the same machine load, it times two references: ``python -c pass`` (the interpreter
alone) and ``python -c "import flask"`` (the least a Flask command line can import).
It prints the median of ``--runs`` runs of each, each as a ratio to ``import flask``,
and checks the goal (issue #23): ``bidean validate`` of the sample tour with images
(``data/routes/san-francisco-voices.geojson``, two 1600x1000 PNGs beside it, checked
from their headers) within 1.5x ``python -c "import flask"``; it exits 1 above.  The
sample without images (``zabala-kitchens-and-workshops``) and ``--help`` are shown too,
with issue #13's 0.5 s.  So is the floor under that goal: the libraries that command
imports (numpy, shapely, pyproj, click and Pillow's PNG reader), imported alone in a
process that does nothing else and, as ``bidean validate`` does, freezes what it imported
(``webapp.cli.freeze_start_up``) so that the interpreter's exit does not free it object
by object.  The same validate with that freeze switched off is printed too, to show what
it saves (it is not the goal's figure).

The commands run with bytecode caching on (``PYTHONDONTWRITEBYTECODE`` is dropped from
their environment), as an installed ``bidean`` runs: the warm-up run writes the
project's ``.pyc`` files, else every run would compile Bidean's modules again (about
0.15 s), which no user pays.

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

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import run_notes

REPO = Path(__file__).resolve().parent.parent
ROUTES = REPO / "data" / "routes"
GOAL_S = 0.5  # issue #13's, for --help and validate: printed
GOAL_RATIO = 1.5  # issue #23's: validate of the sample with images, x import flask
GOAL_LABEL = "bidean validate san-francisco-voices.geojson (2 images)"
FLASK = 'python -c "import flask"'
#: The libraries that validating the sample with images imports, imported alone and frozen
#: as ``bidean validate`` freezes them: the floor under ``bidean validate`` that no change
#: to Bidean's own code can lower.  It runs with ``OPENBLAS_NUM_THREADS=1``, as
#: ``webapp.cli`` starts every command but ``serve``.
LIBRARIES = 'python -c "import gc, numpy, shapely, pyproj, click, PIL.PngImagePlugin; gc.freeze()"'
#: ``bidean validate`` of the goal's sample with ``webapp.cli.freeze_start_up`` switched off.
UNFROZEN = "bidean validate san-francisco-voices.geojson, start-up not frozen"
UNFROZEN_CODE = "import webapp.cli as cli; cli.freeze_start_up = lambda: None; cli.main()"


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
    run_notes.begin()
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
        LIBRARIES: [sys.executable, "-c", LIBRARIES.split('"')[1]],
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
        UNFROZEN: [
            sys.executable,
            "-c",
            UNFROZEN_CODE,
            "validate",
            str(ROUTES / "san-francisco-voices.geojson"),
        ],
    }
    if args.before is not None:
        before = [sys.executable, "-c", "from webapp.cli import main; main()"]
        commands["before: bidean --help"] = [*before, "--help"]
        for name in ("zabala-kitchens-and-workshops", "san-francisco-voices"):
            commands[f"before: bidean validate {name}.geojson"] = [
                *before,
                "validate",
                str(ROUTES / f"{name}.geojson"),
            ]
    # No instance folder or database is needed, and none may be touched: point the
    # database somewhere that would fail if a command opened it.
    env = {**os.environ, "BIDEAN_DATABASE_URL": "sqlite:////nonexistent/bench/bidean.sqlite3"}
    env.pop("FLASK_APP", None)
    env.pop("PYTHONDONTWRITEBYTECODE", None)  # as installed: .pyc files written, then used
    check = subprocess.run(commands["bidean --help"], cwd=REPO, env=env, capture_output=True)
    if check.returncode != 0:
        sys.exit(f"bidean --help failed:\n{check.stderr.decode()}")

    def run(label: str) -> tuple[float, float]:
        if label == LIBRARIES:  # numpy's BLAS with one thread, as `bidean` sets it
            return _timed(commands[label], {"OPENBLAS_NUM_THREADS": "1", **env})
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

    base, flask = medians["python -c pass"], medians[FLASK]
    print(f"whole process, median of {args.runs} runs each (alternated): wall time, CPU time")
    width = max(map(len, medians))
    for label, median in medians.items():
        extra = "" if label == "python -c pass" else f"  {median / base:4.1f}x python -c pass"
        if label not in ("python -c pass", FLASK):
            extra += f"  {median / flask:4.2f}x import flask"
        print(f"  {label:<{width}} {median * 1000:6.0f} ms  {cpu[label] * 1000:6.0f} ms{extra}")
    if args.before is not None:
        for label in ("bidean --help", "bidean validate zabala-kitchens-and-workshops.geojson"):
            print(f"  {label}: {medians['before: ' + label] / medians[label]:.1f}x faster")
        before = medians["before: bidean validate san-francisco-voices.geojson"]
        print(f"  {GOAL_LABEL}: {before / medians[GOAL_LABEL]:.1f}x faster")
    slowest = max(
        (m, label)
        for label, m in medians.items()
        if label.startswith("bidean") and label != UNFROZEN
    )
    print(
        f"issue #13: slowest bidean command {slowest[1]}, {slowest[0] * 1000:.0f} ms wall:"
        f" {'within' if slowest[0] <= GOAL_S else 'over'} {GOAL_S:g} s on this run's load"
    )
    ratio = medians[GOAL_LABEL] / flask
    cpu_ratio = cpu[GOAL_LABEL] / cpu[FLASK]
    verdict = "within" if ratio <= GOAL_RATIO else "OVER"
    print(
        f"{GOAL_LABEL}: {ratio:.2f}x importing flask, wall (CPU {cpu_ratio:.2f}x):"
        f" {verdict} the goal of {GOAL_RATIO:g}x"
    )
    floor = medians[LIBRARIES] / flask
    print(
        f"  of which its libraries alone (numpy, shapely, pyproj, click, Pillow's PNG reader):"
        f" {floor:.2f}x importing flask; Bidean's own import and work: {ratio - floor:.2f}x"
    )
    print(
        f"  with its start-up not frozen (webapp.cli.freeze_start_up off):"
        f" {medians[UNFROZEN] / flask:.2f}x importing flask, not the goal's figure"
    )
    if verdict == "OVER":
        sys.exit(f"bidean validate took {ratio:.2f}x importing flask, above {GOAL_RATIO:g}x")


if __name__ == "__main__":
    main()
