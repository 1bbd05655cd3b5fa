"""Bidean's Flask layer: the app factory and the steps it is made of."""

from __future__ import annotations

from typing import Any

from flask import Flask

from webapp import database
from webapp.config import load_config


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    """Create and configure the Bidean web app."""
    instance_path = (test_config or {}).get("INSTANCE_PATH")
    app = Flask(__name__, instance_path=instance_path, instance_relative_config=True)
    app.config.from_mapping(load_config(app.instance_path, test_config))
    register_extensions(app)
    register_blueprints(app)
    register_errorhandlers(app)
    register_commands(app)
    return app


def register_extensions(app: Flask) -> None:
    from webapp import i18n, limiter, tourcache

    database.init_app(app)
    i18n.init_app(app)
    tourcache.init_app(app)
    limiter.init_app(app)


def register_blueprints(app: Flask) -> None:
    from webapp import api, assets, booking, booking_api, public

    app.register_blueprint(assets.bp)
    app.register_blueprint(public.bp)
    app.register_blueprint(api.bp)
    app.register_blueprint(booking.bp)
    app.register_blueprint(booking_api.bp)


def register_errorhandlers(app: Flask) -> None:
    from webapp import errors

    errors.register(app)


def register_commands(app: Flask) -> None:
    from webapp.commands import register

    register(app)
