"""What a coordinator does in the console, as reusable browser steps (Playwright pages).

Each step acts like a person would (links, fields, buttons) and waits for the page it
leads to.  Later flows (the tour editor, publishing) build on these: log in, import,
then continue from the page the import lands on.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path

PASSWORD = "a walk by the river at noon"
OPTION_FIELDS = ("city", "timezone", "licence", "language", "title", "summary", "mappings")


def log_in(page, base_url: str, email: str, password: str = PASSWORD) -> None:
    """Log in at ``/console/login`` and wait for the console's first page."""
    page.goto(f"{base_url}/console/login")
    page.fill("#email", email)
    page.fill("#password", password)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base_url}/console/")


def open_import(page) -> None:
    """Follow the navigation's "Import a tour" link."""
    page.get_by_role("navigation").get_by_role("link", name="Import a tour").click()
    page.wait_for_url(re.compile(r".*/console/tours/import$"))


def fill_options(page, **options: str | bool) -> None:
    """Fill the options (city, timezone, licence, language, title, summary, mappings,
    order: "", "source", "route" or "manual", publish: True/False) on the import form
    or in the preview."""
    for name, value in options.items():
        if name in ("order", "language"):  # chosen from lists
            page.select_option(f"#{name}", str(value))
        elif name == "publish":
            page.set_checked("#publish", bool(value))
        elif name in OPTION_FIELDS:
            page.fill(f"#{name}", str(value))
        else:
            raise ValueError(f"no import option {name!r}")


def upload_files(
    page,
    *,
    tour: Path | None = None,
    route: Path | None = None,
    stops: Iterable[Path] = (),
    districts: Path | None = None,
    **options: str | bool,
) -> None:
    """Choose the files and options on the import page and preview them."""
    for field, value in (("tour", tour), ("route", route), ("districts", districts)):
        if value is not None:
            page.set_input_files(f"#{field}", str(value))
    stop_files = [str(p) for p in stops]
    if stop_files:
        page.set_input_files("#stops", stop_files)
    fill_options(page, **options)
    page.click("#import-form button[type=submit]")
    wait_for_preview(page)


def wait_for_preview(page) -> None:
    page.wait_for_url(re.compile(r".*/console/tours/import/[A-Za-z0-9_-]{32}$"))
    page.wait_for_selector("#import-outcome")


def problem_codes(page, kind: str) -> list[str]:
    """The codes listed under errors (``error``), to do (``todo``) or warnings (``warning``)."""
    return page.locator(f".import-problems--{kind} .import-problem").evaluate_all(
        "items => items.map(item => item.dataset.code)"
    )


def problem_places(page, kind: str) -> list[str]:
    """Where each listed problem is (file, line, column, pointer), as the page says."""
    return [
        text.strip()
        for text in page.locator(f".import-problems--{kind} .import-place").all_inner_texts()
    ]


def stop_names(page) -> list[str]:
    """The stops in the preview's order."""
    return [t.strip() for t in page.locator("#import-stops .stop-name").all_inner_texts()]


def source_positions(page) -> list[int]:
    """Each stop's position in the files, in the preview's order."""
    return [int(v) for v in page.locator("#import-stops tbody tr").evaluate_all(
        "rows => rows.map(row => row.dataset.source)"
    )]  # fmt: skip


def move_stop(page, source_position: int, position: int) -> None:
    """Type a new position for the stop that was ``source_position`` in the files."""
    page.fill(f"#position-{source_position}", str(position))


def preview_again(page) -> None:
    page.click("#options-form button[type=submit]")
    wait_for_preview(page)


def confirm_import(page) -> str:
    """Confirm the preview; returns the URL of the page it lands on."""
    page.click("#confirm-form button[type=submit]")
    page.wait_for_url(lambda url: "/console/tours/import/" not in url or "/stored/" in url)
    page.wait_for_load_state()
    return page.url


def cancel_import(page) -> None:
    page.click("#cancel-form button[type=submit]")
    page.wait_for_url(re.compile(r".*/console/tours/import$"))
