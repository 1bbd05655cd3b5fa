"""A KMZ archive is refused before it inflates past its limits (a 1 MB bomb once took 2.3 GB)."""

from __future__ import annotations

import io
import time
import tracemalloc
import zipfile

import pytest

from tours.content.checking.pipeline import ValidationOptions
from tours.content.reading import kml
from tours.content.reading.kml import read_kml

_MIB = 1024 * 1024
KML = (
    b'<kml xmlns="http://www.opengis.net/kml/2.2"><Document><Placemark><name>Plaza</name>'
    b"<Point><coordinates>-2.9262,43.2556</coordinates></Point></Placemark></Document></kml>"
)


def _kmz(members: dict[str, int | bytes]) -> bytes:
    """An archive whose members are given bytes or that many zeros, streamed in."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1) as zf:
        for name, content in members.items():
            if isinstance(content, bytes):
                zf.writestr(name, content)
                continue
            with zf.open(name, "w", force_zip64=True) as stream:
                block = bytes(_MIB)
                for _ in range(content // _MIB):
                    stream.write(block)
    return buffer.getvalue()


def _codes(data: bytes, limits: kml.KmzLimits | None = None) -> list[str]:
    return [p.code for p in read_kml(data, "bomb.kmz", limits or kml.KMZ_LIMITS).problems]


def test_the_default_caps_are_the_import_limit_and_four_times_it():
    assert kml.KMZ_LIMITS.member_bytes == ValidationOptions().max_bytes == 50 * _MIB
    assert kml.KMZ_LIMITS.total_bytes == 4 * kml.KMZ_LIMITS.member_bytes


def test_a_200_mb_member_is_refused_unread_by_default():
    bomb = _kmz({"doc.kml": 200 * _MIB})
    assert len(bomb) < 2 * _MIB  # a small upload
    tracemalloc.start()
    started = time.perf_counter()
    problems = read_kml(bomb, "bomb.kmz").problems
    elapsed = time.perf_counter() - started
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert [p.code for p in problems] == ["kml.too-large"]
    assert "doc.kml" in problems[0].message and "50 MB" in problems[0].message
    assert problems[0].file == "bomb.kmz" and problems[0].line == 1
    assert elapsed < 1 and peak < 5 * _MIB


def test_a_lowered_member_cap_refuses_and_a_member_under_it_is_read():
    assert _codes(_kmz({"doc.kml": 3 * _MIB}), kml.KmzLimits(member_bytes=2 * _MIB)) == [
        "kml.too-large"
    ]
    assert _codes(_kmz({"doc.kml": KML}), kml.KmzLimits(member_bytes=len(KML))) == []
    assert _codes(_kmz({"doc.kml": KML}), kml.KmzLimits(member_bytes=len(KML) - 1)) == [
        "kml.too-large"
    ]


def test_bytes_are_counted_while_inflating_whatever_the_header_says():
    with zipfile.ZipFile(io.BytesIO(_kmz({"doc.kml": 2 * _MIB}))) as archive:
        member = archive.getinfo("doc.kml")
        assert kml._inflate(archive, member, 2 * _MIB) is not None
        assert kml._inflate(archive, member, 2 * _MIB - 1) is None


def test_the_total_of_all_members_is_capped():
    data = _kmz({"doc.kml": KML, "a.png": 3 * _MIB, "b.png": 3 * _MIB})
    problems = read_kml(data, "bomb.kmz", kml.KmzLimits(total_bytes=5 * _MIB)).problems
    assert [p.code for p in problems] == ["kml.too-large"]
    assert "5 MB" in problems[0].message
    assert _codes(data, kml.KmzLimits(total_bytes=7 * _MIB)) == []


def test_a_member_that_inflates_too_many_times_is_refused_under_the_cap():
    data = _kmz({"doc.kml": 2 * _MIB})  # zeros: about a thousand times
    problems = read_kml(data, "bomb.kmz").problems
    assert [p.code for p in problems] == ["kml.too-large"]
    assert f"more than {kml.KMZ_LIMITS.max_ratio} times" in problems[0].message
    assert _codes(data, kml.KmzLimits(max_ratio=10_000)) == ["kml.syntax"]  # read, then parsed


def test_an_archive_of_too_many_files_is_refused_before_it_is_opened(monkeypatch):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("doc.kml", KML)
        for number in range(30):
            archive.writestr(zipfile.ZipInfo(f"icons/{number}.png"), b"")
    data = buffer.getvalue()
    assert _codes(data, kml.KmzLimits(max_members=31)) == []
    monkeypatch.setattr(kml.zipfile, "ZipFile", lambda *a: pytest.fail("opened"))
    problems = read_kml(data, "many.kmz", kml.KmzLimits(max_members=30)).problems
    assert [p.code for p in problems] == ["kml.too-large"]
    assert "more than 30 files" in problems[0].message
    assert kml.KMZ_LIMITS.max_members == 10_000
