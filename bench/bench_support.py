"""What several benchmarks share: the small tour they book on."""

from __future__ import annotations


def tour_document(slug: str, summary: str) -> dict:
    """A three-vertex route in Zabala with one stop, in the tour profile."""
    line = [[-2.9300, 43.2560], [-2.9280, 43.2550], [-2.9260, 43.2540]]
    stop = {
        "type": "Feature",
        "geometry": {"type": "Point", "coordinates": line[0]},
        "properties": {"id": "plaza", "name": {"es": "Plaza"}, "story": {"es": "Historia."}},
    }
    route = {
        "type": "Feature",
        "geometry": {"type": "LineString", "coordinates": line},
        "properties": {
            "profile": "bidean-tour/1",
            "slug": slug,
            "title": {"es": "Paseo de prueba"},
            "summary": {"es": summary},
            "city": "Bilbao",
            "timezone": "Europe/Madrid",
            "districts": ["Zabala"],
            "languages": ["es"],
            "duration_minutes": 90,
            "licence": "CC-BY-SA-4.0",
        },
    }
    return {"type": "FeatureCollection", "features": [route, stop]}


# --- load, servers and an SMTP sink, shared by the booking and mail benches ---------------

import http.client  # noqa: E402
import os  # noqa: E402
import re  # noqa: E402
import socket  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import threading  # noqa: E402
import time  # noqa: E402
from collections.abc import Callable, Mapping  # noqa: E402
from dataclasses import dataclass  # noqa: E402
from pathlib import Path  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
LISTENING = re.compile(r"Listening at: http://([\d.]+):(\d+)")
# The same gunicorn settings for the app and its reference: 4 gthread workers x 8 threads.
GUNICORN = ["--workers", "4", "--worker-class", "gthread", "--threads", "8"]
DEADLINE_S = 300


@dataclass
class Run:
    seconds: float
    latencies_ms: list[float]
    statuses: dict[int, int]

    @property
    def rate(self) -> float:
        return len(self.latencies_ms) / self.seconds

    def percentile(self, p: float) -> float:
        ordered = sorted(self.latencies_ms)
        return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]

    @classmethod
    def merge(cls, runs: list[Run]) -> Run:
        """Several runs of one phase as one: their times, latencies and statuses added up."""
        statuses: dict[int, int] = {}
        for run in runs:
            for status, number in run.statuses.items():
                statuses[status] = statuses.get(status, 0) + number
        latencies = [ms for run in runs for ms in run.latencies_ms]
        return cls(sum(run.seconds for run in runs), latencies, statuses)

    def line(self, label: str) -> str:
        return (
            f"{label:>26}: {self.rate:8.1f} req/s  p50 {self.percentile(50):6.1f} ms  "
            f"p95 {self.percentile(95):6.1f} ms  p99 {self.percentile(99):6.1f} ms  "
            f"statuses {self.statuses}"
        )


# (method, path, body) or (method, path, body, extra headers)
Request = tuple[str, str, str | None] | tuple[str, str, str | None, dict[str, str]]


def load(
    host: str, port: int, total: int, make_request: Callable[[int], Request], clients: int
) -> Run:
    """``total`` requests from ``clients`` threads, each with its own keep-alive connection."""
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    lock = threading.Lock()
    counter = iter(range(total))
    start_line = threading.Barrier(clients + 1)

    def client() -> None:
        connection = http.client.HTTPConnection(host, port, timeout=60)
        start_line.wait()
        while True:
            with lock:
                n = next(counter, None)
            if n is None:
                break
            method, path, body, *extra = make_request(n)
            headers = {"Content-Type": "application/json", **(extra[0] if extra else {})}
            began = time.perf_counter()
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            response.read()
            took = (time.perf_counter() - began) * 1000
            with lock:
                latencies.append(took)
                statuses[response.status] = statuses.get(response.status, 0) + 1
        connection.close()

    threads = [threading.Thread(target=client) for _ in range(clients)]
    for thread in threads:
        thread.start()
    start_line.wait()
    began = time.perf_counter()
    for thread in threads:
        thread.join(timeout=DEADLINE_S)
    return Run(time.perf_counter() - began, latencies, statuses)


def start_gunicorn(
    app_spec: str, env: Mapping[str, str], log: Path, probe: str = "/healthz"
) -> tuple[subprocess.Popen, int]:
    """gunicorn serving ``app_spec`` on a free loopback port; ``(process, port)``."""
    command = [
        sys.executable, "-m", "gunicorn", *GUNICORN, "--bind", "127.0.0.1:0",
        "--log-level", "info", app_spec,
    ]  # fmt: skip
    with log.open("wb") as out:
        process = subprocess.Popen(
            command, cwd=REPO, env={**os.environ, **env}, stdout=out, stderr=subprocess.STDOUT
        )
    deadline = time.monotonic() + 120  # a loaded machine boots four workers slowly
    while time.monotonic() < deadline:
        found = LISTENING.search(log.read_text(errors="replace"))
        if found:
            port = int(found.group(2))
            try:
                connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
                connection.request("GET", probe)
                if connection.getresponse().status == 200:
                    return process, port
            except OSError:
                pass
        if process.poll() is not None:
            break
        time.sleep(0.1)
    process.kill()
    raise SystemExit(f"gunicorn did not start:\n{log.read_text(errors='replace')}")


def stop(process: subprocess.Popen | None) -> None:
    if process is not None and process.poll() is None:
        process.terminate()
        process.wait(timeout=30)


class CountingSink:
    """aiosmtpd handler that counts what it receives (and nothing else)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.received = 0

    async def handle_DATA(self, server, session, envelope) -> str:
        with self.lock:
            self.received += 1
        return "250 OK"


def smtp_sink():
    """A started aiosmtpd controller on a free loopback port, and its handler."""
    from aiosmtpd.controller import Controller

    with socket.socket() as probe:  # a free port now (aiosmtpd cannot bind port 0)
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    sink = CountingSink()
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    return controller, sink


# --- an in-process app on its own SQLite file, as the catalogue and memory benches use ---

from guides.accounts import create_account  # noqa: E402
from webapp import create_app  # noqa: E402
from webapp.commands.samples import load_sample_guides, load_sample_routes  # noqa: E402
from webapp.common.database import get_db, upgrade  # noqa: E402


def sqlite_app(folder: Path, name: str, **config):
    """A migrated app on ``folder/name.sqlite3``: rate limits off, no sample content."""
    app = create_app(
        {
            "DATABASE_URL": f"sqlite:///{folder / name}.sqlite3",
            "INSTANCE_PATH": str(folder / name),
            "SECRET_KEY": "bench",
            "RATELIMIT_ENABLED": False,
            "SAMPLE_DEPARTURES": False,
            "SAMPLE_ROUTES_DIR": str(folder / "none"),
            **config,
        }
    )
    upgrade(get_db(app).engine)
    return app


# --- console benches: a coordinator's test client and a statement counter ---------------

from sqlalchemy import event  # noqa: E402


class Statements:
    """How many SQL statements an engine runs."""

    def __init__(self, engine) -> None:
        self.engine, self.count = engine, 0
        event.listen(engine, "before_cursor_execute", self._count)

    def _count(self, *_args) -> None:
        self.count += 1

    def remove(self) -> None:
        event.remove(self.engine, "before_cursor_execute", self._count)


COORDINATOR = "coordinator@example.org"
COORDINATOR_PASSWORD = "a long bench password for the coordinator"


def coordinator_app(folder: Path, name: str):
    """A migrated app with the sample tours and guides and a coordinator account."""
    app = sqlite_app(
        folder,
        name,
        TESTING=False,
        WTF_CSRF_ENABLED=False,  # the benches log in with a plain POST
        SAMPLE_ROUTES_DIR=str(Path(__file__).resolve().parent.parent / "data" / "routes"),
    )
    load_sample_routes(app)
    load_sample_guides(app)
    with get_db(app).transaction(write_lock=True) as db_session:
        create_account(db_session, COORDINATOR, "coordinator", password=COORDINATOR_PASSWORD)
    return app


def logged_in(app):
    """A test client logged in to the console as the coordinator, asking for English."""
    client = app.test_client()
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    credentials = {"email": COORDINATOR, "password": COORDINATOR_PASSWORD}
    response = client.post("/console/login", data=credentials)
    assert response.status_code == 302, response.status_code
    return client


def timed_get(client, url: str) -> tuple[float, bytes]:
    """One GET in milliseconds, and its body; anything but 200 stops the bench."""
    began = time.perf_counter()
    response = client.get(url)
    took = (time.perf_counter() - began) * 1000
    assert response.status_code == 200, (url, response.status_code)
    return took, response.data


# --- small app against large, in turns: the medians, the ratio, the statements ---------

import statistics  # noqa: E402


@dataclass(frozen=True)
class Comparison:
    """One request's medians on the small and the large app, and its statements on each."""

    name: str
    small_ms: float
    large_ms: float
    small_statements: int
    large_statements: int

    @property
    def ratio(self) -> float:
        return self.large_ms / self.small_ms

    def missed(self, max_ratio: float) -> bool:
        """Over ``max_ratio``, or more statements on the large app than on the small one."""
        return self.ratio > max_ratio or self.large_statements > self.small_statements

    def line(self, width: int, digits: int = 2) -> str:
        """Name, the two medians, the ratio and the statements, in columns."""
        return (
            f"{self.name:{width}} {self.small_ms:7.{digits}f} ms {self.large_ms:9.{digits}f} ms  "
            f"{self.ratio:4.2f}x  {self.small_statements:>4} / {self.large_statements:<4}"
        )


def compare(name: str, times: Mapping, statements: Mapping) -> Comparison:
    """``times[name, "small"|"large"]`` (ms, every run) and ``statements[name, size]``."""
    return Comparison(
        name,
        statistics.median(times[name, "small"]),
        statistics.median(times[name, "large"]),
        statements[name, "small"],
        statements[name, "large"],
    )


def finish(missed: list[str], target: str) -> None:
    """Print the target and what missed it; exit 1 when anything did."""
    print(target)
    if missed:
        print(f"missed: {', '.join(missed)}")
        sys.exit(1)
