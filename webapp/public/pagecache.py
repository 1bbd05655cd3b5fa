"""The public pages' cache of rendered pages, as *shells*, and of their fragments.

A shell is the HTML of a page with holes where it changes per request (the CSP nonce,
the language switcher whose links keep the query string, the live booking sessions).
A shell is keyed by the tour's slug and version and whatever else the caller names
(language, the visitor's fallback languages as bounded by the tour's, tiles), so a new
version is a new key; the tour cache
(``webapp.common.tourcache``) drops the entries of a version it replaces.  Shells and
fragments live in the app's one byte-bounded LRU (``webapp.common.bytecache``,
``CACHE_MB``) beside the built tours; ``PAGE_CACHE=false`` turns this cache off.

A tour page's fragment is its shell with the departures block filled in, as a
``PiecedBody`` (``PageShell.pieced``): deflated once per list of walks, so that a request
only puts its nonce in (``webapp.common.httpcache``).
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable, Hashable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from flask import Flask, current_app
from markupsafe import Markup

from webapp.common.bytecache import ByteLRU, byte_cache, text_size
from webapp.common.httpcache import PiecedBody, piece_tag
from webapp.common.tourcache import tour_cache

EXTENSION_KEY = "bidean.pagecache"
# The kinds of entry this module keeps in the byte cache (the first item of their keys).
PAGE, FRAGMENT = "page", "fragment"

PageKey = tuple[str, int, Hashable]


class Holes:
    """Markers to render into a page where per-request content goes, one per hole name.

    Each set of markers carries a fresh random token, so no tour text can forge one.
    """

    def __init__(self, names: Iterable[str]) -> None:
        token = secrets.token_hex(16)
        self.markers = {name: f"bidean-hole-{token}-{name}" for name in names}
        longest_first = sorted(self.markers, key=len, reverse=True)
        self.pattern = re.compile(
            f"bidean-hole-{token}-({'|'.join(re.escape(name) for name in longest_first)})"
        )

    def __getattr__(self, name: str) -> Markup:
        """``{{ page_holes.sessions }}`` in a template: the marker, safe as HTML or attribute."""
        marker = self.__dict__.get("markers", {}).get(name)
        if marker is None:
            raise AttributeError(name)  # Jinja then sees an undefined value
        return Markup(marker)


@dataclass(frozen=True)
class PageShell:
    """A rendered page cut at its holes: ``parts[0] hole[0] parts[1] ... parts[-1]``; its
    ``tag`` names its content (for ETags)."""

    parts: tuple[str, ...]
    holes: tuple[str, ...]
    tag: str = ""

    @classmethod
    def cut(cls, html: str, holes: Holes, once: Iterable[str] = ()) -> PageShell:
        """Cut ``html`` at ``holes``' markers; each name in ``once`` must appear exactly once."""
        pieces = holes.pattern.split(html)
        parts, names = tuple(pieces[0::2]), tuple(pieces[1::2])
        for name in once:
            if names.count(name) != 1:
                raise ValueError(f"the page has {names.count(name)} '{name}' holes, not 1")
        return cls(parts, names, piece_tag((*parts, *names)))

    @property
    def size(self) -> int:
        """Bytes the shell's text takes in memory."""
        return text_size(self.parts) + text_size(self.holes) + text_size((self.tag,))

    def fill(self, values: Mapping[str, str]) -> str:
        """The page with every hole filled from ``values`` (already escaped HTML)."""
        out = [self.parts[0]]
        for hole, part in zip(self.holes, self.parts[1:], strict=True):
            out.append(values[hole])
            out.append(part)
        return "".join(out)

    def pieced(
        self, values: Mapping[str, str], widths: Mapping[str, int], level: int | None
    ) -> PiecedBody:
        """The page with the holes named in ``values`` filled (the departures block), the
        others left for each request, as a ``PiecedBody`` deflated at ``level`` around
        holes of the ``widths`` given."""
        segments, holes = [self.parts[0]], []
        for hole, part in zip(self.holes, self.parts[1:], strict=True):
            if hole in values:
                segments[-1] += values[hole] + part
            else:
                holes.append(hole)
                segments.append(part)
        return PiecedBody(segments, holes, widths, level)


class Sized(Protocol):
    """What a cache keeps: it says how many bytes it holds."""

    @property
    def size(self) -> int: ...


class PageCache:
    """Page shells and fragments in the app's byte-bounded LRU; ``enabled=False`` keeps
    none (every page is rendered afresh)."""

    def __init__(self, cache: ByteLRU, enabled: bool = True) -> None:
        self.cache = cache
        self.enabled = enabled

    @property
    def page_count(self) -> int:
        return self.cache.count(PAGE)

    @property
    def fragment_count(self) -> int:
        return self.cache.count(FRAGMENT)

    def held(self, kind: str) -> list[Any]:
        """The entries of ``kind`` (``PAGE`` or ``FRAGMENT``) held now."""
        return self.cache.values(kind)

    def page(self, key: PageKey, render: Callable[[], PageShell]) -> PageShell:
        """The shell cached under ``key`` (``(slug, version, anything else)``), or ``render()``."""
        full = (PAGE, *key)
        shell = self.cache.get(full)
        if shell is not None:
            return shell
        # Rendered outside the lock: two threads may both render a new key, harmlessly.
        shell = render()
        if self.enabled:
            self.cache.put(full, shell, shell.size)
        return shell

    def fragment(self, key: PageKey, render: Callable[[], tuple[Sized, bool]]) -> Any:
        """What is cached under ``key`` (``(slug, version, anything else)``), or what
        ``render()`` gives (with its ``size`` in bytes), kept if it says so.

        A fragment is looked up by everything it is made from, live data included (a tour
        page's departures block by the version of the walks it lists), so it is never
        stale: new data is a new key, and the old key's entry ages out.
        """
        full = (FRAGMENT, *key)
        found = self.cache.get(full)
        if found is not None:
            return found
        found, keep = render()
        if keep and self.enabled:
            self.cache.put(full, found, found.size)
        return found


def init_app(app: Flask) -> None:
    """The app's page cache, after its tour cache (whose new versions drop old pages)."""
    enabled = app.config["PAGE_CACHE"]
    app.extensions[EXTENSION_KEY] = PageCache(byte_cache(app), enabled=enabled)
    tour_cache(app).keyed_by_version((PAGE, FRAGMENT))


def page_cache(app: Flask | None = None) -> PageCache:
    return (app or current_app).extensions[EXTENSION_KEY]
