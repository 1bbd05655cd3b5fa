"""Residents' contributions in the profile: the stop's ``contributions``, a media's
``contribution``, stored recordings (``audio:<key>``) with their ``mime`` and
``transcript``, and the to-do of a published recording without a transcript."""

from __future__ import annotations

import pytest

from tests.tours.tourdoc import codes, problem, tour
from tours.content.checking.pipeline import ValidationOptions, validate_document
from tours.tour.domain import Media

CTB = "ctb-abcdefgh23456789"
KEY = "0123456789abcdef" * 2
RECORDING = {
    "url": f"audio:{KEY}",
    "type": "audio",
    "contribution": CTB,
    "mime": "audio/ogg",
    "transcript": {"ar": "كنا نأتي إلى هنا", "es": "Veníamos aquí"},
}


def check(document):
    return validate_document(document, "tour.geojson", ValidationOptions())


def with_stop(**props):
    document = tour()
    document["features"][1]["properties"].update(props)
    return document


def contributed(**entry):
    base = {"id": CTB, "texts": ["story.ar"], "credit": "Amina"}
    return with_stop(
        story={"es": "Una historia.", "eu": "Istorio bat.", "en": "A story.", "ar": "قصة"},
        contributions=[{**base, **entry}],
        media=[dict(RECORDING)],
    )


def test_a_contributed_stop_is_valid_and_kept_as_written():
    result = check(contributed())
    assert result.valid, result.report.to_text()
    assert "profile.audio-transcript" not in codes(result)
    stop = result.tour.stops[0]
    assert stop.extra["contributions"] == [{"id": CTB, "texts": ["story.ar"], "credit": "Amina"}]
    [recording] = stop.media
    assert (recording.contribution, recording.mime) == (CTB, "audio/ogg")
    assert dict(recording.transcript) == RECORDING["transcript"]
    assert recording.recording_extension == "ogg"
    assert result.tour.to_document() == result.document


def test_anonymous_with_neighbourhood_withdrawn_and_64_digit_keys_are_valid():
    document = contributed(credit=None, neighbourhood="San Francisco")
    props = document["features"][1]["properties"]
    props["contributions"].append({"id": "ctb-withdrawn1", "withdrawn": True})
    props["media"][0]["url"] = "audio:" + "f" * 64
    result = check(document)
    assert result.valid, result.report.to_text()
    entries = result.tour.stops[0].extra["contributions"]
    assert entries[0]["credit"] is None and entries[0]["neighbourhood"] == "San Francisco"
    assert entries[1] == {"id": "ctb-withdrawn1", "withdrawn": True}


def test_language_tags_in_texts_are_made_canonical():
    document = contributed(texts=["story.AR", "name.pt-br"])
    result = check(document)
    assert result.valid, result.report.to_text()
    assert result.tour.stops[0].extra["contributions"][0]["texts"] == ["story.ar", "name.pt-BR"]


@pytest.mark.parametrize(
    ("change", "code", "pointer"),
    [
        ({"contributions": "ctb-x"}, "profile.contributions", "contributions"),
        ({"contributions": ["ctb-x"]}, "profile.contributions", "contributions/0"),
        ({"contributions": [{"id": CTB, "withdrawn": "yes"}]}, "profile.contributions",
         "contributions/0/withdrawn"),
        ({"contributions": [{"texts": [], "credit": None}]}, "profile.contribution-id",
         "contributions/0/id"),
        ({"contributions": [{"id": "amina", "texts": [], "credit": None}]},
         "profile.contribution-id", "contributions/0/id"),
        ({"contributions": [{"id": 7, "texts": [], "credit": None}]},
         "profile.contribution-id", "contributions/0/id"),
        ({"contributions": [{"id": CTB, "texts": [], "credit": None},
                            {"id": CTB, "texts": [], "credit": None}]},
         "profile.contribution-id", "contributions/1/id"),
        ({"contributions": [{"id": CTB, "credit": None}]}, "profile.contribution-texts",
         "contributions/0/texts"),
        ({"contributions": [{"id": CTB, "texts": "story.ar", "credit": None}]},
         "profile.contribution-texts", "contributions/0/texts"),
        ({"contributions": [{"id": CTB, "texts": ["story"], "credit": None}]},
         "profile.contribution-texts", "contributions/0/texts/0"),
        ({"contributions": [{"id": CTB, "texts": ["price.ar"], "credit": None}]},
         "profile.contribution-texts", "contributions/0/texts/0"),
        ({"contributions": [{"id": CTB, "texts": ["story.not a tag"], "credit": None}]},
         "profile.contribution-texts", "contributions/0/texts/0"),
        ({"contributions": [{"id": CTB, "texts": [3], "credit": None}]},
         "profile.contribution-texts", "contributions/0/texts/0"),
        ({"contributions": [{"id": CTB, "texts": []}]}, "profile.contribution-credit",
         "contributions/0/credit"),
        ({"contributions": [{"id": CTB, "texts": [], "credit": " "}]},
         "profile.contribution-credit", "contributions/0/credit"),
        ({"contributions": [{"id": CTB, "texts": [], "credit": ["Amina"]}]},
         "profile.contribution-credit", "contributions/0/credit"),
        ({"contributions": [{"id": CTB, "texts": [], "credit": None, "neighbourhood": 3}]},
         "profile.contribution-credit", "contributions/0/neighbourhood"),
        ({"media": [{**RECORDING, "contribution": "amina"}]}, "profile.media-contribution",
         "media/0/contribution"),
        ({"media": [{**RECORDING, "contribution": 12}]}, "profile.media-contribution",
         "media/0/contribution"),
        ({"media": [{**RECORDING, "url": "audio:1234"}]}, "profile.media-url", "media/0/url"),
        ({"media": [{**RECORDING, "url": "audio:" + "G" * 32}]}, "profile.media-url",
         "media/0/url"),
        ({"media": [{**RECORDING, "type": "image"}]}, "profile.media-url", "media/0/url"),
        ({"media": [{**RECORDING, "transcript": "words"}]}, "profile.media-transcript",
         "media/0/transcript"),
        ({"media": [{"url": "media:" + "a" * 32, "type": "image", "transcript": {"es": "x"}}]},
         "profile.media-transcript", "media/0/transcript"),
        ({"media": [{**RECORDING, "transcript": {"es": ""}}]}, "profile.empty-text",
         "media/0/transcript/es"),
        ({"media": [{**RECORDING, "transcript": {"xx-!!": "x"}}]},
         "profile.invalid-language-tag", "media/0/transcript"),
        ({"media": [{**RECORDING, "mime": "text/html"}]}, "profile.media-mime", "media/0/mime"),
        ({"media": [{**RECORDING, "mime": 3}]}, "profile.media-mime", "media/0/mime"),
        ({"media": [{"url": "media:" + "a" * 32, "type": "image", "mime": "audio/ogg"}]},
         "profile.media-mime", "media/0/mime"),
    ],
)  # fmt: skip
def test_each_malformed_shape_is_refused_with_its_code(change, code, pointer):
    result = check(with_stop(**change))
    assert not result.valid
    found = problem(result, code)
    assert found.pointer.startswith(f"/features/1/properties/{pointer}"), found.pointer
    assert found.message


def test_a_published_recording_without_a_transcript_is_a_warning_not_an_error():
    recording = {k: v for k, v in RECORDING.items() if k != "transcript"}
    result = check(with_stop(media=[recording]))
    assert result.valid
    found = problem(result, "profile.audio-transcript")
    assert str(found.severity) == "warning"
    assert found.pointer == "/features/1/properties/media/0"
    # Only published stops and only recordings Bidean stores (a link is not played here).
    draft = with_stop(media=[recording], status="draft")
    assert "profile.audio-transcript" not in codes(check(draft))
    linked = with_stop(media=[{"url": "https://example.org/a.mp3", "type": "audio"}])
    assert "profile.audio-transcript" not in codes(check(linked))


def test_media_round_trip_keeps_the_new_fields():
    media = Media.from_json(RECORDING)
    assert Media.from_json(media.to_json()) == media
    assert media.to_json() == RECORDING
    assert Media("audio:" + KEY, "audio", mime="audio/unknown").recording_extension is None
    assert Media("https://x.org/a.mp3", "audio", mime="audio/mpeg").recording_extension is None
