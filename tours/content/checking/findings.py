"""What one run of a checker has found: the problems, and how to name each feature.

A checker (:mod:`tours.content.checking.validate`, :mod:`tours.content.checking.profile`)
makes one :class:`Findings` and hands it to each rule object it composes, so every rule
adds to the same list, in the order the document is walked.
"""

from __future__ import annotations

from collections.abc import Iterable

from tours.content.report import Problem, Severity


class Findings:
    """The problems found so far, and labels of features for messages ("Stop "plaza"")."""

    def __init__(self) -> None:
        self.problems: list[Problem] = []
        #: Feature properties pointer -> how messages name that feature.
        self.labels: dict[str, str] = {}

    def error(self, code: str, ptr: str, message: str) -> None:
        """Add an error: the file cannot be imported as it is."""
        self.problems.append(Problem(code, ptr, message))

    def warn(self, code: str, ptr: str, message: str) -> None:
        """Add a warning: the file is imported, but something deserves a look."""
        self.problems.append(Problem(code, ptr, message, Severity.WARNING))

    def note(self, problem: Problem | None) -> None:
        """Add a problem a check function returned, if it found one."""
        if problem is not None:
            self.problems.append(problem)

    def extend(self, problems: Iterable[Problem]) -> None:
        """Add problems another check produced."""
        self.problems.extend(problems)

    @property
    def has_errors(self) -> bool:
        return any(p.severity is Severity.ERROR for p in self.problems)
