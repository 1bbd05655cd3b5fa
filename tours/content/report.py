"""Validation reports: every problem at once, each with a stable code and a JSON pointer."""

from __future__ import annotations

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
    ``column`` are set when the file could not be parsed.  ``message`` says what is
    wrong and how to fix it, in plain words.
    """

    code: str
    pointer: str
    message: str
    severity: Severity = Severity.ERROR
    line: int | None = None
    column: int | None = None

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"code": self.code, "pointer": self.pointer, "message": self.message}
        if self.line is not None:
            data["line"] = self.line
            data["column"] = self.column
        return data

    def to_text(self, file: str) -> str:
        where = self.pointer or "(whole document)"
        if self.line is not None:
            where = f"line {self.line}, column {self.column}"
        return f"{file}: {self.severity}: {where}: {self.message} [{self.code}]"


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
        lines = [p.to_text(self.file) for p in self.errors + self.warnings]
        verdict = "valid" if self.valid else "INVALID"
        counts = f"{_count(len(self.errors), 'error')}, {_count(len(self.warnings), 'warning')}"
        summary = f"{self.file}: {verdict} ({counts})"
        return "\n".join([*lines, summary])
