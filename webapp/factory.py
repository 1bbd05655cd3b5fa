"""The app factory and the steps it is made of (``webapp.create_app`` calls it).

It imports every blueprint, extension and command, so it is kept out of ``webapp``'s own
``__init__``: the ``bidean`` command line imports the package without creating an app.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Flask, Request, Response
from flask.sessions import SecureCookieSession, SecureCookieSessionInterface, SessionMixin
from werkzeug.middleware.proxy_fix import ProxyFix

from webapp.api.views import bp as api_bp
from webapp.booking import limiter
from webapp.booking.api import bp as booking_api_bp
from webapp.booking.views import bp as booking_bp
from webapp.commands import register as register_cli
from webapp.common import assets, database, errors, httpcache, i18n, limits, privacy, tourcache
from webapp.common.settings import load_config
from webapp.common.urls import check_public_url
from webapp.console import auth as console_auth
from webapp.console import editor as _tour_editor  # noqa: F401  (its routes join the console)
from webapp.console import forking as _console_forking  # noqa: F401
from webapp.console import translations as _console_translations  # noqa: F401
from webapp.console import wording as _console_wording  # noqa: F401  (its filters)
from webapp.console.accounts import pages as _console_accounts  # noqa: F401  (its routes)

# The coordinator pages add their routes to the console blueprint defined in views.
from webapp.console.admin import bp as console_bp
from webapp.console.debriefs import views as _console_debriefs  # noqa: F401  (its routes)
from webapp.console.desk import views as _console_desk  # noqa: F401  (its routes)
from webapp.console.groups import views as _console_groups  # noqa: F401  (its routes)
from webapp.console.impact import views as _console_impact  # noqa: F401  (its routes)
from webapp.console.importing import bp as _console_import_pages  # noqa: F401  (its routes)
from webapp.console.messaging import views as _console_messaging  # noqa: F401  (its routes)
from webapp.console.overview import calendar as _console_calendar  # noqa: F401
from webapp.console.overview import dashboard as _console_dashboard  # noqa: F401
from webapp.console.planning import availability as _availability  # noqa: F401  (routes)
from webapp.console.planning import schedule as _schedule  # noqa: F401  (its routes)
from webapp.console.stories import entry as _console_story_entry  # noqa: F401  (its routes)
from webapp.console.stories import views as _console_stories  # noqa: F401  (its routes)
from webapp.feedback.views import bp as feedback_bp
from webapp.groups import limiter as groups_limiter
from webapp.groups.views import bp as groups_bp
from webapp.guides_public.api import bp as guides_api_bp
from webapp.guides_public.views import bp as guides_public_bp
from webapp.mail.messages import bp as mail_bp
from webapp.media.views import bp as media_bp
from webapp.public import kit as _public_kit  # noqa: F401  (the kit's route on public_bp)
from webapp.public import pagecache
from webapp.public import sitemap as _public_sitemap  # noqa: F401  (sitemap.xml, robots.txt)
from webapp.public.views import bp as public_bp
from webapp.share import limiter as share_limiter
from webapp.share.views import bp as share_bp
from webapp.withdrawal import limiter as withdrawal_limiter
from webapp.withdrawal.views import bp as withdrawal_bp

# Layout templates (base page, macros, error page) are shared by every blueprint; each
# blueprint keeps its own pages in ``<blueprint>/templates/<blueprint>/``.
SHARED_TEMPLATES = "common/templates"


class CookieSessions(SecureCookieSessionInterface):
    """Flask's signed cookie sessions, without their set-up on requests that carry none.

    Most requests (public pages, the APIs, health checks) come without a session cookie
    and leave the session empty; Flask still built the cookie's signing serializer to
    open it and read seven cookie settings to save it.  Requests with a cookie, and
    sessions written to, go through Flask's own code.
    """

    def open_session(self, app: Flask, request: Request) -> SecureCookieSession | None:
        if app.secret_key and not request.cookies.get(self.get_cookie_name(app)):
            return self.session_class()  # what Flask opens when there is no cookie
        return super().open_session(app, request)

    def save_session(self, app: Flask, session: SessionMixin, response: Response) -> None:
        if not session and not session.modified:  # Flask sets and deletes no cookie then
            if session.accessed:
                response.vary.add("Cookie")
            return
        super().save_session(app, session, response)


class App(Flask):
    """Flask, asking once per function whether it is a coroutine function.

    Flask asks ``inspect.iscoroutinefunction`` about every hook, view and error handler
    each time it calls one (``ensure_sync``): a booking passes about 25 of them.  A
    function found plain is remembered and handed back as it is, as Flask would; async
    ones go through Flask.  Hooks and views live as long as the app; should functions
    made per request come this way, the memory forgets them all past ``PLAIN_KEPT``.
    """

    PLAIN_KEPT = 1024

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._plain_functions: set[Callable[..., Any]] = set()

    def ensure_sync(self, func: Callable[..., Any]) -> Callable[..., Any]:
        try:
            if func in self._plain_functions:
                return func
        except TypeError:  # not hashable: asked every time
            return super().ensure_sync(func)
        made = super().ensure_sync(func)
        if made is func:
            if len(self._plain_functions) >= self.PLAIN_KEPT:
                self._plain_functions.clear()
            self._plain_functions.add(func)
        return made


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    """Create and configure the Bidean web app."""
    instance_path = (test_config or {}).get("INSTANCE_PATH")
    app = App(
        __name__,
        instance_path=instance_path,
        instance_relative_config=True,
        template_folder=SHARED_TEMPLATES,
    )
    app.session_interface = CookieSessions()
    app.config.from_mapping(load_config(app.instance_path, test_config))
    check_public_url(app)
    privacy.init_app(app)
    behind_proxy(app)
    register_extensions(app)
    register_blueprints(app)
    register_errorhandlers(app)
    register_commands(app)
    return app


def behind_proxy(app: Flask) -> None:
    """``PROXY_FIX=n``: trust n proxies' X-Forwarded-For/-Proto (client address, https)."""
    hops = app.config["PROXY_FIX"]
    if hops > 0:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops)  # type: ignore[method-assign]


def register_extensions(app: Flask) -> None:
    # First, so that its response hooks run last: ETags and 304s, then compression.
    httpcache.init_app(app)
    limits.init_app(app)
    database.init_app(app)
    i18n.init_app(app)
    tourcache.init_app(app)
    pagecache.init_app(app)
    limiter.init_app(app)
    groups_limiter.init_app(app)
    withdrawal_limiter.init_app(app)
    share_limiter.init_app(app)
    console_auth.init_app(app)


def register_blueprints(app: Flask) -> None:
    app.register_blueprint(assets.bp)
    app.register_blueprint(mail_bp)  # templates only: the layout of every message
    app.register_blueprint(media_bp)
    app.register_blueprint(public_bp)
    app.register_blueprint(api_bp)
    app.register_blueprint(booking_bp)
    app.register_blueprint(booking_api_bp)
    app.register_blueprint(groups_bp)
    app.register_blueprint(share_bp)
    app.register_blueprint(feedback_bp)
    app.register_blueprint(withdrawal_bp)
    app.register_blueprint(guides_public_bp)
    app.register_blueprint(guides_api_bp)
    app.register_blueprint(console_bp)


def register_errorhandlers(app: Flask) -> None:
    errors.register(app)


def register_commands(app: Flask) -> None:
    register_cli(app)
