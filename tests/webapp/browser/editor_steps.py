"""Steps of a coordinator in the tour editor, for Chromium tests to chain.

Each step takes a Playwright ``page`` (and the server's base URL where it navigates) and
checks what it did, so a scenario reads as a list of steps: log in, open a tour, choose
languages, write texts, move a stop with the keyboard, save, publish, read the public
page.  An import scenario can end where these begin (``open_tour_from_list``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

PASSWORD = "a walk by the river at noon"


@dataclass
class PageErrors:
    """Script errors and console errors (CSP violations included) seen on a page."""

    errors: list[str] = field(default_factory=list)

    def attach(self, page) -> PageErrors:
        page.on("pageerror", lambda error: self.errors.append(str(error)))
        page.on(
            "console",
            lambda message: self.errors.append(message.text) if message.type == "error" else None,
        )
        return self


def log_in(page, base_url: str, email: str, password: str = PASSWORD) -> None:
    page.goto(f"{base_url}/console/login")
    page.fill("#email", email)
    page.fill("#password", password)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base_url}/console/")


def open_tour_from_list(page, base_url: str, slug: str) -> None:
    """Through the navigation: Tours, then the tour's row."""
    page.goto(f"{base_url}/console/")
    page.click('nav a[href="/console/tours"]')
    page.wait_for_url(f"{base_url}/console/tours")
    page.click(f'tr[data-slug="{slug}"] a')
    page.wait_for_url(re.compile(rf".*/console/tours/{re.escape(slug)}(\?.*)?$"))


def choose_languages(page, write: str, read: str) -> None:
    """Pick the language to write in and the one shown beside it, with the page's form."""
    page.select_option("#pick-lang", write)
    page.select_option("#pick-source", read)
    page.click(".language-picker button")
    page.wait_for_url(re.compile(rf".*write={write}.*"))
    assert page.get_attribute("#tour-title", "lang") == write


def unfold(page, field_name: str) -> None:
    """Open the stop a field is in, if it is folded, with a click on its summary."""
    fold = page.locator(f"details:has(#{field_name})")
    if fold.count() and not fold.evaluate("fold => fold.open"):
        fold.locator("summary").click()


def source_text(page, field_name: str) -> str:
    """The read-only text shown beside a field (``tour-summary``, ``stop-sf-01-story``)."""
    unfold(page, field_name)
    return page.inner_text(f"#field-{field_name} .source-text")


def write_text(page, field_name: str, text: str) -> None:
    """Open the stop the field is in, if it is folded, and write the text."""
    unfold(page, field_name)
    page.fill(f"#{field_name}", text)


def open_stops(page) -> list[str]:
    """The stops shown unfolded, in the list's order."""
    return page.eval_on_selector_all(
        "#stop-list .stop-row",
        "rows => rows.filter(r => r.querySelector('details').open).map(r => r.dataset.stopId)",
    )


def marker_numbers(page, stop_ids: list[str]) -> list[tuple[str, str]]:
    """Each stop's marker on the map: the number it shows, and how its label starts."""
    return [
        tuple(
            page.locator(f'#tour-editor-map [data-stop-id="{stop_id}"]').evaluate(
                "m => [m.textContent.trim(),"
                " (m.getAttribute('aria-label') || '').split(':')[0] + ': ']"
            )
        )
        for stop_id in stop_ids
    ]


def stop_order(page) -> list[str]:
    return page.eval_on_selector_all(
        "#stop-list .stop-row", "rows => rows.map(r => r.dataset.stopId)"
    )


def move_stop_with_keyboard(page, stop_id: str, direction: str) -> None:
    """Focus the stop's Up or Down button and press Enter; the stop moves, focus stays."""
    before = stop_order(page)
    button = f'#stop-{stop_id} button[value="{direction}:{stop_id}"]'
    page.focus(button)
    page.keyboard.press("Enter")
    after = stop_order(page)
    index = before.index(stop_id)
    target = index - 1 if direction == "up" else index + 1
    expected = list(before)
    if 0 <= target < len(before):
        expected.insert(target, expected.pop(index))
    assert after == expected, (before, after)
    assert page.evaluate("document.activeElement.value") == f"{direction}:{stop_id}"


def save(page) -> str:
    """Click Save; returns the message the page shows after it."""
    with page.expect_navigation():
        page.click("#save-button")
    return page.inner_text(".flash")


def to_do_items(page) -> list[str]:
    return page.eval_on_selector_all("#todo-list li", "items => items.map(i => i.innerText)")


def publish(page) -> str:
    assert page.is_enabled("#publish-button"), to_do_items(page)
    with page.expect_navigation():
        page.click("#publish-button")
    return page.inner_text(".flash")


def public_page_text(page, base_url: str, slug: str, lang: str) -> str:
    response = page.goto(f"{base_url}/tours/{slug}?lang={lang}")
    assert response is not None and response.status == 200
    return page.inner_text("main")


def save_is_refused_as_stale(page) -> str:
    """Click Save on a form another coordinator's save made stale: the refusal is shown."""
    with page.expect_navigation():
        page.click("#save-button")
    alert = page.locator("#stale-alert")
    assert alert.is_visible()
    return alert.inner_text()
