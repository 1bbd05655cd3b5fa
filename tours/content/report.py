"""Validation reports: every problem at once, each with a stable code and a JSON pointer.

The text form groups repeats (the same code at the same kind of place, such as 201 stops
without a story) into one line that gives the count, the range and the first instance;
the JSON form keeps every instance.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"


def pointer(*parts: str | int) -> str:
    """An RFC 6901 JSON pointer: ``pointer("features", 3)`` -> ``/features/3``."""
    return "".join("/" + str(p).replace("~", "~0").replace("/", "~1") for p in parts)


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a document.

    ``code`` is stable and its prefix says which level it breaks: ``json.`` (syntax and
    encoding), ``geojson.`` (RFC 7946) or ``profile.`` (the Bidean tour profile).
    ``pointer`` is an RFC 6901 pointer ("" for the whole document); ``line`` and
    ``column`` say where it is in the file (always set when the file could not be
    parsed, and looked up from the parser's positions when it could).  ``file`` names
    the file when a report covers several (an assembled tour).  ``message`` says what
    is wrong and how to fix it, in plain words.
    """

    code: str
    pointer: str
    message: str
    severity: Severity = Severity.ERROR
    line: int | None = None
    column: int | None = None
    file: str | None = None

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"code": self.code, "pointer": self.pointer, "message": self.message}
        if self.line is not None:
            data["line"] = self.line
            data["column"] = self.column
        if self.file is not None:
            data["file"] = self.file
        return data

    @property
    def where(self) -> str:
        """``line L, column C (/pointer)``, whichever of them is known."""
        if self.line is None:
            return self.pointer or "(whole document)"
        place = f"line {self.line}, column {self.column}"
        return f"{place} ({self.pointer})" if self.pointer else place

    def to_text(self, file: str) -> str:
        return f"{self.file or file}: {self.severity}: {self.where}: {self.message} [{self.code}]"


#: From this many problems of one kind on, the text form prints one grouped line.
GROUP_FROM = 4
_INDEX = re.compile(r"/(\d+)(?=/|$)")


def _shape(problem: Problem) -> tuple[str, str, str, str]:
    """Problems of one kind: same file, severity, code and pointer up to its indices."""
    return (problem.file or "", problem.severity, problem.code, _INDEX.sub("/N", problem.pointer))


def _ranges(numbers: list[int]) -> str:
    """``1–3, 7, 9–12`` for [1, 2, 3, 7, 9, 10, 11, 12]."""
    parts: list[str] = []
    start = prev = numbers[0]
    for n in [*numbers[1:], None]:
        if n is not None and n == prev + 1:
            prev = n
            continue
        parts.append(str(start) if start == prev else f"{start}–{prev}")
        if n is not None:
            start = prev = n
    return ", ".join(parts)


@dataclass(frozen=True)
class ProblemGroup:
    """Problems of one kind; ``places`` (such as ``features 1–201``) when they are grouped."""

    members: list[Problem]
    places: str | None = None

    @property
    def first(self) -> Problem:
        return self.members[0]


def group_problems(problems: list[Problem]) -> list[ProblemGroup]:
    """Repeats of a kind (:data:`GROUP_FROM` or more at indexed places) form one group;
    every other problem is a group of its own."""
    groups: dict[tuple[str, str, str, str], list[Problem]] = {}
    for problem in problems:
        groups.setdefault(_shape(problem), []).append(problem)
    out: list[ProblemGroup] = []
    for (_, _, _, shape), members in groups.items():
        if len(members) < GROUP_FROM or "/N" not in shape:
            out.extend(ProblemGroup([p]) for p in members)
            continue
        indices = sorted({int(_INDEX.findall(p.pointer)[0]) for p in members})
        noun = shape.split("/")[1] if shape.count("/") else "places"
        out.append(ProblemGroup(members, f"{noun} {_ranges(indices)}"))
    return out


def grouped_text(problems: list[Problem], file: str) -> list[str]:
    """One line per problem, except repeats of a kind, which become one line each."""
    lines = []
    for group in group_problems(problems):
        if group.places is None:
            lines.extend(p.to_text(file) for p in group.members)
            continue
        first = group.first
        lines.append(
            f"{first.file or file}: {first.severity}: {len(group.members)} times,"
            f" {group.places} (first: {first.where}): {first.message} [{first.code}]"
            " (--json lists every one)"
        )
    return lines


@dataclass
class Report:
    """Everything validation found in one file."""

    file: str
    problems: list[Problem] = field(default_factory=list)

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity is Severity.ERROR]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if p.severity is Severity.WARNING]

    @property
    def valid(self) -> bool:
        return not self.errors

    def error(self, code: str, ptr: str, message: str, **where: int) -> None:
        self.problems.append(Problem(code, ptr, message, Severity.ERROR, **where))

    def warn(self, code: str, ptr: str, message: str) -> None:
        self.problems.append(Problem(code, ptr, message, Severity.WARNING))

    def to_dict(self) -> dict[str, Any]:
        return {
            "file": self.file,
            "valid": self.valid,
            "errors": [p.to_dict() for p in self.errors],
            "warnings": [p.to_dict() for p in self.warnings],
        }

    def to_text(self) -> str:
        lines = grouped_text(self.errors, self.file) + grouped_text(self.warnings, self.file)
        verdict = "valid" if self.valid else "INVALID"
        counts = f"{_count(len(self.errors), 'error')}, {_count(len(self.warnings), 'warning')}"
        summary = f"{self.file}: {verdict} ({counts})"
        return "\n".join([*lines, summary])


def todo_problems(todo: list[dict[str, Any]]) -> list[Problem]:
    """A stored to-do list (dicts, as kept with a tour version) as problems to report."""
    return [
        Problem(
            item["code"],
            item.get("pointer", ""),
            item["message"],
            Severity.ERROR,
            item.get("line"),
            item.get("column"),
            item.get("file"),
        )
        for item in todo
    ]
