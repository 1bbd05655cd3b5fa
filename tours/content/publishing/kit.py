"""The replication kit: everything another city needs to start its own version of a tour,
in one zip file (``GET /tours/<slug>/kit.zip``).

Contents (``<slug>`` is the tour's slug)::

    <slug>/README.md                      how to import it, what is in it
    <slug>/<slug>.geojson                 the tour in the Bidean profile (published stops)
    <slug>/<slug>.gpx                     GPX 1.1, texts in the tour's first language
    <slug>/stops.html                     printable stop list, every language (A4)
    <slug>/CREDITS.txt                    credits in every language, and the licence
    <slug>/translations/<slug>.<lang>.csv one translation file per other language

Only what the public already sees goes in: the document is the tour's public one
(published stops, no guide scripts), and nothing about bookings or bookers exists in a
tour document.  The caller gives the tour with residents' contributions only as their
consent allows kits, and the lines saying what was left out and why (``left_out``), which
the README lists.  The GeoJSON is exactly what ``bidean import`` reads back into an equal
tour (the public tour: its stops numbered 1, 2, 3… in walking order).
The zip is reproducible: same tour version, same bytes.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Mapping, Sequence

import geojson

from tours.content.publishing.export import licence_url, to_geojson, to_gpx
from tours.content.publishing.kit_html import printable_html, tellers
from tours.content.translation.translation_csv import write_csv
from tours.content.translation.translations import PUBLIC_FIELDS, counted_stops, tour_texts
from tours.tour.domain import Tour

_EPOCH = (1980, 1, 1, 0, 0, 0)

README = """# {title}

Replication kit of the Bidean tour `{slug}` (version {version}, {city}).
Licence of the texts: {licence} (see CREDITS.txt){source}.

## What is in it

- `{slug}.geojson`: the tour in the Bidean tour profile (route, stops in order, texts in
  {languages}). Import it as it is.
- `{slug}.gpx`: the route as a GPX track and the stops as waypoints, for OsmAnd, Komoot
  or a GPS.
- `stops.html`: the stops in walking order with their stories, one section per
  language; open it in a browser and print it (A4).
- `CREDITS.txt`: who made the tour, and its licence. Keep the credits when you adapt it.
- `translations/`: one CSV per language other than {source_language}: a row per stop
  and field (`name`, `story`) with the {source_language} text beside the translation.

## Start your own version

On a Bidean site (you need a coordinator account or the `bidean` command):

    bidean import {slug}.geojson                   # the tour as it is
    bidean fork {slug} --city "Your city"          # then: a draft copy for your city

or upload `{slug}.geojson` on the console page `/console/tours/import`, then use
"Fork" on `/console/tours/{slug}/fork`.  A fork is a draft: its to-do list
(`bidean tours --json`) says what to do (draw your route, place and rewrite each
stop, name your districts).  `bidean publish SLUG` publishes it when it is complete.

## Translating

The CSV files open in any spreadsheet (UTF-8). Cells that start with `'` were
protected from being read as formulas; leave the quote, Bidean removes it.  Once the
tour is imported on your site, make a fresh file there and copy your texts into it
(the `version` column must match the tour's version on your site):

    bidean translations export SLUG --language pl -o pl.csv
    bidean translations import SLUG pl.csv

`bidean translations report SLUG` shows what is still missing in each language.

Images named `media:…` and recordings named `audio:…` in the GeoJSON are stored on the
original site; replace them with your own.  The guides' scripts are not part of the kit.
"""

LEFT_OUT = """
## Left out

Residents told some of this tour's stories, and each chose where their story, photos and
recording may appear. What they did not agree to share in kits and exports is not in
this kit:

{lines}
"""


def _write(archive: zipfile.ZipFile, name: str, text: str) -> None:
    info = zipfile.ZipInfo(name, date_time=_EPOCH)
    info.compress_type = zipfile.ZIP_DEFLATED
    info.external_attr = 0o644 << 16
    archive.writestr(info, text.encode("utf-8"))


def credits_text(tour: Tour) -> str:
    default = tour.default_language
    lines = [tour.title.get_text(tour.default_language), ""]
    for language in tour.credits.languages:
        lines += [f"[{language}]", tour.credits[language].strip(), ""]
    # The copyright a source file stated (a GPX <copyright>): its holder and year.
    copyright = tour.extra.get("copyright")
    if isinstance(copyright, dict) and (copyright.get("author") or copyright.get("year")):
        held = " ".join(str(copyright[k]) for k in ("year", "author") if copyright.get(k))
        lines += [f"Copyright © {held}", ""]
    told = [
        f"- {name or f'a neighbour of {place}'}: {stop.name.get_text(default) or stop.id}"
        for stop in tour.ordered_public_stops()
        for name, place in tellers(stop, tour)
    ]
    if told:
        lines += ["Told by residents (credited as each chose):", *told, ""]
    lines.append(f"Licence: {tour.licence} ({licence_url(tour.licence)})")
    return "\n".join(lines) + "\n"


def public_document(tour: Tour) -> dict:
    """The public profile document (published stops, never scripts), the stops numbered
    1, 2, 3… in walking order: without the draft stops a stored ``order`` may have gaps,
    which an import would close, so the kit's file is already what an import stores."""
    document = tour.to_document(published_only=True)
    walking = {stop.id: n for n, stop in enumerate(tour.ordered_public_stops(), start=1)}
    for feature in document["features"][1:]:
        props = feature["properties"]
        if feature["geometry"]["type"] == "Point" and props.get("id") in walking:
            props["order"] = walking[props["id"]]
    return document


def build_kit(
    tour: Tour,
    version: int,
    *,
    labels: Mapping[str, Mapping[str, str]] | None = None,
    source_url: str | None = None,
    left_out: Sequence[str] = (),
) -> bytes:
    """The kit of ``tour`` (a stored, published version) as zip bytes.

    ``labels`` are the printable list's headings per language (English by default);
    ``source_url`` is the public page of the tour, named in the README; ``left_out`` the
    README's lines of what residents' consent kept out of the kit, and why.
    """
    document = public_document(tour)
    slug, default = tour.slug, tour.default_language
    folder = f"{slug}/"
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        _write(
            archive,
            folder + "README.md",
            README.format(
                title=tour.title.get_text(default),
                slug=slug,
                version=version,
                city=tour.city,
                licence=tour.licence,
                source=f"; original at {source_url}" if source_url else "",
                languages=", ".join(tour.languages),
                source_language=default,
            )
            + (
                LEFT_OUT.format(lines="\n".join(f"- {line}" for line in left_out))
                if left_out
                else ""
            ),
        )
        _write(
            archive,
            f"{folder}{slug}.geojson",
            geojson.dumps(to_geojson(document), ensure_ascii=False, indent=2) + "\n",
        )
        _write(archive, f"{folder}{slug}.gpx", to_gpx(document, default))
        _write(archive, folder + "stops.html", printable_html(tour, labels))
        _write(archive, folder + "CREDITS.txt", credits_text(tour))
        stops, own = counted_stops(document), tour_texts(document)
        for language in tour.languages[1:]:
            text = write_csv(slug, version, stops, PUBLIC_FIELDS, default, language, own)
            _write(archive, f"{folder}translations/{slug}.{language}.csv", text)
    return buffer.getvalue()
