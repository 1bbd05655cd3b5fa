"""What every bench prints around its figures so a README line can say how they were got:
the command that printed them, when (UTC), and the machine's load at the start and the end
(``/proc/loadavg``: the figures of a machine shared with other work mean little without it).

    run_notes.begin()   # first thing in main(): the end line prints at exit, miss or not
"""

from __future__ import annotations

import atexit
import contextlib
import os
import shlex
import sys
import time
from datetime import UTC, datetime


def load_average() -> str:
    """The 1, 5 and 15-minute load averages, or "unknown" off Linux."""
    try:
        with open("/proc/loadavg", encoding="ascii") as source:
            return " ".join(source.read().split()[:3])
    except OSError:
        return "unknown"


def command() -> str:
    """The command as typed from the repository's root: ``python bench/x.py --runs 9``."""
    return shlex.join(["python", *sys.argv])


def begin() -> float:
    """Print the command, the time and the load, and have ``end`` print at exit."""
    now = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    print(
        f"# {command()}  |  {now}  |  load {load_average()} on {os.cpu_count()} cores",
        flush=True,
    )
    started = time.monotonic()
    atexit.register(end, started)
    return started


def end(started: float) -> None:
    """Print the run's length and the load at its end."""
    took = time.monotonic() - started
    with contextlib.suppress(BrokenPipeError):  # output cut short (``| head``)
        print(f"# done in {took:.0f} s  |  load {load_average()} at the end", flush=True)
