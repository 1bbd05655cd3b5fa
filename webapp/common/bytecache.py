"""One LRU per worker for everything Bidean keeps in memory, bounded in bytes.

Built tours, rendered tour pages and their fragments, map fragments and GeoJSON bodies
all live in one ``ByteLRU`` per app (``byte_cache()``), its budget set by ``CACHE_MB``
(``BIDEAN_CACHE_MB``).  Keys are tuples whose first item names what kind of entry it is
(``"tour"``, ``"page"``, ``"map"`` ...), so one budget covers them all and the least
recently used entry goes first, whatever its kind.

Sizes: text is measured exactly as CPython holds it (``sys.getsizeof`` of each string);
objects (a built tour) are *estimated* once when stored by ``deep_size``, which walks
their attributes, containers and strings and adds up ``sys.getsizeof`` of each object
it reaches once (shared objects count once; NumPy arrays count their buffers).  That
misses allocator overhead (a few percent), so leave some room when sizing a worker.
An entry over a quarter of the budget is not kept at all, so one huge tour cannot flush
every other page.
"""

from __future__ import annotations

import sys
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterable
from dataclasses import fields, is_dataclass
from typing import Any, TypeVar

from flask import Flask, current_app

EXTENSION_KEY = "bidean.bytecache"
MB = 1024 * 1024
#: The largest share of the budget one entry may take.
LARGEST_ENTRY_SHARE = 4

T = TypeVar("T")


class ByteLRU:
    """A thread-safe LRU map whose entries' sizes (in bytes) add up to at most ``max_bytes``."""

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max(0, int(max_bytes))
        self._items: OrderedDict[Hashable, tuple[Any, int]] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._items)

    def __contains__(self, key: Hashable) -> bool:
        return key in self._items

    @property
    def bytes(self) -> int:
        """The sizes of the entries held now, added up."""
        return self._bytes

    def count(self, kind: str) -> int:
        """How many entries of ``kind`` (the first item of their key) are held."""
        with self._lock:
            return sum(1 for key in self._items if _kind(key) == kind)

    def values(self, kind: str) -> list[Any]:
        """The values of the entries of ``kind`` held now, least recently used first."""
        with self._lock:
            return [value for key, (value, _) in self._items.items() if _kind(key) == kind]

    def get(self, key: Hashable) -> Any | None:
        with self._lock:
            found = self._items.get(key)
            if found is None:
                return None
            self._items.move_to_end(key)
            return found[0]

    def put(self, key: Hashable, value: Any, size: int) -> bool:
        """Keep ``value`` under ``key``, evicting the least recently used entries to make
        room; False (and nothing kept) when it is larger than a quarter of the budget."""
        size = max(1, int(size))
        with self._lock:
            old = self._items.pop(key, None)
            if old is not None:
                self._bytes -= old[1]
            if size * LARGEST_ENTRY_SHARE > self.max_bytes:
                return False
            self._items[key] = (value, size)
            self._bytes += size
            while self._bytes > self.max_bytes:
                _, (_, evicted) = self._items.popitem(last=False)
                self._bytes -= evicted
            return True

    def get_or_make(self, key: Hashable, make: Callable[[], T], size_of: Callable[[T], int]) -> T:
        """The value under ``key``, or ``make()`` kept with its ``size_of``.

        Made outside the lock: two threads may both make a new key, harmlessly.
        """
        found = self.get(key)
        if found is not None:
            return found
        value = make()
        self.put(key, value, size_of(value))
        return value

    def discard(self, keep: Callable[[Hashable], bool]) -> int:
        """Drop every entry whose key ``keep`` rejects; returns how many went."""
        with self._lock:
            gone = [key for key in self._items if not keep(key)]
            for key in gone:
                self._bytes -= self._items.pop(key)[1]
            return len(gone)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
            self._bytes = 0


def _kind(key: Hashable) -> object:
    return key[0] if isinstance(key, tuple) and key else None


def text_size(texts: Iterable[str | bytes]) -> int:
    """The memory the strings ``texts`` take, exactly as CPython holds them."""
    return sum(sys.getsizeof(text) for text in texts)


_ATOMS = (str, bytes, int, float, bool, type(None), complex)


def deep_size(obj: object) -> int:
    """An estimate of the memory ``obj`` holds: ``sys.getsizeof`` of every object reachable
    through containers, dataclass fields, ``__dict__`` and ``__slots__``, each counted once.

    Classes, functions and modules are not followed (they are shared by every entry).
    """
    seen: set[int] = set()
    total = 0
    stack = [obj]
    while stack:
        item = stack.pop()
        if id(item) in seen or isinstance(item, type) or callable(item):
            continue
        seen.add(id(item))
        nbytes = getattr(item, "nbytes", None)  # NumPy arrays: their buffer
        if isinstance(nbytes, int) and not isinstance(item, _ATOMS):
            total += sys.getsizeof(item) + nbytes
            continue
        total += sys.getsizeof(item)
        if isinstance(item, _ATOMS):
            continue
        if isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, (list, tuple, set, frozenset)):
            stack.extend(item)
        else:
            if is_dataclass(item):
                stack.extend(getattr(item, f.name, None) for f in fields(item))
            instance = getattr(item, "__dict__", None)
            if instance is not None:
                stack.append(instance)
            for slot in getattr(type(item), "__slots__", ()):
                stack.append(getattr(item, slot, None))
    return total


def init_app(app: Flask) -> None:
    megabytes = app.config["CACHE_MB"]
    app.extensions[EXTENSION_KEY] = ByteLRU(int(megabytes * MB))


def byte_cache(app: Flask | None = None) -> ByteLRU:
    """This app's cache (per app, so two apps on different databases never share entries)."""
    app = app or current_app
    cache = app.extensions.get(EXTENSION_KEY)
    if cache is None:
        init_app(app)
        cache = app.extensions[EXTENSION_KEY]
    return cache
