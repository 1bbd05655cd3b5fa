"""Images beside a tour file: ``bidean validate`` checks them from their headers, ``bidean
import`` re-encodes each once (issue #23).

Real image files through the real commands: what a header shows (type, size, pixels, a
PNG cut short) is refused by both; what only decoding the pixels shows (a JPEG cut short)
passes ``validate`` and is refused by ``import``.
"""

from __future__ import annotations

import io
import json
import os
from pathlib import Path

import pytest
from click.testing import CliRunner
from PIL import Image

from tests.image_support import png_with_text_bomb
from tests.webapp.media.test_media import jpeg_with_metadata, tour_with_image
from tours.errors import TourNotFound
from tours.tour.store import get_tour
from webapp.commands import OWN_SETTINGS
from webapp.commands.validate import validate_command
from webapp.common.database import get_db
from webapp.media import store as media_store_module
from webapp.media.store import MAX_PIXELS, MediaError, check_file, media_key, store_for


def fresh_jpeg(size=(1200, 800)) -> bytes:
    """A JPEG no other test made: the session's store of encoded images
    (``tests/conftest.py``) would otherwise hand over the copy a test before made."""
    image = Image.new("RGB", size, tuple(os.urandom(3)))
    image.paste(tuple(os.urandom(3)), (0, 0, size[0] // 2, size[1] // 3))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=90)
    return out.getvalue()


def png(size=(64, 48)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (10, 120, 200)).save(out, "PNG")
    return out.getvalue()


def validate(*paths: Path) -> tuple[int, list[dict]]:
    """``bidean validate --json`` as ``webapp.cli`` runs it: alone, without Flask's group."""
    result = CliRunner().invoke(
        validate_command, ["--json", *map(str, paths)], obj=OWN_SETTINGS, catch_exceptions=False
    )
    return result.exit_code, json.loads(result.output)


@pytest.fixture
def decodes(monkeypatch) -> list[str]:
    """The names of the images decoded (as re-encoding does) while the test runs."""
    names: list[str] = []
    real = media_store_module.decode

    def counting(data: bytes, name: str):
        names.append(Path(name).name)
        return real(data, name)

    monkeypatch.setattr(media_store_module, "decode", counting)
    return names


def tour_file(folder: Path, url: str, data: bytes | None) -> Path:
    if data is not None:
        (folder / url).parent.mkdir(parents=True, exist_ok=True)
        (folder / url).write_bytes(data)
    path = folder / "image-walk.geojson"
    path.write_text(json.dumps(tour_with_image(url), indent=2))
    return path


def test_validate_checks_a_good_image_without_decoding_it(tmp_path, decodes):
    path = tour_file(tmp_path, "pictures/plaza.jpg", jpeg_with_metadata((1200, 800)))
    code, [report] = validate(path)
    assert code == 0 and report["valid"] is True, report
    assert decodes == [], "validate reads headers; it re-encodes nothing"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["image-walk.geojson", "pictures"]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"<html>not a picture</html>", "not an image Bidean can read"),
        (b"\x89PNG\r\n\x1a\n" + b"\0" * 40, "not an image Bidean can read"),  # a broken header
        (png()[:-30], "damaged image"),  # a PNG cut short: its chunks no longer add up
        (png_with_text_bomb("zTXt"), "not an image Bidean can read"),
        (None, "There is no image file"),
    ],
)
def test_validate_reports_what_a_header_shows_with_the_pointer_and_its_line(
    tmp_path, decodes, data, message
):
    path = tour_file(tmp_path, "pictures/plaza.png", data)
    code, [report] = validate(path)
    assert code == 1 and report["valid"] is False
    [error] = report["errors"]
    assert error["code"] == "media.local-file" and message in error["message"]
    assert error["pointer"] == "/features/1/properties/media/0/url"
    line = path.read_text().splitlines()[error["line"] - 1]
    assert '"url": "pictures/plaza.png"' in line  # the file was parsed once, as written
    assert decodes == []


def test_validate_names_another_format_and_too_many_pixels(tmp_path):
    tiff = io.BytesIO()
    Image.new("RGB", (20, 20)).save(tiff, "TIFF")
    (tmp_path / "scan.tif").write_bytes(tiff.getvalue())
    with pytest.raises(MediaError, match="TIFF image; use JPEG, PNG, WebP or GIF"):
        check_file(tmp_path / "scan.tif")
    (tmp_path / "huge.png").write_bytes(png((8000, MAX_PIXELS // 8000 + 10)))
    with pytest.raises(MediaError, match="megapixels"):
        check_file(tmp_path / "huge.png")
    (tmp_path / "folder.png").mkdir()
    with pytest.raises(MediaError, match="is a folder"):
        check_file(tmp_path / "folder.png")


def test_the_media_problem_joins_the_other_problems_of_the_file(tmp_path):
    path = tour_file(tmp_path, "pictures/missing.png", None)
    document = json.loads(path.read_text())
    del document["features"][0]["properties"]["title"]  # a required text
    path.write_text(json.dumps(document, indent=2))
    code, [report] = validate(path)
    codes = {error["code"] for error in report["errors"]}
    assert code == 1 and "media.local-file" in codes and len(codes) >= 2, codes


def test_a_jpeg_cut_short_passes_validate_and_import_refuses_it(app, runner, tmp_path, decodes):
    """What a header-only check cannot see: pixel data cut short.  Import decodes it."""
    whole = fresh_jpeg()
    path = tour_file(tmp_path, "pictures/plaza.jpg", whole[: len(whole) // 2])
    code, [report] = validate(path)
    assert code == 0 and report["valid"] is True
    result = runner.invoke(args=["import", str(path)])
    assert result.exit_code == 1 and "damaged image" in result.output, result.output
    assert decodes == ["plaza.jpg"]
    with get_db(app).transaction() as db_session, pytest.raises(TourNotFound):
        get_tour(db_session, "image-walk")


def test_import_re_encodes_each_image_once_and_stores_the_tour(app, runner, tmp_path, decodes):
    path = tour_file(tmp_path, "pictures/plaza.jpg", fresh_jpeg())
    result = runner.invoke(args=["import", str(path)])
    assert result.exit_code == 0, result.output
    assert decodes == ["plaza.jpg"], result.output
    with get_db(app).transaction() as db_session:
        (media,) = get_tour(db_session, "image-walk").tour.stops[0].media
    assert store_for(app).get(media_key(media.url)).width == 1200
