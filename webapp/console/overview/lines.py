"""How the dashboard and the calendar show a walk: its title in the reader's language,
its time where it happens, its guide's name, seats and arrivals."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from tours.booking.agenda import AgendaWalk
from tours.i18n import LocalizedText


def title_in(title: Mapping[str, Any], lang: str, fallback: str) -> str:
    """``title`` in ``lang`` or the nearest language it has; ``fallback`` when empty."""
    found = LocalizedText(dict(title)).resolve(lang, list(title))
    return found.text if found is not None and found.text.strip() else fallback


@dataclass(frozen=True)
class WalkLine:
    """One walk as a line of the dashboard or a cell of the calendar."""

    id: int
    title: str
    starts_at: datetime  # aware, in the walk's own timezone
    language: str
    capacity: int
    booked: int
    guide_name: str | None
    cancelled: bool
    waiting: int
    arrived: int | None  # people checked in, once the walk has started

    @property
    def day(self) -> date:
        return self.starts_at.date()


def walk_lines(
    walks: Iterable[AgendaWalk],
    lang: str,
    names: Mapping[str, str],
    arrived: Mapping[int, int] | None = None,
    now: datetime | None = None,
) -> list[WalkLine]:
    """``walks`` as lines; ``arrived`` counts are given for those started by ``now``."""
    lines = []
    for walk in walks:
        started = now is not None and walk.starts_at <= now and not walk.cancelled
        lines.append(
            WalkLine(
                id=walk.id,
                title=title_in(walk.title, lang, walk.slug),
                starts_at=walk.starts_at.astimezone(ZoneInfo(walk.timezone)),
                language=walk.language,
                capacity=walk.capacity,
                booked=walk.booked,
                guide_name=names.get(walk.guide_id or ""),
                cancelled=walk.cancelled,
                waiting=walk.waiting,
                arrived=(arrived or {}).get(walk.id, 0) if started else None,
            )
        )
    return lines
