"""The tour's ``licence``, checked against SPDX identifiers (``license-expression``).

A valid SPDX expression (``CC-BY-SA-4.0``, ``CC-BY-4.0 OR MIT``, ``LicenseRef-…``) passes.
Anything else (a URL, free text, a misspelling) is a warning naming the closest SPDX
identifier: a Creative Commons URL maps to its identifier exactly, other text to the
nearest identifier by spelling.
"""

from __future__ import annotations

import difflib
import importlib.util
import json
import re
from functools import lru_cache
from pathlib import Path

from tours.content.report import Problem, Severity

_CC_URL = re.compile(
    r"creativecommons\.org/(?:licenses/(?P<kind>[a-z-]+)/(?P<version>\d\.\d)|publicdomain/zero/1\.0)",
    re.IGNORECASE,
)
_LICENCE_REF = re.compile(r"^LicenseRef-[A-Za-z0-9.-]+$")
_OTHER_URLS = {
    "opendatacommons.org/licenses/odbl": "ODbL-1.0",
    "opensource.org/licenses/mit": "MIT",
}


#: One licence identifier, no operators (``CC-BY-SA-4.0``, ``GPL-2.0+``): nearly every tour.
_SINGLE = re.compile(r"[A-Za-z0-9][A-Za-z0-9.+-]*")


#: Lower-case identifiers of the licences tours use most, each a valid SPDX expression
#: alone (tests/tours/content/checking/test_licences.py checks every one against
#: license-expression): answered without reading its 1 MB index (`_single_keys`).
COMMON_LICENCES = frozenset(
    f"cc-{kind}-{version}"
    for kind in ("by", "by-sa", "by-nc", "by-nc-sa", "by-nd", "by-nc-nd")
    for version in ("3.0", "4.0")
) | frozenset(("cc0-1.0", "odbl-1.0", "odc-by-1.0", "pddl-1.0", "mit", "apache-2.0"))


@lru_cache(maxsize=1)
def _licensing():  # type: ignore[no-untyped-def]
    # Late import, only to keep `bidean validate` fast: building the SPDX parser takes a
    # tenth of a second, and a single known identifier does not need it (`_single_keys`).
    from license_expression import get_spdx_licensing

    return get_spdx_licensing()


@lru_cache(maxsize=1)
def _single_keys() -> frozenset[str]:
    """Lower-case SPDX identifiers (and their aliases) of the licences, not exceptions,
    in license-expression's own index, read without building its parser: each of them
    alone is a valid expression.  Empty when the index cannot be read."""
    spec = importlib.util.find_spec("license_expression")
    folders = spec.submodule_search_locations if spec is not None else None
    if not folders:
        return frozenset()
    try:
        with open(Path(folders[0]) / "data" / "scancode-licensedb-index.json", "rb") as f:
            index = json.load(f)
        keys = set()
        for entry in index:
            key = entry.get("spdx_license_key")
            if key and not entry.get("is_exception"):
                keys.add(key.lower())
                keys.update(alias.lower() for alias in entry.get("other_spdx_license_keys") or ())
        return frozenset(keys)
    except (OSError, ValueError, TypeError, AttributeError):
        return frozenset()


@lru_cache(maxsize=1)
def _identifiers() -> dict[str, str]:
    """Lower-case key -> SPDX identifier as written."""
    return {
        symbol.key.lower(): symbol.key
        for symbol in _licensing().known_symbols.values()
        if not symbol.key.startswith("LicenseRef-")
    }


def is_spdx(value: str) -> bool:
    """True for a valid SPDX licence expression made of known identifiers."""
    if value.lower() in COMMON_LICENCES:
        return True  # as below, without reading the index
    if _SINGLE.fullmatch(value) and value.lower() in _single_keys():
        return True  # what the full parser says of a known identifier, at a fraction of its cost
    from license_expression import ExpressionError  # late import, see `_licensing`

    try:
        info = _licensing().validate(value, strict=False)
    except (ExpressionError, AttributeError):  # the library trips on some invalid keys
        return False
    return not info.errors and not info.invalid_symbols


def closest_identifier(value: str) -> str | None:
    """The SPDX identifier ``value`` most likely means, or None."""
    url = _CC_URL.search(value)
    if url:
        if url.group("kind") is None:
            return "CC0-1.0"
        return f"CC-{url.group('kind').upper()}-{url.group('version')}"
    lowered = value.lower()
    for fragment, identifier in _OTHER_URLS.items():
        if fragment in lowered:
            return identifier
    squeezed = re.sub(r"[\s_]+", "-", value.strip()).lower()
    identifiers = _identifiers()
    if squeezed in identifiers:
        return identifiers[squeezed]
    match = difflib.get_close_matches(squeezed, list(identifiers), n=1, cutoff=0.6)
    return identifiers[match[0]] if match else None


def licence_problem(value: str, ptr: str) -> Problem | None:
    """A warning when ``value`` is not an SPDX expression; None when it is."""
    if is_spdx(value) or _LICENCE_REF.match(value.strip()):
        return None
    closest = closest_identifier(value)
    hint = (
        f' The closest SPDX identifier is "{closest}": write that if it is what you mean.'
        if closest
        else ' Use an SPDX identifier such as "CC-BY-SA-4.0" (see spdx.org/licenses).'
    )
    return Problem(
        "profile.licence-not-spdx",
        ptr,
        f'The licence "{value[:80]}" is not an SPDX identifier, so other tools cannot read'
        f" it.{hint}",
        Severity.WARNING,
    )
