"""The printable stop list of the replication kit: one self-contained HTML file.

No external assets (no fonts, scripts, images or links it needs to fetch): an inline
print stylesheet lays it out on A4, one section per language starting on a new page,
with ``lang`` and ``dir`` set so Arabic and other right-to-left texts read correctly.
Every text is escaped for HTML.
"""

from __future__ import annotations

from collections.abc import Mapping
from html import escape

from tours.i18n import base_language
from tours.tour.domain import Stop, Tour

RTL = frozenset({"ar", "fa", "he", "ur", "yi", "ps", "dv", "ckb", "sd", "ug"})

#: Headings in English; the web layer passes them translated, per section language.
DEFAULT_LABELS = {
    "stops": "Stops",
    "credits": "Credits",
    "licence": "Licence",
    "minutes": "About {minutes} minutes",
    "told_by": "Told by {name}",
    "told_by_neighbour": "Told by a neighbour of {district}",
}

STYLE = """
@page { size: A4; margin: 18mm 16mm; }
html { font-family: Georgia, "Noto Serif", serif; font-size: 11pt; line-height: 1.45;
       color: #000; background: #fff; }
body { max-width: 178mm; margin: 0 auto; padding: 1em; }
h1 { font-size: 20pt; margin: 0 0 .3em; }
h2 { font-size: 14pt; margin: 1.2em 0 .3em; }
h3 { font-size: 12pt; margin: 1em 0 .2em; break-after: avoid; page-break-after: avoid; }
section.language + section.language { break-before: page; page-break-before: always; }
ol.stops { padding-inline-start: 1.6em; }
ol.stops > li { break-inside: avoid-page; page-break-inside: avoid; margin-bottom: .8em; }
p { margin: .3em 0; orphans: 3; widows: 3; }
.meta { color: #333; }
@media screen { body { padding: 2em; } }
"""


def _paragraphs(text: str) -> str:
    parts = [p.strip() for p in text.replace("\r\n", "\n").split("\n\n") if p.strip()]
    return "".join(f"<p>{escape(p).replace(chr(10), '<br>')}</p>" for p in parts)


def tellers(stop: Stop, tour: Tour) -> list[tuple[str | None, str]]:
    """The credit of each resident's contribution to ``stop`` (its ``contributions``, see
    ``tours.stories.document``): the name they chose (None: anonymous) and the place an
    anonymous teller is a neighbour of (else the tour's first district, else its city)."""
    found = []
    for entry in stop.extra.get("contributions") or ():
        if not isinstance(entry, Mapping) or entry.get("withdrawn"):
            continue
        place = entry.get("neighbourhood") or (tour.districts[0] if tour.districts else tour.city)
        found.append((entry.get("credit") or None, str(place)))
    return found


def _told(stop: Stop, tour: Tour, said: Mapping[str, str]) -> str:
    """The stop's credit lines, each name isolated (``bdi``) in the section's direction."""
    lines = [
        escape(said["told_by"]).replace("{name}", f"<bdi>{escape(name)}</bdi>")
        if name
        else escape(said["told_by_neighbour"]).replace("{district}", f"<bdi>{escape(place)}</bdi>")
        for name, place in tellers(stop, tour)
    ]
    return "".join(f'<p class="meta told-by">{line}</p>' for line in lines)


def _direction(language: str) -> str:
    return "rtl" if base_language(language) in RTL else "ltr"


def printable_html(tour: Tour, labels: Mapping[str, Mapping[str, str]] | None = None) -> str:
    """The stop list in walking order, a section per tour language with its stories."""
    labels = labels or {}
    stops = tour.ordered_public_stops()
    sections = []
    for language in tour.languages:
        said = {**DEFAULT_LABELS, **labels.get(language, {})}
        tag, direction = escape(language), _direction(language)
        items = []
        for stop in stops:
            name = stop.name.get(language) or stop.name.get_text(language, tour.default_language)
            story = stop.story.get(language, "")
            told = _told(stop, tour, said)
            items.append(f"<li><h3>{escape(name)}</h3>{_paragraphs(story)}{told}</li>")
        summary = tour.summary.get(language, "")
        duration = ""
        if tour.duration_minutes:
            text = said["minutes"].replace("{minutes}", str(tour.duration_minutes))
            duration = f'<p class="meta">{escape(text)}</p>'
        credits = tour.credits.get(language) or tour.credits.get_text(
            language, tour.default_language
        )
        sections.append(
            f'<section class="language" lang="{tag}" dir="{direction}">'
            f"<h1>{escape(tour.title.get_text(language, tour.default_language))}</h1>"
            f'<p class="meta">{escape(tour.city)}</p>{duration}{_paragraphs(summary)}'
            f"<h2>{escape(said['stops'])}</h2>"
            f'<ol class="stops">{"".join(items)}</ol>'
            f"<h2>{escape(said['credits'])}</h2>{_paragraphs(credits)}"
            f"<p>{escape(said['licence'])}: {escape(tour.licence)}</p>"
            "</section>"
        )
    first = escape(tour.default_language)
    title = escape(tour.title.get_text(tour.default_language))
    return (
        f'<!DOCTYPE html>\n<html lang="{first}" dir="{_direction(tour.default_language)}">'
        f'<head><meta charset="utf-8"><meta name="viewport" content="width=device-width">'
        f"<title>{title}</title><style>{STYLE}</style></head>"
        f"<body>{''.join(sections)}</body></html>\n"
    )
