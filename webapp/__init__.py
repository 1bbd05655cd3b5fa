"""Bidean's Flask layer.  The app factory lives in :mod:`webapp.factory`.

Importing the package stays cheap (no blueprint, extension or database module), so that
``bidean --help`` and ``bidean validate`` start quickly: every module under ``webapp``
imports this one first.  ``webapp.create_app`` (``gunicorn 'webapp:create_app()'``) is
the only name it offers.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from flask import Flask


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    """Create and configure the Bidean web app (see :func:`webapp.factory.create_app`)."""
    # Late import, only to keep the command line's start-up fast: see the docstring.
    from webapp.factory import create_app as factory

    return factory(test_config)
