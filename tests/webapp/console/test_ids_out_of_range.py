"""Ids no integer column can hold in console URLs and forms: 404 or 400, never 500."""

from __future__ import annotations

import pytest

from tests.webapp.console.editor_support import DRAFT_SLUG, editor_world, log_in
from webapp.common.limits import MAX_ID

TOO_LARGE = [str(MAX_ID + 1), "99999999999999999999999"]


@pytest.mark.parametrize("departure", [*TOO_LARGE, "-1"])
def test_departure_pages_answer_404(app, client, departure):
    editor_world(app)
    log_in(client)
    for path in (
        f"/console/departures/{departure}",
        f"/console/admin/departures/{departure}",
        f"/console/admin/departures/{departure}/roster.csv",
    ):
        assert client.get(path).status_code == 404, path


@pytest.mark.parametrize("number", [*TOO_LARGE, "-1", "²", "abc"])
def test_editor_forms_refuse_versions_no_column_holds_with_400(app, client, number):
    editor_world(app)
    log_in(client)
    edit = f"/console/tours/{DRAFT_SLUG}"
    restored = client.post(f"{edit}/restore", data={"version": number, "based_on": "1"})
    assert restored.status_code == 400
    restored = client.post(f"{edit}/restore", data={"version": "1", "based_on": number})
    assert restored.status_code == 400
    assert client.post(f"{edit}/publish", data={"based_on": number}).status_code == 400
    saved = client.post(edit, data={"based_on": number, "tour-title": "x"})
    assert saved.status_code == 400
