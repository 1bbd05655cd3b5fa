"""Import benchmark: are validating and storing a big tour with images within 5x of ``json.loads``?

Builds a valid profile tour around Bilbao (seeded, so every run measures the same
file): a 100,000-vertex route that walks a street grid with GPS-like jitter, and 1,000
stops a few metres off it, with texts in three languages; every 50th stop shows an
image beside the file (20 media entries naming 3 files: the two 1600x1000 PNGs of
``data/routes/images`` and a 1600x1200 JPEG photo made here).  Then, in this process
(so without the command's start-up, which ``cli_bench.py`` measures), it takes the
median of several runs of

(a) ``json.loads`` of the file's bytes,
(c) ``bidean validate``'s work: ``webapp.commands.validate.check_path`` (the file read
    and parsed once, strict JSON, RFC 7946, the profile, normalisation, building the
    ``Tour``, each image checked from its header), the goal of issue #23: at most 5x,
(b) the import of the document: ``tours.content.checking.pipeline.validate_bytes`` plus
    ``tours.tour.store.save_tour`` into a fresh SQLite database (created and migrated
    before the clock starts), issue #13's goal: at most 5x, and
(i) ``bidean import``'s work: (b) with the images re-encoded, once each, into a fresh
    media store (``webapp.commands.media.validate_with_media``), shown, not checked:
    re-encoding costs per image (about 0.1 s for a 1600x1000 picture), not per vertex,

and prints them and their ratios, with the cyclic garbage collector in the same state
for both sides: on, as a caller finds it (the goals; the bench exits non-zero above
either), and paused around both (b'/a', reported: it shows what is left when neither
side pays for collections).  Run it as
``python bench/import_bench.py`` (``--profile`` prints a cProfile of one import,
``--profile --sort tottime`` by time spent in each function itself).
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import math
import pstats
import random
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from bench import run_notes  # noqa: E402
from tours.content.checking.pipeline import ValidationOptions, validate_bytes, without_gc  # noqa: E402
from tours.db import make_engine, make_sessionmaker, transaction  # noqa: E402
from tours.tour.store import save_tour  # noqa: E402
from webapp.commands.media import validate_with_media  # noqa: E402
from webapp.commands.validate import check_path  # noqa: E402
from webapp.common.database import upgrade  # noqa: E402
from webapp.media.store import MediaStore  # noqa: E402

CENTRE = (-2.9236, 43.2569)  # lon, lat of Bilbao's Zabalburu square
METRES_PER_DEG_LAT = 111_320.0
BLOCK_M = 80.0  # street grid spacing
STEP_M = 8.0  # distance between GPS fixes
GOAL = 5.0  # at most this many times json.loads, the collector on in both (issue #13)
JITTER_M = 1.0
RADIUS_BLOCKS = 100  # 8 km: Greater Bilbao, room for 800 km of streets
IMAGE_EVERY = 50  # every 50th stop shows an image
SAMPLE_IMAGES = REPO / "data" / "routes" / "images"


def _route(vertices: int, rng: random.Random) -> list[list[float]]:
    """A walk along a street grid, GPS-jittered, that prefers streets it has not walked.

    At each crossing it goes straight on or turns, choosing among the blocks not yet
    walked when there are any; so it crosses its own path now and then (at a square it
    passes twice), as a real tour does, rather than re-walking the same street again
    and again (which would make every jittered fix a "crossing").
    """
    per_lon = METRES_PER_DEG_LAT * math.cos(math.radians(CENTRE[1]))
    steps_per_block = int(BLOCK_M / STEP_M)
    node, heading = (0, 0), (1, 0)
    walked: set[tuple[tuple[int, int], tuple[int, int]]] = set()
    coords: list[list[float]] = []
    while len(coords) < vertices:
        options = [heading, (-heading[1], heading[0]), (heading[1], -heading[0])]
        # Stay within ~RADIUS_BLOCKS of the centre: out there, never head further out.
        inward = [h for h in options if not _outward(node, h)]
        options = inward or options
        fresh = [h for h in options if _edge(node, h) not in walked]
        straight_on = heading in fresh and rng.random() < 0.6
        heading = heading if straight_on else rng.choice(fresh or options)
        walked.add(_edge(node, heading))
        for step in range(1, steps_per_block + 1):
            x = (node[0] + heading[0] * step / steps_per_block) * BLOCK_M
            y = (node[1] + heading[1] * step / steps_per_block) * BLOCK_M
            x, y = x + rng.gauss(0, JITTER_M), y + rng.gauss(0, JITTER_M)
            coords.append(
                [
                    round(CENTRE[0] + x / per_lon, 7),
                    round(CENTRE[1] + y / METRES_PER_DEG_LAT, 7),
                ]
            )
        node = (node[0] + heading[0], node[1] + heading[1])
    return coords[:vertices]


def _outward(node: tuple[int, int], heading: tuple[int, int]) -> bool:
    return any(abs(n) >= RADIUS_BLOCKS and n * h > 0 for n, h in zip(node, heading, strict=True))


def _edge(
    node: tuple[int, int], heading: tuple[int, int]
) -> tuple[tuple[int, int], tuple[int, int]]:
    """The block from ``node`` in direction ``heading``, the same whichever way walked."""
    other = (node[0] + heading[0], node[1] + heading[1])
    return (min(node, other), max(node, other))


def _text(rng: random.Random, words: int) -> dict[str, str]:
    vocabulary = ["kalea", "plaza", "voces", "memoria", "barrio", "market", "river", "taller"]
    return {
        lang: " ".join(rng.choice(vocabulary) for _ in range(words)).capitalize()
        for lang in ("es", "eu", "en")
    }


def write_images(folder: Path, seed: int = 7) -> list[str]:
    """The images the tour names, written into ``folder``: their paths relative to it."""
    # Pillow only here: the import of this module stays what the pipeline imports.
    from PIL import Image

    folder.mkdir(parents=True, exist_ok=True)
    names = []
    for png in sorted(SAMPLE_IMAGES.glob("*.png")):
        shutil.copy(png, folder / png.name)
        names.append(f"{folder.name}/{png.name}")
    rng = random.Random(seed)
    noise = bytes(rng.getrandbits(8) for _ in range(160 * 120 * 3))
    photo = Image.frombytes("RGB", (160, 120), noise).resize((1600, 1200), Image.BICUBIC)
    out = io.BytesIO()
    photo.save(out, "JPEG", quality=85)
    (folder / "photo.jpg").write_bytes(out.getvalue())
    return [*names, f"{folder.name}/photo.jpg"]


def build_tour(
    vertices: int = 100_000, stops: int = 1_000, seed: int = 7, images: Sequence[str] = ()
) -> dict[str, Any]:
    """The benchmark document: one route, ``stops`` published stops near it, every
    ``IMAGE_EVERY``th showing one of ``images`` in turn (paths beside the file)."""
    rng = random.Random(seed)
    route = _route(vertices, rng)
    features: list[dict[str, Any]] = [
        {
            "type": "Feature",
            "geometry": {"type": "LineString", "coordinates": route},
            "properties": {
                "profile": "bidean-tour/1",
                "slug": "benchmark-walk",
                "title": _text(rng, 3),
                "summary": _text(rng, 12),
                "city": "Bilbao",
                "timezone": "Europe/Madrid",
                "districts": ["Zabala", "San Francisco"],
                "languages": ["es", "eu", "en"],
                "licence": "CC-BY-SA-4.0",
            },
        }
    ]
    for i in range(stops):
        lon, lat = rng.choice(route)
        features.append(
            {
                "type": "Feature",
                "geometry": {
                    "type": "Point",
                    "coordinates": [
                        round(lon + rng.uniform(-1e-4, 1e-4), 7),
                        round(lat + rng.uniform(-1e-4, 1e-4), 7),
                    ],
                },
                "properties": {
                    "id": f"stop-{i + 1}",
                    "name": _text(rng, 2),
                    "story": _text(rng, 40),
                    "status": "published",
                    "dwell_minutes": 5,
                },
            }
        )
        if images and i % IMAGE_EVERY == 0:
            url = images[(i // IMAGE_EVERY) % len(images)]
            media = {"url": url, "type": "image", "caption": _text(rng, 4), "alt": _text(rng, 6)}
            features[-1]["properties"]["media"] = [media]
    return {"type": "FeatureCollection", "features": features}


def _timed(work: Callable[[], Any]) -> float:
    start = time.perf_counter()
    work()
    return time.perf_counter() - start


def main() -> None:
    run_notes.begin()
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--vertices", type=int, default=100_000)
    parser.add_argument("--stops", type=int, default=1_000)
    parser.add_argument("--profile", action="store_true", help="cProfile one import")
    parser.add_argument("--sort", default="cumulative", help="order of the profile (tottime, ...)")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "benchmark-walk.geojson"
        images = write_images(Path(tmp) / "images")
        tour = build_tour(args.vertices, args.stops, images=images)
        path.write_text(json.dumps(tour), encoding="utf-8")
        data = path.read_bytes()
        options = ValidationOptions()

        check = check_path(path, options)
        if not check.valid:
            sys.exit("the benchmark tour is not valid:\n" + check.report.to_text())
        media = sum(len(f["properties"].get("media", ())) for f in tour["features"])

        counter = iter(range(10_000))

        def fresh_database() -> Any:
            engine = make_engine(f"sqlite:///{tmp}/bench-{next(counter)}.sqlite3")
            upgrade(engine)
            return make_sessionmaker(engine)

        def import_once(sessions: Any) -> None:
            result = validate_bytes(data, path.name, options)
            assert result.tour is not None
            # Stored as `bidean import` stores it (tours.content.workflows.intake): the
            # collector paused.
            with without_gc(), transaction(sessions, write_lock=True) as db_session:
                save_tour(db_session, result.tour, source_name=path.name)

        def import_with_images(sessions: Any) -> None:
            store = MediaStore(Path(tempfile.mkdtemp(dir=tmp, prefix="media-")))
            result = validate_with_media(path, options, store)
            assert result.tour is not None, result.report.to_text()
            with without_gc(), transaction(sessions, write_lock=True) as db_session:
                save_tour(db_session, result.tour, source_name=path.name)

        if args.profile:
            sessions = fresh_database()
            profiler = cProfile.Profile()
            profiler.runcall(import_once, sessions)
            pstats.Stats(profiler).sort_stats(args.sort).print_stats(30)
            profiler = cProfile.Profile()
            profiler.runcall(check_path, path, options)
            pstats.Stats(profiler).sort_stats(args.sort).print_stats(30)

        # Alternate the measurements so that all see the same machine load; take medians.
        # Each pair is timed with the cyclic garbage collector in the same state for both:
        # "on" (as a caller finds it: json.loads pays for the collections its allocations
        # trigger, and the import pauses the collector itself while it checks and stores,
        # tours.content.checking.pipeline.without_gc) and "paused" around both.
        times: dict[str, list[float]] = {"loads": [], "import": [], "loads'": [], "import'": []}
        checked: list[float] = []
        validated: list[float] = []
        validated_p: list[float] = []
        with_images: list[float] = []
        for _ in range(args.runs):
            times["loads"].append(_timed(lambda: json.loads(data)))
            validated.append(_timed(lambda: check_path(path, options)))
            sessions = fresh_database()
            times["import"].append(_timed(lambda s=sessions: import_once(s)))
            sessions = fresh_database()
            with_images.append(_timed(lambda s=sessions: import_with_images(s)))
            sessions = fresh_database()
            with without_gc():
                times["loads'"].append(_timed(lambda: json.loads(data)))
                times["import'"].append(_timed(lambda s=sessions: import_once(s)))
                checked.append(_timed(lambda: validate_bytes(data, path.name, options)))
                validated_p.append(_timed(lambda: check_path(path, options)))
        loads, imports, loads_p, imports_p = (statistics.median(t) for t in times.values())
        check = statistics.median(checked)
        validate, validate_p = statistics.median(validated), statistics.median(validated_p)
        imported = statistics.median(with_images)

    print(
        f"file: {len(data) / 1e6:.1f} MB, {args.vertices:,} route vertices, {args.stops:,} stops,"
        f" {media} images ({len(images)} files: {', '.join(Path(i).name for i in images)})"
    )
    n = args.runs
    print(f"medians of {n} runs; collector on:")
    print(f"  (a)  json.loads                        {loads * 1000:7.1f} ms")
    print(f"  (c)  bidean validate (image headers)   {validate * 1000:7.1f} ms")
    print(f"  (b)  validate + normalise + store      {imports * 1000:7.1f} ms")
    print(f"  (i)  (b) + images re-encoded once      {imported * 1000:7.1f} ms")
    print("collector paused:")
    print(f"  (a') json.loads                        {loads_p * 1000:7.1f} ms")
    print(f"  (b') validate + normalise + store      {imports_p * 1000:7.1f} ms")
    print(f"  (v') validate + normalise, no store    {check * 1000:7.1f} ms")
    print(f"  (c') bidean validate (image headers)   {validate_p * 1000:7.1f} ms")
    ratio, validate_ratio = imports / loads, validate / loads
    print(
        f"ratio c/a, validating with images (collector on in both): {validate_ratio:.1f}x"
        f" (goal <= {GOAL:g}x); i/a, importing with images: {imported / loads:.1f}x (shown)"
    )
    print(
        f"ratio b/a (collector on in both): {ratio:.1f}x (goal <= {GOAL:g}x); "
        f"b'/a' (collector paused in both): {imports_p / loads_p:.1f}x; "
        f"v'/a': {check / loads_p:.1f}x; c'/a': {validate_p / loads_p:.1f}x"
    )
    if validate_ratio > GOAL:
        sys.exit(f"validating takes {validate_ratio:.1f}x json.loads, above the goal of {GOAL:g}x")
    if ratio > GOAL:
        sys.exit(f"the import takes {ratio:.1f}x json.loads, above the goal of {GOAL:g}x")


if __name__ == "__main__":
    main()
