"""The app's class: Flask's, asking once per function whether it is a coroutine."""

from __future__ import annotations

import flask.app
import pytest
from flask import Flask

from webapp.factory import App


@pytest.fixture
def asked(monkeypatch) -> list:
    """Every function Flask's ``ensure_sync`` asks ``iscoroutinefunction`` about."""
    functions: list = []
    real = flask.app.iscoroutinefunction

    def counting(func) -> bool:
        functions.append(func)
        return real(func)

    monkeypatch.setattr(flask.app, "iscoroutinefunction", counting)
    return functions


def test_a_plain_function_is_handed_back_as_it_is_and_asked_about_once(asked):
    app = App(__name__)

    def hook() -> None:
        return None

    assert all(app.ensure_sync(hook) is hook for _ in range(3))
    assert asked == [hook]


def test_an_async_function_goes_through_flask_every_time(asked):
    app, plain = App(__name__), Flask(__name__)

    async def view() -> str:
        return "x"

    for _ in range(2):  # without asgiref installed Flask refuses it, and so does the app
        with pytest.raises(RuntimeError) as ours:
            app.ensure_sync(view)
        with pytest.raises(RuntimeError) as flasks:
            plain.ensure_sync(view)
        assert str(ours.value) == str(flasks.value)
    assert asked.count(view) == 4


class Unhashable:
    __hash__ = None  # type: ignore[assignment]

    def __call__(self) -> None:
        return None


def test_unhashable_callables_and_many_functions_are_still_answered(asked):
    app = App(__name__)
    app.PLAIN_KEPT = 3
    odd = Unhashable()
    assert app.ensure_sync(odd) is odd and app.ensure_sync(odd) is odd
    functions = [lambda n=n: n for n in range(10)]
    for func in functions * 2:
        assert app.ensure_sync(func) is func
    assert asked.count(odd) == 2
    assert len(app._plain_functions) <= 3
