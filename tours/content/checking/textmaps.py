"""Checking and normalising the profile's *language maps* (``{"es": "…", "eu": "…"}``).

Used by every rule of :mod:`tours.content.checking.profile`, as every kind of feature
has them.  A checker is bound to one list of problems and to the tour's languages, so
that a plain string can become ``{default language: text}`` and missing translations
can be collected.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from tours.content.checking.validate import json_type
from tours.content.report import Problem, Severity, pointer
from tours.i18n import base_language, is_valid_tag, normalize_tag


@dataclass
class TextChecker:
    """Checks language maps against the tour's declared languages.

    ``languages`` are canonical tags, the first being the default.  ``coverage`` records,
    per feature properties pointer, which text lacks which declared language (and which
    languages were used without being declared), so one readable warning per feature
    can be written at the end instead of one per text.
    """

    problems: list[Problem]
    languages: list[str]
    coverage: dict[str, dict[str, list[str]]] = field(default_factory=dict)
    undeclared: dict[str, set[str]] = field(default_factory=dict)

    @property
    def default(self) -> str:
        """The language of plain strings ("und", undetermined, while languages is broken)."""
        return self.languages[0] if self.languages else "und"

    @property
    def _default_name(self) -> str:
        return f'"{self.default}"' if self.languages else "(the first entry of languages)"

    @property
    def example(self) -> str:
        """A tag to show in messages: the default, or "es" when languages is broken."""
        return self.languages[0] if self.languages else "es"

    def text(
        self,
        props: dict[str, Any],
        key: str,
        ptr: str,
        *,
        required: bool = False,
        what: str = "",
        coverage: bool = True,
    ) -> dict[str, str] | None:
        """The normalised language map at ``props[key]`` (None when absent or invalid)."""
        where = f"{ptr}/{key}"  # keys are the profile's own names: nothing to escape
        if props.get(key) is None:
            if required:
                self.problems.append(
                    Problem(
                        "profile.missing-property",
                        where,
                        f'{what or "This feature"} needs "{key}": a language map such as'
                        f' {{"{self.example}": "…"}}.',
                    )
                )
            return None
        value = props[key]
        if isinstance(value, str):
            return self._plain_string(value, where, key)
        if not isinstance(value, dict):
            self.problems.append(
                Problem(
                    "profile.text-type",
                    where,
                    f'"{key}" must be a language map such as {{"{self.example}": "…"}},'
                    f" not {json_type(value)}.",
                )
            )
            return None
        result = self._language_map(value, where, key)
        if result and coverage:
            self._note_coverage(ptr, key, result)
        return result

    def _plain_string(self, value: str, where: str, key: str) -> dict[str, str] | None:
        if not value.strip():
            self.problems.append(
                Problem("profile.empty-text", where, f'"{key}" is empty: write the text.')
            )
            return None
        self.problems.append(
            Problem(
                "profile.text-not-localized",
                where,
                f'"{key}" is a plain string; Bidean stores it as the default language'
                f' {self._default_name}. Write it as {{"{self.example}": "…"}} and add the'
                " other languages.",
                Severity.WARNING,
            )
        )
        text = {self.default: value}
        self._note_coverage(where.rsplit("/", 1)[0], key, text)
        return text

    def _language_map(self, value: dict[str, Any], where: str, key: str) -> dict[str, str] | None:
        result: dict[str, str] = {}
        first_spelling: dict[str, str] = {}
        ok = True
        for tag, text in value.items():
            canonical = canonical_tag(tag)
            tptr = f"{where}/{tag}" if canonical else where + pointer(str(tag))
            if canonical is None:
                ok = False
                self.problems.append(invalid_tag(tag, tptr))
                continue
            if canonical in result:
                ok = False
                self.problems.append(
                    Problem(
                        "profile.duplicate-language",
                        tptr,
                        f'"{tag}" and "{first_spelling[canonical]}" are the same language'
                        f" ({canonical}); keep one of them.",
                    )
                )
                continue
            if not isinstance(text, str) or not text.strip():
                ok = False
                found = "empty" if isinstance(text, str) else json_type(text)
                self.problems.append(
                    Problem(
                        "profile.empty-text",
                        tptr,
                        f'The {canonical} text of "{key}" is {found}; it must be non-empty text.'
                        " Write it, or remove the language from this text.",
                    )
                )
                continue
            first_spelling[canonical] = tag
            result[canonical] = text
        if not value:
            ok = False
            self.problems.append(
                Problem(
                    "profile.empty-text",
                    where,
                    f'"{key}" has no text in any language; write at least {{"{self.example}":'
                    ' "…"}.',
                )
            )
        return result if ok else None

    def _note_coverage(self, props_ptr: str, key: str, text: dict[str, str]) -> None:
        have = {_base(tag) for tag in text}
        missing = [lang for lang in self.languages if _base(lang) not in have]
        if missing:
            self.coverage.setdefault(props_ptr, {})[key] = missing
        declared = {_base(lang) for lang in self.languages}
        extra = {tag for tag in text if _base(tag) not in declared}
        if extra and self.languages:
            self.undeclared.setdefault(props_ptr, set()).update(extra)

    def coverage_warnings(self, labels: dict[str, str]) -> list[Problem]:
        """One warning per feature listing its missing translations, and one note for the
        texts in languages the tour does not declare (partial translations, kept).

        ``labels`` names each feature for the message ("stop "plaza"") by its properties
        pointer.
        """
        problems: list[Problem] = []
        for ptr, fields in self.coverage.items():
            listed = "; ".join(f"{key} ({', '.join(langs)})" for key, langs in fields.items())
            problems.append(
                Problem(
                    "profile.missing-translation",
                    ptr,
                    f"{labels.get(ptr, 'This feature')} has no translation for: {listed}."
                    " Visitors asking for those languages get the fallback text; add the"
                    " translations when you can.",
                    Severity.WARNING,
                )
            )
        if self.undeclared:
            problems.append(self._partial_languages(labels))
        return problems

    def _partial_languages(self, labels: dict[str, str]) -> Problem:
        """One note for the whole tour: texts in languages it does not declare are kept
        as partial translations, never a to-do, and offered to visitors once declared."""
        tags = sorted(set().union(*self.undeclared.values()))
        first = next(iter(self.undeclared))
        count = len(self.undeclared)
        where = labels.get(first, "one feature") if count == 1 else f"{count} features"
        return Problem(
            PARTIAL_LANGUAGE,
            first,
            f"Texts in {', '.join(tags)} ({where}) are kept as partial translations: the"
            f" tour's languages ({', '.join(self.languages)}) do not list them, so visitors"
            " are not offered them. Declare a language when its texts are ready"
            " (bidean translations declare SLUG LANG, or the tour's Translations page).",
            Severity.WARNING,
        )


PARTIAL_LANGUAGE = "profile.partial-language"


def canonical_tag(tag: Any) -> str | None:
    """The canonical form of a valid BCP 47 tag (``pt-br`` -> ``pt-BR``), else None."""
    return _canonical(tag) if isinstance(tag, str) else None


@lru_cache(maxsize=4096)
def _canonical(tag: str) -> str | None:
    # Cached: langcodes parses the tag on every call, and a tour with 1,000 stops asks
    # about the same three tags 10,000 times.
    return normalize_tag(tag) if is_valid_tag(tag) else None


@lru_cache(maxsize=4096)
def _base(tag: str) -> str:
    return base_language(tag)


def invalid_tag(tag: Any, ptr: str) -> Problem:
    """The problem for a string that is not a BCP 47 tag, with a hint when we can guess."""
    hint = " Use a BCP 47 tag such as es, eu, en, pt-BR or zh-Hant."
    if isinstance(tag, str) and "_" in tag:
        hint = f' Use hyphens, not underscores: "{tag.replace("_", "-")}".'
    elif isinstance(tag, str) and len(tag) > 3 and tag.isalpha():
        hint = ' Write the language code, not its name: for example "es" for Spanish.'
    shown = f'"{tag}"' if isinstance(tag, str) else json_type(tag)
    return Problem(
        "profile.invalid-language-tag", ptr, f"{shown} is not a valid language tag.{hint}"
    )
