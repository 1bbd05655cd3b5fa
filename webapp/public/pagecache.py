"""The public pages' cache of rendered pages, as *shells*, and of their fragments.

A shell is the HTML of a page with holes where it changes per request (the CSP nonce,
the language switcher whose links keep the query string, the live booking sessions).
A shell is keyed by the tour's slug and version and whatever else the caller names
(language, the visitor's fallback languages as bounded by the tour's, tiles), so a new
version is a new key; the tour cache
(``webapp.common.tourcache``) drops the entries of a version it replaces.  Shells and
fragments live in the app's one byte-bounded LRU (``webapp.common.bytecache``,
``CACHE_MB``) beside the built tours; ``PAGE_CACHE=false`` turns this cache off.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable, Hashable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from flask import Flask, current_app
from markupsafe import Markup

from webapp.common.bytecache import ByteLRU, byte_cache, text_size
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
    """A rendered page cut at its holes: ``parts[0] hole[0] parts[1] ... parts[-1]``."""

    parts: tuple[str, ...]
    holes: tuple[str, ...]

    @classmethod
    def cut(cls, html: str, holes: Holes, once: Iterable[str] = ()) -> PageShell:
        """Cut ``html`` at ``holes``' markers; each name in ``once`` must appear exactly once."""
        pieces = holes.pattern.split(html)
        shell = cls(tuple(pieces[0::2]), tuple(pieces[1::2]))
        for name in once:
            if shell.holes.count(name) != 1:
                raise ValueError(f"the page has {shell.holes.count(name)} '{name}' holes, not 1")
        return shell

    @property
    def size(self) -> int:
        """Bytes the shell's text takes in memory."""
        return text_size(self.parts) + text_size(self.holes)

    def fill(self, values: Mapping[str, str]) -> str:
        """The page with every hole filled from ``values`` (already escaped HTML)."""
        out = [self.parts[0]]
        for hole, part in zip(self.holes, self.parts[1:], strict=True):
            out.append(values[hole])
            out.append(part)
        return "".join(out)


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

    def fragment(self, key: PageKey, render: Callable[[], tuple[str, bool]]) -> str:
        """The HTML cached under ``key`` (``(slug, version, anything else)``), or what
        ``render()`` gives, kept if it says so.

        A fragment is looked up by everything it is rendered from, live data included (a
        sessions block by its sessions and their seats), so it is never stale: new data
        is a new key, and the old key's entry ages out.
        """
        full = (FRAGMENT, *key)
        html = self.cache.get(full)
        if html is not None:
            return html
        html, keep = render()
        if keep and self.enabled:
            self.cache.put(full, html, text_size((html,)))
        return html


def init_app(app: Flask) -> None:
    """The app's page cache, after its tour cache (whose new versions drop old pages)."""
    enabled = app.config["PAGE_CACHE"]
    app.extensions[EXTENSION_KEY] = PageCache(byte_cache(app), enabled=enabled)
    tour_cache(app).keyed_by_version((PAGE, FRAGMENT))


def page_cache(app: Flask | None = None) -> PageCache:
    return (app or current_app).extensions[EXTENSION_KEY]
