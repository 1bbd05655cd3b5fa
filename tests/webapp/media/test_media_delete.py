"""Deleting an image from the media store: a withdrawn photo leaves nothing on disk."""

from __future__ import annotations

import io

from PIL import Image

from webapp.media.store import MediaStore, store_for


def _photo(colour: str, size=(1200, 800)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, colour).save(out, "JPEG")
    return out.getvalue()


def test_delete_removes_every_copy_of_the_image_and_nothing_else(tmp_path):
    store = MediaStore(tmp_path)
    gone = store.add(_photo("orange"), "a.jpg")
    kept = store.add(_photo("teal"), "b.jpg")
    files = [store.file(gone.key, width) for width in gone.widths]
    assert len(files) >= 2 and all(path.is_file() for path in files)
    assert store.delete(gone.key) is True
    assert not any(path.exists() for path in files)
    assert not (tmp_path / gone.key).exists() and store.get(gone.key) is None
    assert sorted(p.name for p in tmp_path.iterdir()) == [kept.key]  # no leftover folder
    assert all(store.file(kept.key, width).is_file() for width in kept.widths)
    assert store.delete(gone.key) is False
    assert store.delete("..") is False and store.delete(kept.key[:-1]) is False
    assert store.get(kept.key) == kept


def test_a_deleted_image_is_404_at_once(app, client):
    image = store_for(app).add(_photo("navy"), "c.jpg")
    url = f"/media/{image.key}/{image.widths[0]}.webp"
    with client.get(url) as response:
        assert response.status_code == 200
    assert store_for(app).delete(image.key)
    with client.get(url) as response:
        assert response.status_code == 404
