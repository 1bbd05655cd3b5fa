"""The media store: images re-encoded with Pillow, stripped of metadata, served from the app.

Real files through the real store, the real CLI and the real importer: a JPEG carrying
EXIF (camera, GPS position, a comment) goes in, and what comes out must hold none of it.
"""

from __future__ import annotations

import io
import json
import re
from pathlib import Path

import pytest
from PIL import Image

from tests.image_support import png_with_text_bomb
from tests.webapp.pages_support import Page
from tours.tour.store import get_tour
from webapp.common.database import get_db
from webapp.media.store import MAX_PIXELS, WIDTHS, MediaError, MediaStore, media_key, store_for
from webapp.media.views import CACHE_SECONDS

SECRET = "CameraOwner-Iker-secret"


def jpeg_with_metadata(size=(2400, 1500), orientation: int | None = None) -> bytes:
    """A JPEG whose EXIF names a camera owner and a GPS position, plus a comment."""
    image = Image.new("RGB", size, (200, 120, 40))
    for x in range(0, size[0], 200):  # stripes, so orientation can be checked
        image.paste((20, 60, 160), (x, 0, x + 100, size[1] // 2))
    exif = Image.Exif()
    exif[0x010F] = "MakerX"  # Make
    exif[0x013B] = SECRET  # Artist
    exif[0x8825] = {1: "N", 2: (43.0, 15.0, 30.0), 3: "W", 4: (2.0, 55.0, 10.0)}  # GPS
    if orientation:
        exif[0x0112] = orientation
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif.tobytes(), comment=SECRET.encode())
    data = out.getvalue()
    assert SECRET.encode() in data
    return data


def test_an_image_is_re_encoded_at_a_few_widths_without_its_metadata(tmp_path):
    store = MediaStore(tmp_path / "media")
    image = store.add(jpeg_with_metadata(), "photo.jpg")
    assert re.fullmatch(r"[0-9a-f]{32}", image.key) and image.reference == f"media:{image.key}"
    assert (image.width, image.height) == (2400, 1500)
    assert image.widths == WIDTHS and 2 <= len(image.widths) <= 3
    for width in image.widths:
        path = store.file(image.key, width)
        data = path.read_bytes()
        assert SECRET.encode() not in data and b"MakerX" not in data and b"Exif" not in data
        with Image.open(path) as stored:
            assert stored.format == "WEBP"
            assert stored.size == (width, round(1500 * width / 2400))
            assert not stored.getexif() and "exif" not in stored.info and "xmp" not in stored.info


def test_a_small_image_is_never_enlarged(tmp_path):
    out = io.BytesIO()
    Image.new("RGBA", (300, 200), (0, 0, 0, 0)).save(out, "PNG")
    image = MediaStore(tmp_path).add(out.getvalue(), "icon.png")
    assert image.widths == (300,)
    with Image.open(MediaStore(tmp_path).file(image.key, 300)) as stored:
        assert stored.mode == "RGBA"  # transparency survives


def test_exif_orientation_is_applied_then_dropped(tmp_path):
    store = MediaStore(tmp_path)
    image = store.add(jpeg_with_metadata((600, 300), orientation=6), "sideways.jpg")
    assert (image.width, image.height) == (300, 600)  # turned upright


def test_the_same_file_twice_is_stored_once(tmp_path):
    store = MediaStore(tmp_path)
    data = jpeg_with_metadata((800, 500))
    assert store.add(data, "a.jpg") == store.add(data, "b.jpg")
    assert len([p for p in tmp_path.iterdir() if not p.name.startswith(".")]) == 1


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"<svg onload=alert(1)></svg>", "not an image Bidean can read"),
        (b"\x89PNG\r\n\x1a\n" + b"\0" * 40, "not an image Bidean can read"),
    ],
)
def test_what_is_not_an_image_is_refused_with_a_reason(tmp_path, data, message):
    with pytest.raises(MediaError, match=message):
        MediaStore(tmp_path).add(data, "upload.png")
    assert not any(tmp_path.iterdir())


@pytest.mark.parametrize("chunk", ["zTXt", "iTXt"])
def test_a_png_whose_text_chunk_inflates_past_the_limit_is_refused(tmp_path, chunk):
    with pytest.raises(MediaError, match="not an image Bidean can read"):
        MediaStore(tmp_path).add(png_with_text_bomb(chunk), "bomb.png")
    assert not any(tmp_path.iterdir())


def test_other_formats_and_huge_images_are_refused(tmp_path):
    out = io.BytesIO()
    Image.new("RGB", (20, 20)).save(out, "TIFF")
    with pytest.raises(MediaError, match="TIFF image; use JPEG, PNG, WebP or GIF"):
        MediaStore(tmp_path).add(out.getvalue(), "scan.tif")
    out = io.BytesIO()
    Image.new("1", (8000, MAX_PIXELS // 8000 + 10)).save(out, "PNG")  # tiny file, many pixels
    with pytest.raises(MediaError, match="megapixels"):
        MediaStore(tmp_path).add(out.getvalue(), "bomb.png")


def test_the_route_serves_stored_images_with_long_cache_headers(app, client):
    image = store_for(app).add(jpeg_with_metadata((1000, 600)), "photo.jpg")
    with client.get(f"/media/{image.key}/480.webp") as response:
        assert response.status_code == 200 and response.mimetype == "image/webp"
        assert response.cache_control.max_age == CACHE_SECONDS
        assert response.cache_control.immutable and response.cache_control.public
        with Image.open(io.BytesIO(response.data)) as served:
            assert served.size == (480, 288)
    for bad in (f"/media/{image.key}/123.webp", "/media/" + "0" * 32 + "/480.webp",
                "/media/..%2f..%2fbidean.sqlite3/480.webp"):  # fmt: skip
        assert client.get(bad).status_code == 404


def test_media_add_prints_the_reference_to_put_in_a_tour_file(app, runner, tmp_path):
    (tmp_path / "plaza.jpg").write_bytes(jpeg_with_metadata((900, 600)))
    (tmp_path / "notes.txt").write_text("not an image")
    result = runner.invoke(args=["media", "add", str(tmp_path / "plaza.jpg")])
    assert result.exit_code == 0, result.output
    reference = result.output.split("\t")[0]
    assert media_key(reference) and store_for(app).get(media_key(reference)) is not None
    result = runner.invoke(args=["media", "add", str(tmp_path / "notes.txt")])
    assert result.exit_code == 1 and "not an image Bidean can read" in result.output
    result = runner.invoke(args=["media", "add", str(tmp_path / "missing.png")])
    assert result.exit_code == 1 and "There is no image file" in result.output


def tour_with_image(url: str) -> dict:
    route = [[-2.9262, 43.2556], [-2.9249, 43.2548], [-2.9236, 43.2541]]

    def stop(ident, position, media=None):
        props = {"id": ident, "name": {"es": f"Parada {ident}", "en": f"Stop {ident}"},
                 "story": {"es": "Una historia.", "en": "A story."}}  # fmt: skip
        if media:
            props["media"] = media
        return {"type": "Feature", "geometry": {"type": "Point", "coordinates": position},
                "properties": props}  # fmt: skip

    image = {
        "url": url,
        "type": "image",
        "caption": {"es": "La plaza", "en": "The square"},
        "alt": {"es": "Dibujo de una plaza con una fuente"},
    }
    return {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "geometry": {"type": "LineString", "coordinates": route},
                "properties": {
                    "profile": "bidean-tour/1",
                    "slug": "image-walk",
                    "title": {"es": "Paseo con imagen", "en": "Walk with a picture"},
                    "summary": {"es": "Un paseo corto.", "en": "A short walk."},
                    "city": "Bilbao",
                    "timezone": "Europe/Madrid",
                    "districts": ["San Francisco"],
                    "languages": ["es", "en"],
                    "licence": "CC-BY-SA-4.0",
                },
            },
            stop("a", route[0], [image]),
            stop("b", route[2]),
        ],
    }


def test_import_stores_an_image_named_beside_the_tour_file_and_the_page_shows_it(
    app, runner, client, tmp_path
):
    folder = tmp_path / "tour"
    (folder / "pictures").mkdir(parents=True)
    (folder / "pictures" / "plaza.jpg").write_bytes(jpeg_with_metadata((1200, 800)))
    path = folder / "image-walk.geojson"
    path.write_text(json.dumps(tour_with_image("pictures/plaza.jpg")))
    result = runner.invoke(args=["import", str(path)])
    assert result.exit_code == 0, result.output
    with get_db(app).transaction() as db_session:
        (media,) = get_tour(db_session, "image-walk").tour.stops[0].media
    key = media_key(media.url)
    assert key and store_for(app).get(key).width == 1200

    page = Page(client.get("/tours/image-walk?lang=en").get_data(as_text=True))
    (img,) = page.root.find_all("img", "stop-image")
    assert img.attrs["loading"] == "lazy"
    assert (img.attrs["width"], img.attrs["height"]) == ("1200", "800")
    # The alt text has no English: it falls back to Spanish and says so with lang.
    assert img.attrs["alt"] == "Dibujo de una plaza con una fuente" and img.attrs["lang"] == "es"
    assert img.attrs["src"].startswith(f"/media/{key}/")
    assert img.attrs["srcset"] == ", ".join(f"/media/{key}/{w}.webp {w}w" for w in (480, 960, 1200))
    assert img.attrs["sizes"]
    with client.get(img.attrs["src"]) as response:
        assert response.status_code == 200
    es = Page(client.get("/tours/image-walk?lang=es").get_data(as_text=True))
    (img,) = es.root.find_all("img", "stop-image")
    assert img.attrs["alt"] == "Dibujo de una plaza con una fuente" and "lang" not in img.attrs


def test_import_names_a_missing_or_broken_local_image_and_stores_nothing(
    app, runner, tmp_path: Path
):
    path = tmp_path / "image-walk.geojson"
    path.write_text(json.dumps(tour_with_image("pictures/missing.jpg")))
    result = runner.invoke(args=["import", str(path)])
    assert result.exit_code == 1
    assert "/features/1/properties/media/0/url" in result.output
    assert "There is no image file" in result.output and "missing.jpg" in result.output
    (tmp_path / "fake.png").write_text("<html>")
    path.write_text(json.dumps(tour_with_image("fake.png")))
    result = runner.invoke(args=["validate", str(path)])
    assert result.exit_code == 1 and "not an image Bidean can read" in result.output
    assert not (Path(app.instance_path) / "media").exists(), "validate stores nothing"


def test_a_path_out_of_the_tour_folder_is_refused(runner, tmp_path):
    path = tmp_path / "image-walk.geojson"
    path.write_text(json.dumps(tour_with_image("../etc/passwd")))
    result = runner.invoke(args=["validate", str(path)])
    assert result.exit_code == 1 and "profile.media-url" in result.output


def test_remote_images_stay_links_and_are_never_loaded_into_the_page(app, runner, client, tmp_path):
    path = tmp_path / "image-walk.geojson"
    path.write_text(json.dumps(tour_with_image("https://images.example.org/plaza.jpg")))
    assert runner.invoke(args=["import", str(path)]).exit_code == 0
    page = Page(client.get("/tours/image-walk?lang=en").get_data(as_text=True))
    assert page.root.find_all("img") == []
    hrefs = [a.attrs.get("href", "") for a in page.root.find_all("a")]
    assert [h for h in hrefs if "example.org" in h] == ["https://images.example.org/plaza.jpg"]
