"""Load from a C load generator: Debian's ``wrk`` (``apt-get install wrk``), for the page and
booking benches.  A Python client caps out near 700 requests a second on these machines and
so flatters whatever it is compared with; wrk does not.

``run_wrk`` starts wrk against one URL and returns its figures: requests per second,
latency percentiles (wrk's own histogram, read in a Lua ``done`` hook so the 95th percentile
is there too) and the responses that were not 2xx/3xx.  ``request_lua`` is an optional Lua
``request`` function for requests that differ (a booking's idempotency key, for instance).
"""

from __future__ import annotations

import json
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

WRK = shutil.which("wrk")

# wrk calls ``done`` once with the merged summary and latency histogram (microseconds).
_DONE_LUA = """
done = function(summary, latency, requests)
  local errors = summary.errors.connect + summary.errors.read + summary.errors.write
    + summary.errors.status + summary.errors.timeout
  io.write(string.format(
    'BIDEAN-WRK {"requests": %d, "duration_us": %d, "errors": %d, "status_errors": %d,'
    .. ' "p50_us": %d, "p95_us": %d, "p99_us": %d, "mean_us": %f}\\n',
    summary.requests, summary.duration, errors, summary.errors.status,
    latency:percentile(50), latency:percentile(95), latency:percentile(99), latency.mean))
end
"""


class WrkMissing(RuntimeError):
    """wrk is not installed: ``apt-get install wrk``."""


@dataclass(frozen=True)
class WrkRun:
    requests: int
    seconds: float
    errors: int  # connect, read, write and timeout errors, and non-2xx/3xx answers
    p50_ms: float
    p95_ms: float
    p99_ms: float

    @property
    def rate(self) -> float:
        """Requests per second."""
        return self.requests / self.seconds if self.seconds else 0.0


def run_wrk(
    url: str,
    *,
    seconds: float,
    connections: int = 32,
    threads: int = 2,
    headers: dict[str, str] | None = None,
    request_lua: str = "",
) -> WrkRun:
    """Load ``url`` for ``seconds`` with ``connections`` connections; wrk's figures."""
    if WRK is None:
        raise WrkMissing("the benches need wrk: apt-get install wrk")
    with tempfile.TemporaryDirectory() as folder:
        script = Path(folder) / "bench.lua"
        script.write_text(request_lua + _DONE_LUA)
        command = [
            WRK,
            f"--threads={threads}",
            f"--connections={connections}",
            f"--duration={max(1, round(seconds))}s",
            "--timeout=10s",
            f"--script={script}",
        ]
        for name, value in (headers or {}).items():
            command += ["--header", f"{name}: {value}"]
        done = subprocess.run(
            [*command, url], capture_output=True, text=True, timeout=seconds + 60, check=False
        )
    for line in done.stdout.splitlines():
        if line.startswith("BIDEAN-WRK "):
            figures = json.loads(line.removeprefix("BIDEAN-WRK "))
            return WrkRun(
                requests=figures["requests"],
                seconds=figures["duration_us"] / 1e6,
                errors=figures["errors"],
                p50_ms=figures["p50_us"] / 1000,
                p95_ms=figures["p95_us"] / 1000,
                p99_ms=figures["p99_us"] / 1000,
            )
    raise RuntimeError(f"wrk printed no figures:\n{done.stdout}\n{done.stderr}")
