"""What the report says about languages: how many texts each language got, and which
plain texts a ``name:xx`` variant of the same language replaced (kept as ``local_…``)."""

from __future__ import annotations

from collections import Counter
from typing import Any

from tours.content.assembly.fieldmap import TEXT_FIELDS
from tours.content.checking.textmaps import canonical_tag
from tours.text import counted

#: The language maps counted: every text field a document's features may have.
_COUNTED = TEXT_FIELDS | {"credits"}


def texts_per_language(document: dict[str, Any]) -> dict[str, dict[str, int]]:
    """``{"de": {"name": 24}, "en": {"name": 50, "title": 1}}`` over every feature's
    language maps, languages and fields in a stable order (most texts first)."""
    counts: dict[str, Counter[str]] = {}
    for feature in document.get("features", []):
        for key, value in (feature.get("properties") or {}).items():
            if key in _COUNTED and isinstance(value, dict):
                for tag, text in value.items():
                    if isinstance(text, str) and text.strip():
                        counts.setdefault(tag, Counter())[key] += 1
    ordered = sorted(counts.items(), key=lambda item: (-sum(item[1].values()), item[0]))
    return {tag: dict(sorted(fields.items())) for tag, fields in ordered}


def language_notes(texts: dict[str, dict[str, int]], language: str) -> list[str]:
    """One line counting the texts of each language, the plain texts' language first."""
    if not texts:
        return [f"No texts were found; plain texts would have gone to {language}."]
    parts = []
    for tag, fields in texts.items():
        detail = ", ".join(f"{field} {n}" for field, n in fields.items())
        parts.append(f"{tag} {sum(fields.values())} ({detail})")
    return [
        f"Texts per language (plain texts went to {language}): {'; '.join(parts)}.",
    ]


def local_notes(kept: Counter[tuple[str, str, str]], what: str, language: str) -> list[str]:
    """``3 stops kept the plain 'name' as local_name: name:en gave the en text.``; ``what``
    is a noun to count ("stop") or one thing ("The route")."""
    return [
        f"{what if what[0].isupper() else counted(n, what)} kept the plain {source!r} as"
        f" {key}: {variant} gave the {language} text."
        for (key, source, variant), n in kept.items()
    ]


def not_languages(props: dict[str, Any], sources: tuple[str, ...]) -> list[str]:
    """The keys of ``props`` written like a variant (``name:left``, ``name:etymology``)
    whose suffix is no language tag: they are kept under their own names, and said so."""
    return [
        key
        for key in props
        if ":" in key
        and key.partition(":")[0] in sources
        and canonical_tag(key.partition(":")[2]) is None
    ]


def not_language_notes(keys: Counter[str]) -> list[str]:
    """``name:left on 2 stops is kept as it was: 'left' is not a language tag.``"""
    return [
        f"{key} on {counted(n, 'stop')} is kept as it was: {key.partition(':')[2]!r} is not"
        " a language tag."
        for key, n in sorted(keys.items())
    ]
