"""The forms of the import page: the files and the options of ``bidean import``.

CSRF is checked for every console POST in ``auth.guard_console``.
"""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, MultipleFileField
from wtforms import BooleanField, SelectField, StringField, TextAreaField

from tours.content.assembly.assemble import AssemblyOptions
from tours.content.assembly.fieldmap import MAPPABLE, FieldMap, MappingError
from tours.content.checking.pipeline import ValidationOptions
from webapp.console.forms import choices
from webapp.console.wording import language_choices

MANUAL = "manual"
#: The route-line choice that joins every line.
JOIN = "join"


def text_languages(kept: str | None = None) -> list:
    """The import's language list: the files' own first, then every language by name."""
    extra = (kept,) if kept else ()
    return choices([("", _l("As the files say")), *language_choices(extra)])


def order_choices(manual: bool) -> list:
    pairs = [
        ("", _l("Automatic: an order in the files, else along the route")),
        ("source", _l("The files' own order: their order field, else as listed")),
        ("route", _l("Along the route")),
    ]
    if manual:
        pairs.append((MANUAL, _l("As set by hand below")))
    return choices(pairs)


class OptionsForm(FlaskForm):
    """What the files cannot say (the options of ``bidean import``)."""

    title = StringField(_l("Title of the tour"))
    summary = StringField(_l("Summary"))
    city = StringField(_l("City"))
    timezone = StringField(_l("Time zone, such as Europe/Vienna"))
    licence = StringField(_l("Licence of the texts (SPDX), such as CC-BY-SA-4.0"))
    language = SelectField(_l("Language of the texts"), choices=lambda: text_languages())
    mappings = TextAreaField(_l("Field mapping, one per line, such as story=historical_relevance"))
    order = SelectField(_l("Stop order"))
    # Offered by the preview only when the files hold several lines (set_line_choices).
    route_line = SelectField(_l("Route line"), choices=[])
    route = FileField(_l("Route file (GeoJSON, GPX, KML)"))
    draw_route = BooleanField(_l("Draw straight lines between the stops"))
    publish = BooleanField(_l("Publish it at once if nothing is left to do"))

    def set_language_choices(self, kept: str | None) -> None:
        """The list, with a language kept from before even when it is not in it."""
        self.language.choices = text_languages(kept)

    def set_order_choices(self, manual: bool) -> None:
        self.order.choices = order_choices(manual)

    def set_line_choices(self, lines: list[dict[str, Any]]) -> None:
        pairs = [
            ("", _l("Choose the route's line")),
            (JOIN, _l("All lines, joined in the files' order")),
        ]
        for line in lines:
            name = line["name"] or _l("(no name)")
            pairs.append((str(line["number"]), f"{line['number']}. {name}"))
        self.route_line.choices = choices(pairs)

    def fill(self, options: dict[str, Any]) -> None:
        for name in ("title", "summary", "city", "timezone", "licence", "language"):
            getattr(self, name).data = options.get(name) or ""
        self.mappings.data = "\n".join(options.get("mappings") or [])
        self.order.data = MANUAL if options.get("stop_order") else options.get("order") or ""
        self.publish.data = bool(options.get("publish"))
        self.route_line.data = JOIN if options.get("join") else options.get("route_line") or ""
        self.draw_route.data = bool(options.get("draw_route"))

    def options(self) -> dict[str, Any]:
        """The form as the options kept with the upload (``stop_order`` is the view's)."""
        lines = (self.mappings.data or "").replace("\r", "").split("\n")
        return {
            **{
                name: (getattr(self, name).data or "").strip() or None
                for name in ("title", "summary", "city", "timezone", "licence", "language")
            },
            "mappings": [line.strip() for line in lines if line.strip()],
            "order": self.order.data if self.order.data in ("source", "route") else None,
            "publish": bool(self.publish.data),
            **_line_options((self.route_line.data or "").strip()),
            "draw_route": bool(self.draw_route.data),
        }


class ImportForm(OptionsForm):
    tour = FileField(_l("A whole tour in one file (the Bidean profile, GeoJSON, GPX, KML, CSV)"))
    stops = MultipleFileField(_l("Stop files (GeoJSON, GPX, CSV, KML; several allowed)"))
    districts = FileField(_l("District outlines (GeoJSON, KML)"))


def _line_options(chosen: str) -> dict[str, Any]:
    """The route-line choice as ``bidean import``'s ``--route-line N`` or ``--join``."""
    if chosen == JOIN:
        return {"route_line": None, "join": True}
    return {"route_line": chosen if chosen.isdigit() else None, "join": False}


def mapping_error(options: dict[str, Any]) -> bool:
    try:
        FieldMap.parse(options.get("mappings") or [])
    except MappingError:
        return True
    return False


def mappable_fields() -> str:
    return ", ".join(sorted(MAPPABLE))


def assembly_options(options: dict[str, Any], max_bytes: int, stop_m: float) -> AssemblyOptions:
    """The kept options as the importer takes them (mappings already checked)."""
    stop_order = options.get("stop_order")
    return AssemblyOptions(
        title=options.get("title"),
        summary=options.get("summary"),
        city=options.get("city"),
        language=options.get("language"),
        timezone=options.get("timezone"),
        licence=options.get("licence"),
        fields=FieldMap.parse(options.get("mappings") or []),
        order=options.get("order"),
        stop_order=tuple(stop_order) if stop_order else None,
        route_line=options.get("route_line"),
        join=bool(options.get("join")),
        draw_route=bool(options.get("draw_route")),
        validation=ValidationOptions(max_bytes=max_bytes, stop_distance_m=stop_m),
    )
