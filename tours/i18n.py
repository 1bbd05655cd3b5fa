"""Translated content: a ``{language tag: text}`` map with an explicit fallback chain.

This is tour content (stories, names), not interface strings: those go through
gettext in the web layer.  The chain follows pretix: exact tag, base language, then
the fallback: the visitor's other languages in their order (a ``de,en`` visitor reads
English before the tour's default Spanish), the tour's default language, then any
language the text exists in.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass

# langcodes also accepts "es_ES"; BCP 47 only has hyphen-separated alphanumeric subtags.
_TAG_SHAPE = re.compile(r"^[A-Za-z]{2,8}(-[A-Za-z0-9]{1,8})*$")


#: Where a text goes when it lacks the requested language: one tag (the tour's default
#: language), or several tried in order (the visitor's other languages, then the default).
Fallback = str | Sequence[str]


#: Tags that are valid and already canonical (``langcodes.standardize_tag(tag,
#: macro=False)`` gives them back unchanged; tests/tours/test_i18n.py checks every one):
#: the interface's languages, those of Bilbao's communities and other common ones.  They
#: are answered without langcodes, whose import compiles a pattern of every registered
#: subtag (about 20 ms of `bidean validate`); any other tag asks langcodes.
COMMON_TAGS = frozenset({
    # The interface's languages (webapp/translations) and Spain's others.
    "es", "eu", "en", "fr", "ar", "pl", "de", "pt", "it", "ca", "gl", "ast", "oc", "an",
    # Bilbao's communities: the Maghreb and Amazigh, West Africa, the Horn of Africa,
    # South Asia, Latin America, China, Eastern Europe, the Philippines.
    "ary", "ber", "kab", "tzm", "zgh", "wo", "ff", "bm", "ha", "yo", "ig", "sw", "am", "ti",
    "so", "ur", "pa", "hi", "bn", "ps", "fa", "qu", "ay", "gn", "zh", "zh-Hans", "zh-Hant",
    "ro", "ru", "uk", "bg", "ka", "hy", "fil",
    # Other common ones, and the regional forms people write.
    "nl", "sv", "nb", "no", "da", "fi", "el", "tr", "he", "ja", "ko", "vi", "id", "ms", "cs",
    "sk", "hu", "hr", "sr", "lt", "lv", "et", "sl", "sq", "cy", "ga", "br",
    "pt-BR", "pt-PT", "es-419", "en-GB", "en-US", "fr-CA",
})  # fmt: skip


def normalize_tag(tag: str) -> str:
    """Canonical BCP 47 casing (``pt-br`` -> ``pt-BR``); raises ValueError if malformed."""
    if not is_valid_tag(tag):
        raise ValueError(f"{tag!r} is not a valid BCP 47 language tag")
    if tag in COMMON_TAGS:
        return tag
    # Late import, only for the CLI's start-up: see COMMON_TAGS.
    import langcodes

    return langcodes.standardize_tag(tag, macro=False)


def is_valid_tag(tag: object) -> bool:
    """True for a well-formed BCP 47 tag such as ``es``, ``eu``, ``pt-BR`` or ``zh-Hant``."""
    if not isinstance(tag, str):
        return False
    if tag in COMMON_TAGS:
        return True
    if not _TAG_SHAPE.match(tag):
        return False
    # Late import, only for the CLI's start-up: see COMMON_TAGS.
    import langcodes

    return langcodes.tag_is_valid(tag)


def base_language(tag: str) -> str:
    """``pt-BR`` -> ``pt``; a tag without subtags is its own base."""
    return tag.split("-", 1)[0].lower()


@dataclass(frozen=True)
class Resolved:
    """The text picked for a request, which language it is in, and whether it fell back."""

    text: str
    language: str
    requested: str

    @property
    def is_fallback(self) -> bool:
        """True when the text is not in the requested language (nor its base language)."""
        return base_language(self.language) != base_language(self.requested)


class LocalizedText(Mapping[str, str]):
    """An immutable ``{BCP 47 tag: text}`` map that resolves a request with fallback."""

    __slots__ = ("_texts",)

    def __init__(self, texts: Mapping[str, str] | None = None) -> None:
        self._texts: dict[str, str] = dict(texts or {})

    def __getitem__(self, tag: str) -> str:
        return self._texts[tag]

    def __iter__(self) -> Iterator[str]:
        return iter(self._texts)

    def __len__(self) -> int:
        return len(self._texts)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, LocalizedText):
            return self._texts == other._texts
        if isinstance(other, Mapping):
            return self._texts == dict(other)
        return NotImplemented

    def __hash__(self) -> int:
        return hash(tuple(sorted(self._texts.items())))

    def __repr__(self) -> str:
        return f"LocalizedText({self._texts!r})"

    @property
    def languages(self) -> list[str]:
        """The tags this text exists in, in the order they were given."""
        return list(self._texts)

    def to_json(self) -> dict[str, str]:
        """The plain ``{tag: text}`` dict written into GeoJSON."""
        return dict(self._texts)

    def resolve(self, requested: str, default: Fallback | None = None) -> Resolved | None:
        """Pick a text for ``requested``: exact tag, base language, then each tag of
        ``default`` in its order (exact, then base language), then any.

        Tags compare case-insensitively.  Returns None only when the map is empty.
        """
        if not self._texts:
            return None
        by_lower = {tag.lower(): tag for tag in self._texts}
        fallbacks = [default] if isinstance(default, str) else list(default or ())
        candidates: list[str] = []
        for tag in (requested, *fallbacks):
            wanted = tag.lower()
            candidates += [wanted, base_language(wanted)]
            # A request for plain "pt" is happily served by "pt-BR" before falling back.
            candidates += [t for t in by_lower if base_language(t) == base_language(wanted)]
        for candidate in candidates:
            if candidate in by_lower:
                tag = by_lower[candidate]
                return Resolved(self._texts[tag], tag, requested)
        first = next(iter(self._texts))
        return Resolved(self._texts[first], first, requested)

    def get_text(self, requested: str, default: Fallback | None = None) -> str:
        """The resolved text, or the empty string for an empty map."""
        resolved = self.resolve(requested, default)
        return resolved.text if resolved else ""
