"""Bar charts drawn on the server as SVG: no script, no library, nothing from a CDN.

Three charts of a few bars each (people per month, per language, ratings) do not need a
charting library: SVG written by the template works without JavaScript, under the strict
content security policy, on paper, and reads to a screen reader as one image with a title
and a description (``role="img"``); the table under each chart gives every figure.
Bars are computed here, the template only draws them.  A small cell (1 to 4 people)
draws no bar and says "fewer than 5", so the picture tells no more than the table.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from guides.impact import protected

ROW = 28  # height of one bar's row, in SVG units
LABEL = 150  # width of the labels' column
BAR = 300  # the longest bar
WIDTH = LABEL + BAR + 110


@dataclass(frozen=True)
class Bar:
    label: str
    shown: str  # the value as the table shows it
    y: int
    width: int  # 0 for none or a small cell

    @property
    def text_y(self) -> int:
        return self.y + ROW // 2 + 5


@dataclass(frozen=True)
class Chart:
    key: str  # the id of its title, description and table
    title: str
    description: str
    bars: tuple[Bar, ...]
    label: int = LABEL
    width: int = WIDTH

    @property
    def height(self) -> int:
        return max(1, len(self.bars)) * ROW + 8


def bar_chart(
    key: str,
    title: str,
    description: str,
    values: Iterable[tuple[str, int]],
    show: Callable[[int | str], str],
) -> Chart:
    """A horizontal bar per (label, count of people); counts under 5 draw no bar."""
    rows = list(values)
    visible = [count for _, count in rows if protected(count) == count]
    top = max(visible, default=0) or 1
    bars = tuple(
        Bar(
            label=label,
            shown=show(protected(count)),
            y=4 + index * ROW,
            width=round(BAR * count / top) if protected(count) == count else 0,
        )
        for index, (label, count) in enumerate(rows)
    )
    return Chart(key, title, description, bars)
