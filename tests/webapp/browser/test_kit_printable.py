"""The replication kit's printable stop list in Chromium: self-contained, readable on A4,
right-to-left where it should be."""

from __future__ import annotations

import re
from pathlib import Path

from tours.content.checking.pipeline import validate_path
from tours.content.publishing.kit_html import printable_html

REPO = Path(__file__).resolve().parents[3]
A4_WIDTH_PX = 794  # 210 mm at 96 px per inch


def test_printable_stop_list_fits_a4_and_fetches_nothing(desktop_page, tmp_path):
    tour = validate_path(REPO / "data" / "routes" / "san-francisco-voices.geojson").tour
    assert tour is not None
    path = tmp_path / "stops.html"
    path.write_text(printable_html(tour), encoding="utf-8")
    requests: list[str] = []
    desktop_page.on("request", lambda request: requests.append(request.url))
    desktop_page.set_viewport_size({"width": A4_WIDTH_PX, "height": 1123})
    desktop_page.emulate_media(media="print")
    desktop_page.goto(path.as_uri())
    assert requests == [path.as_uri()]  # no font, image, script or stylesheet to fetch
    # Nothing is wider than the A4 page (long words and stories wrap).
    widths = desktop_page.evaluate(
        "() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]"
    )
    assert widths[0] <= widths[1]
    sections = desktop_page.locator("section.language")
    assert sections.count() == len(tour.languages) == 5
    arabic = desktop_page.locator('section[lang="ar"]')
    assert arabic.evaluate("e => getComputedStyle(e).direction") == "rtl"
    assert desktop_page.locator('section[lang="es"] ol.stops > li').count() == 8
    # Each language starts on a new page: at least one A4 page per language.
    pdf = desktop_page.pdf(format="A4")
    pages = len(re.findall(rb"/Type\s*/Page[^s]", pdf))
    assert pages >= len(tour.languages)
    box = re.search(rb"/MediaBox\s*\[\s*0 0 ([\d.]+) ([\d.]+)\s*\]", pdf)
    assert box is not None and abs(float(box[1]) - 595) < 2 and abs(float(box[2]) - 842) < 2
