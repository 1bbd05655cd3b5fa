"""Several lines in the files: never joined silently; picked with --route-line, joined with
--join (each part's properties reported); a network of paths says it is not a walk."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tours.content.assembly import lines
from tours.content.assembly.assemble import AssemblyOptions, assemble_paths

FIRST = [[-2.9262, 43.2556], [-2.9249, 43.2548], [-2.9236, 43.2540]]
SECOND = [[-2.9100, 43.2600], [-2.9090, 43.2610], [-2.9080, 43.2620]]


def lines_file(path: Path, parts: list[tuple[dict, list]]) -> Path:
    features = [
        {"type": "Feature", "properties": props, "geometry": {"type": "LineString",
                                                               "coordinates": coords}}
        for props, coords in parts
    ]  # fmt: skip
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}, indent=1))
    return path


def two_lines(tmp_path: Path) -> Path:
    return lines_file(
        tmp_path / "two.geojson",
        [
            ({"name": "Old town", "colour": "red"}, FIRST),
            ({"name": "River bank", "colour": "blue", "surface": "gravel"}, SECOND),
        ],
    )


def route_of(result) -> dict:
    return result.document["features"][0]


def codes(result) -> list[str]:
    return [p.code for p in result.report.problems]


def test_two_separate_lines_are_refused_with_their_number_and_names(tmp_path):
    result = assemble_paths([two_lines(tmp_path)])
    assert not result.ok and result.document is None
    [error] = result.report.errors
    assert error.code == lines.SEVERAL
    assert "2 separate lines: 1 'Old town', 2 'River bank'" in error.message
    assert "--route-line" in error.message and "--join" in error.message
    assert [(line.number, line.name) for line in result.lines] == [
        (1, "Old town"),
        (2, "River bank"),
    ]
    assert not result.network


@pytest.mark.parametrize("chosen", ["2", "River bank", " river BANK "])
def test_route_line_picks_one_line_by_number_or_name(tmp_path, chosen):
    result = assemble_paths([two_lines(tmp_path)], options=AssemblyOptions(route_line=chosen))
    assert result.ok, result.report.to_text()
    route = route_of(result)
    assert route["geometry"] == {"type": "LineString", "coordinates": SECOND}
    assert route["properties"]["title"] == {"en": "River bank"}
    assert route["properties"]["surface"] == "gravel"
    assert any("line 2 'River bank' of 2" in note for note in result.notes)
    [other] = [n for n in result.not_carried if "--route-line" in n]
    assert "1 'Old town'" in other and '"colour": "red"' in other


def test_route_line_that_names_no_line_is_refused(tmp_path):
    for wanted in ("3", "Harbour"):
        result = assemble_paths([two_lines(tmp_path)], options=AssemblyOptions(route_line=wanted))
        assert not result.ok and codes(result) == [lines.UNKNOWN]
        assert "1 'Old town', 2 'River bank'" in result.report.errors[0].message


def test_join_keeps_the_files_order_and_reports_each_parts_properties(tmp_path):
    result = assemble_paths([two_lines(tmp_path)], options=AssemblyOptions(join=True))
    assert result.ok, result.report.to_text()
    route = route_of(result)
    assert route["geometry"] == {"type": "MultiLineString", "coordinates": [FIRST, SECOND]}
    assert route["properties"]["title"] == {"en": "Old town"}
    joined = [p for p in result.report.warnings if p.code == lines.JOINED_PART]
    assert [p.line for p in joined] == [4, 28]
    assert '"colour": "red"' in joined[0].message
    assert '"surface": "gravel"' in joined[1].message and "2 'River bank'" in joined[1].message
    assert lines.JOINED in codes(result)
    # The text form lists every part, not a group of them.
    text = result.report.to_text()
    assert text.count("[assemble.joined-line]") == 2


def test_one_line_needs_no_choice(tmp_path):
    path = lines_file(tmp_path / "one.geojson", [({"name": "Old town"}, FIRST)])
    result = assemble_paths([path])
    assert result.ok and result.lines == [] and lines.JOINED not in codes(result)


def segments(coords: list, count: int, *, gaps: bool) -> list[list]:
    """``coords`` cut into ``count`` pieces: stages that follow on from one another, or
    (``gaps``) every other piece only, so that none touches the next."""
    size = len(coords) // (2 * count if gaps else count)
    pieces = [coords[i * size : (i + 1) * size + 1] for i in range(2 * count if gaps else count)]
    return pieces[::2] if gaps else pieces


def network_file(tmp_path: Path, coords: list, count: int, *, gaps: bool) -> Path:
    parts = [
        ({"name": f"Segment {i}", "network": "lcn"}, piece)
        for i, piece in enumerate(segments(coords, count, gaps=gaps), start=1)
    ]
    return lines_file(tmp_path / "network.geojson", parts)


ZIGZAG = [[-2.9 + 0.001 * i, 43.25 + 0.0005 * (i % 7)] for i in range(600)]


def test_thirty_disjoint_segments_do_not_look_like_a_walking_route(tmp_path):
    path = network_file(tmp_path, ZIGZAG, 30, gaps=True)
    result = assemble_paths([path])
    assert not result.ok and result.network and codes(result) == [lines.NETWORK]
    message = result.report.errors[0].message
    assert "30 separate lines" in message and "does not look like a walking route" in message
    assert "1 'Segment 1'" in message and "and 20 more" in message
    joined = assemble_paths([path], options=AssemblyOptions(join=True))
    assert joined.ok and len(route_of(joined)["geometry"]["coordinates"]) == 30


def test_stages_that_follow_on_are_several_lines_not_a_network(tmp_path):
    result = assemble_paths([network_file(tmp_path, ZIGZAG, 12, gaps=False)])
    assert not result.ok and codes(result) == [lines.SEVERAL]


# -- a network built from real lines -------------------------------------------------------


def real_line(interop: Path) -> list:
    data = json.loads((interop / "real" / "hk_maclehose-trail_route-3d.geojson").read_text())
    [line] = [f for f in data["features"] if f["geometry"]["type"] == "LineString"]
    return line["geometry"]["coordinates"]


def test_a_network_cut_from_a_real_trail_is_refused_unless_asked(interop, tmp_path):
    coords = real_line(interop)
    path = network_file(tmp_path, coords, 30, gaps=True)
    result = assemble_paths([path])
    assert not result.ok and result.network and codes(result) == [lines.NETWORK]
    assert "30 separate lines" in result.report.errors[0].message
    picked = assemble_paths([path], options=AssemblyOptions(route_line="Segment 7"))
    assert picked.ok
    assert route_of(picked)["geometry"]["coordinates"] == segments(coords, 30, gaps=True)[6]
    assert len(picked.not_carried) == 29


def test_the_stages_of_a_real_trail_join_back_into_every_point(interop, tmp_path):
    coords = real_line(interop)
    path = network_file(tmp_path, coords, 12, gaps=False)
    refused = assemble_paths([path])
    assert not refused.ok and not refused.network and codes(refused) == [lines.SEVERAL]
    joined = assemble_paths([path], options=AssemblyOptions(join=True))
    assert joined.ok
    parts = route_of(joined)["geometry"]["coordinates"]
    assert parts == segments(coords, 12, gaps=False)
    assert [p for p in joined.report.warnings if p.code == lines.JOINED_PART][11].message.count(
        "Segment 12"
    )


def gpx_tracks(path: Path, tracks: list[tuple[str, list]]) -> Path:
    def points(coords: list) -> str:
        return "".join(f'<trkpt lat="{lat}" lon="{lon}"/>' for lon, lat in coords)

    body = "".join(
        f"<trk><name>{name}</name><trkseg>{points(coords)}</trkseg></trk>\n"
        for name, coords in tracks
    )
    path.write_text(
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<gpx version="1.1" creator="test" xmlns="http://www.topografix.com/GPX/1/1">\n'
        f"{body}</gpx>\n",
        encoding="utf-8",
    )
    return path


def test_the_tracks_of_a_gpx_file_are_separate_lines(tmp_path):
    path = gpx_tracks(tmp_path / "days.gpx", [("Day 1", FIRST), ("Day 2", SECOND)])
    refused = assemble_paths([], route=path)
    assert not refused.ok and codes(refused) == [lines.SEVERAL]
    assert "1 'Day 1', 2 'Day 2'" in refused.report.errors[0].message
    assert [line.label for line in refused.lines] == ["<trk> 1", "<trk> 2"]
    assert [line.line for line in refused.lines] == [3, 4]
    picked = assemble_paths([], route=path, options=AssemblyOptions(route_line="day 2"))
    assert picked.ok and route_of(picked)["geometry"]["coordinates"] == SECOND
    joined = assemble_paths([], route=path, options=AssemblyOptions(join=True))
    assert route_of(joined)["geometry"]["coordinates"] == [FIRST, SECOND]
    one = gpx_tracks(tmp_path / "one.gpx", [("Day 1", FIRST)])
    assert assemble_paths([], route=one).ok


def test_lines_of_several_files_are_named_with_their_file(tmp_path):
    route = lines_file(tmp_path / "route.geojson", [({"name": "Old town"}, FIRST)])
    other = gpx_tracks(tmp_path / "extra.gpx", [("Day 2", SECOND)])
    result = assemble_paths([route], route=other)
    assert not result.ok and codes(result) == [lines.SEVERAL]
    message = result.report.errors[0].message
    assert message.startswith("The files hold 2 separate lines:")
    assert "1 'Old town' (route.geojson), 2 'Day 2' (extra.gpx)" in message
