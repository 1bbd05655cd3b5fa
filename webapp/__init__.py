"""Bidean's Flask layer: the app factory and the steps it is made of."""

from __future__ import annotations

from typing import Any

from flask import Flask

from webapp.api.views import bp as api_bp
from webapp.booking.api import bp as booking_api_bp
from webapp.booking.views import bp as booking_bp
from webapp.commands import register as register_cli
from webapp.common import assets, database, errors, i18n, limiter, media, tourcache
from webapp.common.config import load_config
from webapp.public.views import bp as public_bp

# Layout templates (base page, macros, error page) are shared by every blueprint; each
# blueprint keeps its own pages in ``<blueprint>/templates/<blueprint>/``.
SHARED_TEMPLATES = "common/templates"


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    """Create and configure the Bidean web app."""
    instance_path = (test_config or {}).get("INSTANCE_PATH")
    app = Flask(
        __name__,
        instance_path=instance_path,
        instance_relative_config=True,
        template_folder=SHARED_TEMPLATES,
    )
    app.config.from_mapping(load_config(app.instance_path, test_config))
    register_extensions(app)
    register_blueprints(app)
    register_errorhandlers(app)
    register_commands(app)
    return app


def register_extensions(app: Flask) -> None:
    database.init_app(app)
    i18n.init_app(app)
    tourcache.init_app(app)
    limiter.init_app(app)


def register_blueprints(app: Flask) -> None:
    app.register_blueprint(assets.bp)
    app.register_blueprint(media.bp)
    app.register_blueprint(public_bp)
    app.register_blueprint(api_bp)
    app.register_blueprint(booking_bp)
    app.register_blueprint(booking_api_bp)


def register_errorhandlers(app: Flask) -> None:
    errors.register(app)


def register_commands(app: Flask) -> None:
    register_cli(app)
