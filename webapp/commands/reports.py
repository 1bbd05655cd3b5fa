"""How an import reads on a terminal: the report, what was stored, the to-do list, the
stop order, the guesses made and what could not be carried over."""

from __future__ import annotations

from typing import Any

from tours.content.report import grouped_text, todo_problems
from tours.content.workflows.intake import Intake


def todo_text(todo: list[dict[str, Any]], label: str) -> list[str]:
    """The to-do list, repeats grouped, each line starting with "to do" instead of "error"."""
    lines = grouped_text(todo_problems(todo), label)
    return [line.replace(": error: ", ": to do: ", 1) for line in lines]


def intake_text(intake: Intake) -> list[str]:
    """Every line an import prints for one file or assembly."""
    report = intake.report
    if intake.status is None:
        return [report.to_text()]
    lines = grouped_text(report.warnings, report.file)
    assembly = intake.assembly
    if assembly is not None:
        lines += [f"{report.file}: note: {note}" for note in assembly.notes]
        lines += [f"{report.file}: not carried over: {item}" for item in assembly.not_carried]
        if assembly.order is not None and assembly.order.final:
            lines += assembly.order.to_text()
        lines += todo_text(assembly.todo, report.file)
    verb = "would store" if intake.dry_run else "unchanged" if intake.unchanged else "stored"
    version = "" if intake.version is None else f" version {intake.version}"
    what = f"{verb} {intake.slug}{version}"
    if intake.status == "draft":
        count = len(assembly.todo) if assembly else 0
        what += f" as a draft ({count} to do)"
    lines.append(f"{what} ({intake.label})")
    return lines
