"""Line and column of JSON pointers in the text of a JSON file.

Python's ``json`` parser keeps no positions, so after a file has been parsed and checked
this module walks its text once more with a C-speed tokenizer (strings and the six
structural characters; numbers and literals lie between tokens and need no visit) and
notes where the wanted pointers' values begin.  It only runs when a report has
problems, and only follows paths that lead to a wanted pointer deeply enough to matter:
containers no wanted pointer goes into (a route's coordinates, most of a file) are
stepped over by the C parser, and the walk stops as soon as every wanted value is placed.

A pointer to a member that does not exist (``/features/3/properties/story`` in a stop
without a story) is placed at the nearest enclosing value that does; so is a pointer to
a number, ``true``, ``false`` or ``null``, which are not tokens here (their container is
close enough for a person to find them).
"""

from __future__ import annotations

import bisect
import json
import re
from collections.abc import Iterable

_TOKEN = re.compile(r'"(?:[^"\\]|\\.)*"|[\[\]{},:]', re.DOTALL)
_DECODER = json.JSONDecoder()


def _escape(part: str) -> str:
    return part.replace("~", "~0").replace("/", "~1")


def _prefixes(pointer: str) -> list[str]:
    parts = pointer.split("/")[1:] if pointer else []
    return ["/" + "/".join(parts[:i]) if i else "" for i in range(len(parts) + 1)]


def pointer_positions(text: str, pointers: Iterable[str]) -> dict[str, tuple[int, int]]:
    """``{pointer: (line, column)}`` (1-based) for each wanted pointer, or for the nearest
    enclosing value that exists; the root is where the first value starts."""
    wanted = set(pointers)
    if not wanted:
        return {}
    prefixes = {p for w in wanted for p in _prefixes(w)}
    depth_needed = max(w.count("/") for w in wanted)
    found: dict[str, int] = {}
    # Stack entries: [pointer of the container, kind "{" or "[", next index, pending key].
    stack: list[list[object]] = []
    path = ""
    position = 0
    search = _TOKEN.search
    unplaced = len(wanted)
    while unplaced:  # once every wanted value is placed, the rest of the text cannot matter
        match = search(text, position)
        if match is None:
            break
        token = match.group()
        position = match.end()
        if token == ":":
            continue
        if stack and stack[-1][1] == "{" and token.startswith('"') and stack[-1][3] is None:
            stack[-1][3] = json.loads(token)
            continue
        if token == ",":
            if stack and stack[-1][1] == "[":
                stack[-1][2] = int(stack[-1][2]) + 1  # type: ignore[call-overload]
            elif stack:
                stack[-1][3] = None
            continue
        if token in "]}":
            stack.pop()
            continue
        # A value starts here: a string or a container.
        if stack:
            top = stack[-1]
            key = top[3] if top[1] == "{" else top[2]
            path = f"{top[0]}/{_escape(str(key))}"
        else:
            path = ""
        if path in prefixes and path not in found:
            found[path] = match.start()
            unplaced -= path in wanted
            if not unplaced:
                break
        if token in "[{":
            if path not in prefixes or path.count("/") >= depth_needed:
                # No wanted pointer goes inside: step over the whole container at C speed
                # (a route's coordinates are most of a file's tokens).
                position = _skip_value(text, match.start())
                continue
            stack.append([path, token, 0, None])
    lines = _line_starts(text)
    result = {}
    for pointer in wanted:
        for prefix in reversed(_prefixes(pointer)):
            if prefix in found:
                result[pointer] = _line_column(lines, found[prefix])
                break
        else:
            result[pointer] = (1, 1)
    return result


def _skip_value(text: str, start: int) -> int:
    """The offset just after the JSON value (a container) that starts at ``start``."""
    try:
        return _DECODER.raw_decode(text, start)[1]
    except (ValueError, RecursionError):  # not JSON after all: walk its tokens instead
        depth, position = 0, start
        for match in _TOKEN.finditer(text, start):
            token = match.group()
            if token in "[{":
                depth += 1
            elif token in "]}":
                depth -= 1
            position = match.end()
            if depth == 0:
                break
        return position


def _line_starts(text: str) -> list[int]:
    starts = [0]
    starts.extend(m.end() for m in re.finditer("\n", text))
    return starts


def _line_column(line_starts: list[int], offset: int) -> tuple[int, int]:
    line = bisect.bisect_right(line_starts, offset)
    return line, offset - line_starts[line - 1] + 1
