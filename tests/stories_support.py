"""A tour holding residents' contributions with different consents, for the tests of
what each use shows (tour pages, guide console, kits and exports).

Every contributed text, caption and transcript carries a unique marker, so a test can
search a page, a zip or a cache for it: ``MARK[name]`` is the marker of one contribution.

* ``named``: "Amina", every use, CC BY, photos and recording (with a transcript in
  Arabic) on the stop ``plaza``;
* ``anonymous``: a neighbour of San Francisco, tour pages and guides' scripts, licence
  "this site only", a ``community`` text on ``cortes``;
* ``guides``: guides' scripts only: the whole stop ``mercado`` (name and story);
* ``nophotos``: every use, CC BY, but no photos and no recording: an ``accessibility``
  text, a photo and a recording on ``cortes``.
"""

from __future__ import annotations

import copy
from typing import Any

from sqlalchemy.orm import Session

from tests.tours.tourdoc import stop, tour
from tours.stories.consent import (
    CREDIT_ANONYMOUS,
    CREDIT_FIRST_NAME,
    CREDIT_FULL_NAME,
    LICENCE_CC_BY,
    LICENCE_SITE_ONLY,
    ConsentChoices,
)
from tours.stories.contributions import ConsentGiven, Proposal, StoredMedia, submit
from tours.stories.document import mark
from tours.stories.models import ACCEPTED, AUDIO, IMAGE

SLUG = "san-francisco-voices"
MARK = {
    "named": "MARKNAMED7f3a",
    "anonymous": "MARKANON4b9c",
    "guides": "MARKGUIDES2d8e",
    "nophotos": "MARKNOPHOTO6a1f",
}
IMAGE_KEYS = {"named": "1" * 32, "nophotos": "2" * 32}
AUDIO_KEYS = {"named": "3" * 32, "nophotos": "4" * 32}

CONSENTS = {
    "named": dict(
        credit=CREDIT_FULL_NAME,
        credit_name="Amina <b>Haddad</b>",
        tour_pages=True,
        guide_scripts=True,
        kits=True,
        photos=True,
        audio=True,
        licence=LICENCE_CC_BY,
    ),
    "anonymous": dict(
        credit=CREDIT_ANONYMOUS,
        credit_name=None,
        tour_pages=True,
        guide_scripts=True,
        kits=False,
        photos=True,
        audio=True,
        licence=LICENCE_SITE_ONLY,
    ),
    "guides": dict(
        credit=CREDIT_FIRST_NAME,
        credit_name="Jonander",
        tour_pages=False,
        guide_scripts=True,
        kits=False,
        photos=True,
        audio=True,
        licence=LICENCE_CC_BY,
    ),
    "nophotos": dict(
        credit=CREDIT_FIRST_NAME,
        credit_name="Mei",
        tour_pages=True,
        guide_scripts=True,
        kits=True,
        photos=False,
        audio=False,
        licence=LICENCE_CC_BY,
    ),
}


def consent(name: str) -> ConsentGiven:
    choices = ConsentChoices(age_16_or_over=True, **CONSENTS[name])
    return ConsentGiven(choices, wording="You agree that…", wording_language="en")


def contribute(db_session: Session, name: str, *, status: str = ACCEPTED) -> str:
    """A contribution with the consent ``name``, accepted; its public id."""
    media = []
    if name in IMAGE_KEYS:
        media.append(StoredMedia(IMAGE, IMAGE_KEYS[name], "image/webp", 1000))
    if name in AUDIO_KEYS:
        media.append(StoredMedia(AUDIO, AUDIO_KEYS[name], "audio/mpeg", 5000, 12.0))
    proposal = Proposal(
        language="ar",
        interface_language="ar",
        title=f"Title {MARK[name]}",
        story=f"Story {MARK[name]}",
        tour_slug=SLUG,
        media=tuple(media),
    )
    contribution, _ = submit(db_session, proposal, consent(name))
    contribution.status = status
    db_session.flush()
    return contribution.public_id


def _props(document: dict[str, Any], stop_id: str) -> dict[str, Any]:
    return next(
        f["properties"] for f in document["features"] if f["properties"].get("id") == stop_id
    )


def contributed_document(ids: dict[str, str], *, transcript: bool = True) -> dict[str, Any]:
    """``tests.tours.tourdoc.tour()`` with a third stop and the four contributions of
    ``ids`` (``{name: public_id}``; a name left out is not in the document)."""
    document = tour()
    document["features"].append(stop("mercado", -2.9241, 43.25452))
    if "named" in ids:
        props = _props(document, "plaza")
        props["story"]["ar"] = f"قصة {MARK['named']}"
        props["media"] = [
            {"url": "https://example.org/own.jpg", "type": "image"},
            {
                "url": "media:" + IMAGE_KEYS["named"],
                "type": "image",
                "contribution": ids["named"],
                "caption": {"es": f"Foto {MARK['named']}-photo"},
            },
            {
                "url": "audio:" + AUDIO_KEYS["named"],
                "type": "audio",
                "contribution": ids["named"],
                "mime": "audio/mpeg",
                **(
                    {"transcript": {"ar": f"كنا نأتي <script>alert(1)</script> {MARK['named']}-t"}}
                    if transcript
                    else {}
                ),
            },
        ]
        document = mark(document, "plaza", ids["named"], ["story.ar"], credit="Amina <b>Haddad</b>")
    if "anonymous" in ids:
        props = _props(document, "cortes")
        props["community"] = {"es": f"Vecinas {MARK['anonymous']}"}
        document = mark(
            document,
            "cortes",
            ids["anonymous"],
            ["community.es"],
            credit=None,
            neighbourhood="San Francisco",
        )
    if "nophotos" in ids:
        props = _props(document, "cortes")
        props["accessibility"] = {"es": f"Escalones {MARK['nophotos']}"}
        props["media"] = [
            {
                "url": "media:" + IMAGE_KEYS["nophotos"],
                "type": "image",
                "contribution": ids["nophotos"],
                "caption": {"es": f"Foto {MARK['nophotos']}-photo"},
            },
            {
                "url": "audio:" + AUDIO_KEYS["nophotos"],
                "type": "audio",
                "contribution": ids["nophotos"],
                "transcript": {"es": f"Palabras {MARK['nophotos']}-t"},
            },
        ]
        document = mark(document, "cortes", ids["nophotos"], ["accessibility.es"], credit="Mei")
    if "guides" in ids:
        props = _props(document, "mercado")
        props["name"] = {"es": f"Mercado {MARK['guides']}"}
        props["story"] = {"es": f"Historia {MARK['guides']}"}
        document = mark(
            document, "mercado", ids["guides"], ["name.es", "story.es"], credit="Jonander"
        )
    return copy.deepcopy(document)


def contribute_all(db_session: Session, **statuses: str) -> dict[str, str]:
    """The four contributions, accepted unless ``statuses`` say otherwise: ``{name: id}``."""
    return {
        name: contribute(db_session, name, status=statuses.get(name, ACCEPTED)) for name in MARK
    }
