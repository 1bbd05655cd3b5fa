"""``bidean import`` of a file with several lines: refused with their names, nothing stored;
``--route-line`` and ``--join`` make a draft; a network of paths is not a walk."""

from __future__ import annotations

import json

from tests.tours.content.assembly.test_lines import (
    ZIGZAG,
    network_file,
    real_line,
    two_lines,
)


def stored(runner) -> list[dict]:
    result = runner.invoke(args=["tours", "--json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def test_two_lines_are_refused_with_their_names_and_nothing_is_stored(runner, tmp_path):
    path = two_lines(tmp_path)
    result = runner.invoke(args=["import", str(path)])
    assert result.exit_code == 1
    assert "2 separate lines: 1 'Old town', 2 'River bank'" in result.output
    assert "[assemble.several-lines]" in result.output and "--route-line" in result.output
    assert stored(runner) == []
    outcome = json.loads(runner.invoke(args=["import", str(path), "--json"]).output)[0]
    assert outcome["stored"] is None
    assert [line["name"] for line in outcome["lines"]] == ["Old town", "River bank"]


def test_route_line_by_number_or_name_stores_that_line(runner, tmp_path):
    path = two_lines(tmp_path)
    result = runner.invoke(args=["import", str(path), "--route-line", "2"])
    assert result.exit_code == 0, result.output
    assert "not carried over" in result.output and "1 'Old town'" in result.output
    [item] = stored(runner)
    assert item["title"] == {"en": "River bank"}
    again = runner.invoke(args=["import", str(path), "--route-line", "Old town", "--dry-run"])
    assert again.exit_code == 0 and "line 1 'Old town' of 2" in again.output, again.output


def test_join_reports_each_parts_properties(runner, tmp_path):
    path = two_lines(tmp_path)
    result = runner.invoke(args=["import", str(path), "--join"])
    assert result.exit_code == 0, result.output
    parts = [line for line in result.output.splitlines() if "[assemble.joined-line]" in line]
    assert len(parts) == 2
    assert '"colour": "red"' in parts[0] and '"surface": "gravel"' in parts[1]
    [item] = stored(runner)
    assert item["title"] == {"en": "Old town"}
    both = runner.invoke(args=["import", str(path), "--join", "--route-line", "1"])
    assert both.exit_code == 2 and "not both" in both.output


def test_a_network_of_segments_is_not_a_walking_route(runner, tmp_path):
    path = network_file(tmp_path, ZIGZAG, 30, gaps=True)
    result = runner.invoke(args=["import", str(path)])
    assert result.exit_code == 1
    assert "does not look like a walking route" in result.output
    assert result.output.count("[assemble.") == 1  # one clear message
    assert stored(runner) == []


def test_a_network_built_from_a_real_trail_stores_nothing_unless_asked(runner, interop, tmp_path):
    path = network_file(tmp_path, real_line(interop), 30, gaps=True)
    result = runner.invoke(args=["import", str(path), "--city", "Hong Kong"])
    assert result.exit_code == 1 and "does not look like a walking route" in result.output
    assert stored(runner) == []
    asked = runner.invoke(args=["import", str(path), "--route-line", "Segment 3"])
    assert asked.exit_code == 0, asked.output
    [item] = stored(runner)
    assert item["title"] == {"en": "Segment 3"} and item["status"] == "draft"
