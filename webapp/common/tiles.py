"""Map tiles: where they come from (``BIDEAN_TILES_URL``) and their attribution, made safe.

Read by the map builder on every render and checked once at start-up by the assets
blueprint (which also puts the tile host into the Content-Security-Policy).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from html.parser import HTMLParser
from typing import Any

from markupsafe import Markup, escape

from webapp.common.settings import SettingError


@dataclass(frozen=True)
class TileConfig:
    """Where map tiles come from; ``attribution`` is already reduced to safe HTML."""

    url: str
    attribution: str


def tiles_from_config(config: Mapping[str, Any]) -> TileConfig | None:
    """The tile layer from ``TILES_URL``/``TILES_ATTRIBUTION``; None when set to ``none``."""
    return _tiles(config["TILES_URL"], config["TILES_ATTRIBUTION"])


@lru_cache(maxsize=16)
def _tiles(url: str, attribution: str) -> TileConfig | None:
    url = url.strip()
    if url.lower() in ("", "none"):
        return None
    if not url.startswith(("https://", "http://", "/")) or not all(
        part in url for part in ("{z}", "{x}", "{y}")
    ):
        raise SettingError(
            f"BIDEAN_TILES_URL={url!r} is not a tile URL template: use an http(s) URL with "
            "{z}, {x} and {y}, such as https://tile.openstreetmap.org/{z}/{x}/{y}.png, "
            "or 'none' for a map without tiles."
        )
    return TileConfig(url, clean_attribution(attribution))


class _AttributionCleaner(HTMLParser):
    """Keeps text and http(s) links; every other tag and attribute is dropped."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.out: list[str] = []
        self.links: list[bool] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag != "a":
            return
        href = (dict(attrs).get("href") or "").strip()
        keep = href.lower().startswith(("https://", "http://"))
        self.links.append(keep)
        if keep:
            self.out.append(str(Markup('<a href="{}" rel="noopener noreferrer">').format(href)))

    def handle_endtag(self, tag: str) -> None:
        if tag == "a" and self.links and self.links.pop():
            self.out.append("</a>")

    def handle_data(self, data: str) -> None:
        self.out.append(str(escape(data)))

    def result(self) -> str:
        self.close()
        return "".join(self.out) + "</a>" * sum(self.links)


def clean_attribution(raw: str) -> str:
    """Tile attribution as Leaflet will show it (as HTML): text and plain links only."""
    cleaner = _AttributionCleaner()
    cleaner.feed(raw)
    return cleaner.result()
