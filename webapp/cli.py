"""The ``bidean`` console script: Flask's CLI group, so web commands join it."""

from __future__ import annotations

from flask.cli import FlaskGroup

from webapp import create_app


def make_cli() -> FlaskGroup:
    return FlaskGroup(
        create_app=lambda: create_app(),
        add_default_commands=True,
        add_version_option=False,
        load_dotenv=False,
        help="Bidean: community-led walking tours.",
    )


def main() -> None:
    make_cli().main(prog_name="bidean")
