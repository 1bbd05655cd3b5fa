"""The console's import (what the browser sends) gives each real file and pair of
``../shared/interop/real`` a draft, with the same options as ``bidean import``
(:data:`tests.webapp.commands.test_real_files.CASES`), or one clear message."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from guides.accounts import create_account
from tests.webapp.commands.test_real_files import CASES, POINTS_ONLY, REAL, files_of
from tests.webapp.console.support import PASSWORD, log_in
from tests.webapp.console.test_importing import ADMIN, upload
from webapp import create_app
from webapp.common.database import get_db


@pytest.fixture(scope="module")
def coordinator(sqlite_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator:
    """A coordinator's client on one app for the module: previews store nothing."""
    if not REAL.is_dir():
        pytest.skip("../shared/interop is not beside this checkout")
    folder = tmp_path_factory.mktemp("real-console")
    shutil.copyfile(sqlite_template, folder / "bidean.sqlite3")
    app = create_app(
        {
            "TESTING": True,
            "DATABASE_URL": f"sqlite:///{folder / 'bidean.sqlite3'}",
            "SECRET_KEY": "test-secret",
            "RATELIMIT_ENABLED": False,
            "WTF_CSRF_ENABLED": False,
            "INSTANCE_PATH": str(folder / "instance"),
            "PUBLIC_URL": "http://localhost",
        }
    )
    with get_db(app).transaction(write_lock=True) as db_session:
        create_account(db_session, ADMIN, "coordinator", password=PASSWORD)
    client = app.test_client()
    assert log_in(client, ADMIN).status_code == 302
    yield client
    app.extensions["bidean.db"].engine.dispose()


def form_of(options: list[str]) -> tuple[dict, dict]:
    """The upload fields and options that stand for ``bidean import`` arguments."""
    files: dict = {}
    fields: dict = {}
    args = iter(options)
    for arg in args:
        if arg in ("--route", "--stops"):
            name = next(args)
            role = arg.removeprefix("--")
            item = ((REAL / name).read_bytes(), name)
            files[role] = [item] if role == "stops" else item
        elif arg == "--draw-route":
            fields["draw_route"] = "y"
        elif arg == "--language":
            fields["language"] = next(args)
        else:
            assert arg in files_of(options), arg
            files["tour"] = ((REAL / arg).read_bytes(), arg)
    return files, fields


def preview(client, options: list[str]) -> dict:
    files, fields = form_of(options)
    response = upload(client, files, headers={"Accept": "application/json"}, **fields)
    assert response.status_code == 201, response.get_data(as_text=True)[:2000]
    return response.get_json()


@pytest.mark.parametrize("case", CASES)
def test_each_real_file_and_pair_previews_as_a_draft_in_the_console(coordinator, case):
    report = preview(coordinator, CASES[case])
    assert report["errors"] == [], report["errors"]
    assert report["will_store"]["action"] == "create"
    assert report["will_store"]["status"] == "draft"


@pytest.mark.parametrize("name", POINTS_ONLY)
def test_a_points_only_file_alone_gets_one_message_in_the_console(coordinator, name):
    report = preview(coordinator, [name])
    assert report["will_store"]["action"] == "refused"
    [error] = report["errors"]
    assert error["code"] == "assemble.no-route" and "stops" in error["message"]
