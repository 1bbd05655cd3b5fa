"""No console page a coordinator visits shows the command line's words (issue #24):
every URL and method the access matrix walks, and the page each redirect lands on (where
its flash message shows), has no ``--option`` and no ``[problem.code]`` in its text."""

from __future__ import annotations

import html
import re

import pytest

from tests.webapp.console.editor_support import editor_world, log_in
from tests.webapp.console.support import ADMIN, build_world
from tests.webapp.console.support import log_in as log_in_as
from tests.webapp.console.test_access_matrix import console_requests, guide_a_mark
from tests.webapp.console.test_tour_editor import EDIT, _form, _versions
from tests.webapp.groups.support import add_group_request

OPTION = re.compile(r"--[A-Za-z]")
PROBLEM_CODE = re.compile(r"\[[a-z]+\.[a-z-]+\]")


def visible_text(page: str) -> str:
    """What a reader sees of a page: its body without tags, scripts and styles."""
    body = page[page.find("<body") :] if "<body" in page else page
    body = re.sub(r"<(script|style|template)\b.*?</\1>", " ", body, flags=re.S)
    return html.unescape(re.sub(r"<[^>]+>", " ", body))


def test_no_console_page_shows_a_command_line_option(app, client):
    world = build_world(app)
    mark_id = guide_a_mark(app)
    world.group_request = add_group_request(app)
    assert log_in_as(client, ADMIN).status_code == 302
    found, pages = [], 0
    for number, (endpoint, method, url) in enumerate(console_requests(app, world, mark_id)):
        if endpoint == "console.logout":
            continue  # it ends the session
        data = {"booking_id": world.booking_ids[0], "state": "arrived", "key": f"k-{number:04d}"}
        response = client.open(url, method=method, data=data if method == "POST" else None)
        shown = [response]
        if response.status_code == 302 and "/console" in response.headers["Location"]:
            shown.append(client.get(response.headers["Location"]))
        for page in shown:
            if page.mimetype != "text/html":
                continue
            pages += 1
            text = visible_text(page.get_data(as_text=True))
            found += [(method, url, hit) for hit in OPTION.findall(text)]
            found += [(method, url, hit) for hit in PROBLEM_CODE.findall(text)]
    assert pages >= 40
    assert found == []


def test_the_check_finds_an_option_where_one_shows():
    page = "<html><body><main><p>Use <code>--order route</code>.</p></main></body></html>"
    assert OPTION.search(visible_text(page))
    assert not OPTION.search(visible_text("<body><style>:root { --navy: #001 }</style></body>"))


@pytest.mark.parametrize(
    ("language", "said"),
    [
        ("en", "The longitude must be between -180 and 180 and the latitude between -90 and 90."),
        ("es", "La longitud debe estar entre -180 y 180 y la latitud entre -90 y 90."),
    ],
)
def test_the_editors_refusals_of_the_editing_rules_are_in_interface_words(
    app, client, language, said
):
    """The editing rules explain themselves in the command line's English: the editor
    says it in the coordinator's language, beside the stop's position."""
    editor_world(app)
    log_in(client)
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = language
    data = _form(client, write="es")
    data["stop-sf-04-lat"] = ["95"]
    response = client.post(EDIT, data=data)
    assert response.status_code == 422 and _versions(app) == [1]
    page = html.unescape(response.get_data(as_text=True))
    position = page[page.index('id="field-stop-sf-04-position"') :][:800]
    assert said in position
