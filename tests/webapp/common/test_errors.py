"""Error pages in the visitor's language, JSON errors under /api, never a traceback,
and the security headers every response carries."""

from __future__ import annotations

from pathlib import Path

import pytest
from flask import Flask, abort, request
from flask_babel import gettext
from flask_wtf.csrf import CSRFError
from jinja2 import ChoiceLoader, DictLoader

import webapp
from tests.webapp.pages_support import Page
from webapp.common.database import get_db
from webapp.common.errors import content_security_policy, tile_source


def make_app(tmp_path: Path, database_url: str, **config) -> Flask:
    """An app that behaves as in production: exceptions become 500 pages."""
    settings = {
        "DATABASE_URL": database_url,
        "SECRET_KEY": "x",
        "INSTANCE_PATH": str(tmp_path / "instance"),
        "RATELIMIT_ENABLED": False,
        "WTF_CSRF_ENABLED": False,
        **config,
    }
    app = webapp.create_app(settings)

    @app.get("/boom")
    def boom() -> str:
        raise RuntimeError("SECRET-INTERNAL-DETAIL in /srv/bidean/views.py")

    @app.get("/api/boom")
    def api_boom() -> str:
        raise RuntimeError("SECRET-INTERNAL-DETAIL")

    @app.get("/busy")
    def busy() -> str:
        abort(429)

    @app.post("/upload")
    def upload() -> str:
        return str(len(request.get_data()))

    @app.get("/bad")
    def bad() -> str:
        abort(400)

    @app.get("/bad-field")
    def bad_field() -> str:
        abort(400, description=gettext("Stops"))  # any translated, specific message

    @app.get("/status/<int:status>")
    def status(status: int) -> str:
        abort(status)

    @app.get("/csrf")
    def csrf() -> str:
        raise CSRFError("The CSRF token has expired.")

    return app


@pytest.fixture
def prod_app(tmp_path, database_url):
    app = make_app(tmp_path, database_url, MAX_CONTENT_LENGTH=1024)
    yield app
    get_db(app).engine.dispose()


def title_and_lang(response) -> tuple[str, str]:
    page = Page(response.get_data(as_text=True))
    return page.root.find("h1").text, page.html_element().attrs["lang"]


@pytest.mark.parametrize(
    ("kwargs", "expected"),
    [
        ({}, ("Página no encontrada", "es")),
        ({"query_string": {"lang": "eu"}}, ("Ez da orria aurkitu", "eu")),
        ({"headers": {"Accept-Language": "fr-FR"}}, ("Page introuvable", "fr")),
        ({"query_string": {"lang": "ar"}}, ("الصفحة غير موجودة", "ar")),
        ({"query_string": {"lang": "en"}}, ("Page not found", "en")),
    ],
)
def test_404_page_is_in_the_visitor_language(client, kwargs, expected):
    response = client.get("/no/such/page", **kwargs)
    assert response.status_code == 404
    assert response.mimetype == "text/html"
    assert title_and_lang(response) == expected


def test_404_remembers_the_language_cookie(client):
    client.get("/?lang=ar")
    response = client.get("/tours/missing")
    assert title_and_lang(response) == ("الصفحة غير موجودة", "ar")
    assert 'dir="rtl"' in response.get_data(as_text=True)


def test_404_message_escapes_the_slug(client):
    response = client.get("/tours/%3Cimg%20src=x%20onerror=alert(1)%3E?lang=en")
    assert response.status_code == 404
    html = response.get_data(as_text=True)
    assert "<img src=x" not in html
    assert "There is no tour called “&lt;img src=x onerror=alert(1)&gt;”." in html


def test_uncaught_exception_is_a_500_page_without_traceback(prod_app):
    client = prod_app.test_client()
    response = client.get("/boom?lang=eu")
    assert response.status_code == 500
    html = response.get_data(as_text=True)
    assert "SECRET-INTERNAL-DETAIL" not in html
    assert "Traceback" not in html and "views.py" not in html
    assert title_and_lang(response) == ("Zerbait gaizki atera da", "eu")
    api = client.get("/api/boom")
    assert api.status_code == 500
    assert api.get_json()["code"] == "internal-error"
    assert "SECRET-INTERNAL-DETAIL" not in api.get_data(as_text=True)


def test_other_errors_have_pages_too(prod_app):
    client = prod_app.test_client()
    cases = [
        (client.get("/busy?lang=es"), 429, "Demasiadas solicitudes"),
        (client.get("/bad?lang=fr"), 400, "Requête incorrecte"),
        (client.post("/?lang=en"), 405, "Not allowed"),
        (client.post("/upload?lang=es", data=b"x" * 4096), 413, "Demasiado grande"),
    ]
    for response, status, title in cases:
        assert response.status_code == status
        assert Page(response.get_data(as_text=True)).root.find("h1").text == title
    assert "GET" in cases[2][0].headers["Allow"]


@pytest.mark.parametrize("status", [401, 403, 409, 410, 422, 501])
def test_every_error_page_is_in_the_interface_language(prod_app, status):
    """Issue #19: the 403 page said "Forbidden" in the French interface."""
    client = prod_app.test_client()
    page = client.get(f"/status/{status}?lang=fr")
    assert page.status_code == status
    html = page.get_data(as_text=True)
    english = {"Unauthorized", "Forbidden", "Conflict", "Gone", "Unprocessable", "Not Implemented"}
    assert not [word for word in english if word in html], html
    assert Page(html).root.find("h1").text == {
        403: "Accès refusé",
        410: "Plus disponible",
        501: "Une erreur est survenue",
    }.get(status, "Requête incorrecte")


def test_specific_messages_show_and_english_extension_messages_do_not(prod_app):
    client = prod_app.test_client()
    specific = Page(client.get("/bad-field?lang=eu").get_data(as_text=True))
    assert specific.root.find("p", "error-message").text == "Geldialdiak"
    expired = client.get("/csrf?lang=fr")
    assert expired.status_code == 400
    message = Page(expired.get_data(as_text=True)).root.find("p", "error-message").text
    assert (
        message
        == "Une partie de l’adresse ou du formulaire est illisible. Vérifiez-la et réessayez."
    )


def test_a_broken_error_page_still_answers_plainly(prod_app):
    prod_app.jinja_env.loader = ChoiceLoader(
        [DictLoader({"errors/error.html": "{{ no_such_function() }}"}), prod_app.jinja_env.loader]
    )
    response = prod_app.test_client().get("/missing")
    assert response.status_code == 404
    html = response.get_data(as_text=True)
    assert "Something went wrong" in html and "Algo ha fallado" in html
    assert "Traceback" not in html and "no_such_function" not in html


# --- headers ---------------------------------------------------------------------------


def test_every_response_gets_security_headers(client):
    for url in ("/", "/missing", "/api/tours", "/api/missing", "/healthz"):
        response = client.get(url)
        assert response.headers["X-Content-Type-Options"] == "nosniff", url
        assert response.headers["Referrer-Policy"] == "strict-origin-when-cross-origin", url
        assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"], url
    assert (
        client.get("/api/tours").headers["Content-Security-Policy"].startswith("default-src 'none'")
    )


SECURITY_HEADERS = [
    "content-security-policy",
    "x-content-type-options",
    "referrer-policy",
    "x-frame-options",
    "strict-transport-security",
]


def test_security_headers_keep_what_a_view_set_and_come_once_each(tmp_path, database_url):
    app = make_app(tmp_path, database_url)

    @app.get("/own-headers")
    def own_headers():
        own = {"x-frame-options": "SAMEORIGIN", "Content-Security-Policy": "default-src 'self'"}
        return "kept", 200, own

    @app.get("/own-hsts")
    def own_hsts():
        return "kept", 200, {"Strict-Transport-Security": "max-age=60"}

    try:
        client = app.test_client()
        for base in ("http://localhost", "https://localhost"):
            response = client.get("/own-headers", base_url=base)
            names = [name.lower() for name, _value in response.headers]
            assert [n for n in SECURITY_HEADERS if names.count(n)] == SECURITY_HEADERS[
                : 5 if base.startswith("https") else 4
            ], (base, names)
            assert all(names.count(n) <= 1 for n in SECURITY_HEADERS), names
            assert response.headers["X-Frame-Options"] == "SAMEORIGIN"
            assert response.headers["Content-Security-Policy"] == "default-src 'self'"
            assert response.headers["X-Content-Type-Options"] == "nosniff"
        hsts = client.get("/own-hsts", base_url="https://localhost").headers
        assert hsts.getlist("Strict-Transport-Security") == ["max-age=60"]
        # Appended in this order after what the view set (a JSON answer and an HTML page).
        for url, policy in (("/api/tours", "default-src 'none'"), ("/", "default-src 'self'")):
            response = client.get(url, base_url="https://localhost")
            names = [name.lower() for name, _value in response.headers]
            assert [n for n in names if n in SECURITY_HEADERS] == SECURITY_HEADERS, names
            assert response.headers["Content-Security-Policy"].startswith(policy), url
            assert response.headers["X-Frame-Options"] == "DENY"
    finally:
        get_db(app).engine.dispose()


def test_html_csp_allows_only_self_and_the_nonce_for_scripts_and_styles():
    policy = content_security_policy("abc123", "https://tile.openstreetmap.org/{z}/{x}/{y}.png")
    directives = dict(d.split(" ", 1) for d in policy.split("; "))
    assert directives["script-src"] == "'self' 'nonce-abc123'"
    assert directives["style-src"] == "'self' 'nonce-abc123'"
    assert directives["img-src"] == "'self' data: https://tile.openstreetmap.org"
    assert directives["object-src"] == "'none'"
    assert directives["media-src"] == "'self' blob:"
    assert "unsafe" not in policy


def test_tile_source_follows_the_configured_tile_server(tmp_path, database_url):
    assert (
        tile_source("https://{s}.tile.example.org/{z}/{x}/{y}.png") == "https://*.tile.example.org"
    )
    assert tile_source("/tiles/{z}/{x}/{y}.png") == ""
    app = make_app(tmp_path, database_url, TILES_URL="https://tiles.example.net/{z}/{x}/{y}.png")
    try:
        policy = app.test_client().get("/").headers["Content-Security-Policy"]
        assert "img-src 'self' data: https://tiles.example.net;" in policy
    finally:
        get_db(app).engine.dispose()
