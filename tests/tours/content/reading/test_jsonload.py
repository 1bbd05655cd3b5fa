"""Strict JSON loading: every way a file can fail before it is even JSON."""

from __future__ import annotations

import json
import math

import pytest

from tours.content.reading.jsonload import MAX_BYTES_ENV, line_column, load_json, walk
from tours.content.report import Severity

MB = 1024 * 1024


def load(data: bytes, **kwargs):
    kwargs.setdefault("max_bytes", MB)
    return load_json(data, **kwargs)


def only(problems, code):
    found = [p for p in problems if p.code == code]
    assert found, [p.code for p in problems]
    return found[0]


def test_clean_file_gives_value_and_no_problems():
    value, problems = load(b'{"type": "Point", "coordinates": [-2.93, 43.26]}')
    assert value == {"type": "Point", "coordinates": [-2.93, 43.26]}
    assert problems == []


@pytest.mark.parametrize("data", [b"", b"   \n\t  ", b"\xef\xbb\xbf"])
def test_empty_file(data):
    value, problems = load(data)
    assert value is None
    assert [p.code for p in problems if p.severity is Severity.ERROR] == ["json.empty"]


def test_bom_is_accepted_with_a_warning():
    value, problems = load(b'\xef\xbb\xbf{"a": 1}')
    assert value == {"a": 1}
    assert [(p.code, p.severity) for p in problems] == [("json.bom", Severity.WARNING)]


@pytest.mark.parametrize(
    ("data", "named"),
    [
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "PNG"),
        (b"PK\x03\x04\x14\x00\x00\x00", "ZIP"),
        (b"\x1f\x8b\x08\x00", "gzip"),
        (b"\xff\xfe{\x00}\x00", "UTF-16"),
        (b'{\x00"\x00', "UTF-16"),
    ],
)
def test_binary_garbage_is_named(data, named):
    value, problems = load(data)
    assert value is None
    problem = only(problems, "json.encoding")
    assert named in problem.message
    assert (problem.line, problem.column) == (1, 1)


def test_latin1_text_gives_line_and_column_of_the_bad_byte():
    data = b'{\n  "name": "Caf\xe9"\n}'
    value, problems = load(data)
    assert value is None
    problem = only(problems, "json.encoding")
    assert (problem.line, problem.column) == (2, 15)
    assert "0xe9" in problem.message and "UTF-8" in problem.message
    assert problem.pointer == ""


def test_line_column_counts_characters_not_bytes():
    data = '{\n  "é€": 1}'.encode()
    assert line_column(data, data.index(b":")) == (2, 7)


@pytest.mark.parametrize("cut", [b'"Feat', b'"Feature", "geometry": nu', b'"Feature", '])
def test_truncated_json_gives_line_and_column(cut):
    data = b'{\n  "type": "FeatureCollection",\n  "features": [\n    {"type": ' + cut
    value, problems = load(data)
    assert value is None
    problem = only(problems, "json.syntax")
    assert problem.line == 4
    assert problem.column is not None and problem.column > 1
    assert f"line {problem.line}, column {problem.column}" in problem.message
    assert "truncated" in problem.message


@pytest.mark.parametrize(
    ("data", "hint"),
    [
        (b'{"a": 1,}', "no comma after the last member"),
        (b'{"a": 1} {"b": 2}', "remove what follows"),
        (b'{"a": 1 // note\n}', "comments"),
        (b'{"a": [1 2]}', "missing comma"),
    ],
)
def test_syntax_errors_have_a_hint(data, hint):
    value, problems = load(data)
    assert value is None
    problem = only(problems, "json.syntax")
    assert hint in problem.message
    assert problem.line == 1


@pytest.mark.parametrize("constant", ["NaN", "Infinity", "-Infinity"])
def test_non_finite_numbers_are_errors_with_a_pointer(constant):
    value, problems = load(f'{{"features": [{{"x": [1, {constant}]}}]}}'.encode())
    problem = only(problems, "json.non-finite-number")
    assert problem.pointer == "/features/0/x/1"
    assert constant in problem.message
    assert math.isinf(value["features"][0]["x"][1]) or math.isnan(value["features"][0]["x"][1])


@pytest.mark.parametrize("number", ["1e400", "-2E+309", "1" * 400, "1" * 5000 + ".5"])
def test_numbers_that_overflow_are_errors(number):
    value, problems = load(f'{{"coordinates": [{number}, 43.2]}}'.encode())
    problem = only(problems, "json.number-too-large")
    assert problem.pointer == "/coordinates/0"
    assert value is not None


def test_huge_integer_beyond_python_limit_does_not_raise():
    _, problems = load(b"[" + b"9" * 5000 + b"]")
    assert only(problems, "json.number-too-large").pointer == "/0"


def test_small_exponents_and_long_strings_of_digits_in_text_are_fine():
    value, problems = load(b'{"a": 1.5e-7, "b": 2E+30, "story": "phone 0000000000e000"}')
    assert problems == []
    assert value["b"] == 2e30


def test_duplicate_keys_point_at_the_key_and_keep_the_last_value():
    data = (
        b'{"type": "FeatureCollection", "features": [{"id": 1, "properties": {"a": 1, "a": 2}}],'
        b' "type": "x"}'
    )
    value, problems = load(data)
    duplicates = sorted(p.pointer for p in problems if p.code == "json.duplicate-key")
    assert duplicates == ["/features/0/properties/a", "/type"]
    assert value["type"] == "x" and value["features"][0]["properties"]["a"] == 2
    message = only(problems, "json.duplicate-key").message
    assert '"a"' in message or '"type"' in message


def test_duplicate_key_pointer_escapes_slash_and_tilde():
    _, problems = load(b'{"p": {"a/b~c": 1, "a/b~c": 2}}')
    assert only(problems, "json.duplicate-key").pointer == "/p/a~1b~0c"


def test_ten_thousand_deep_nesting_is_refused_without_recursion_error():
    value, problems = load(b"[" * 10_000 + b"]" * 10_000)
    assert value is None
    problem = only(problems, "json.too-deep")
    assert "10000" in problem.message
    assert (problem.line, problem.column) == (1, 65)


def test_depth_limit_is_configurable_and_ignores_brackets_in_strings():
    nested = b'{"a": [[["x"]]], "s": "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[["}'
    assert load(nested, max_depth=4)[1] == []
    assert only(load(nested, max_depth=3)[1], "json.too-deep").line == 1


def test_unclosed_deep_nesting_in_a_truncated_file_is_still_an_error():
    value, problems = load(b"[" * 200)
    assert value is None and problems


def test_file_over_the_limit_names_the_limit_and_the_variable():
    value, problems = load(b'{"a": "' + b"x" * 100 + b'"}', max_bytes=50)
    assert value is None
    problem = only(problems, "json.too-large")
    assert "50 bytes" in problem.message
    assert MAX_BYTES_ENV in problem.message


def test_walk_yields_pointers_parents_first():
    pointers = [p for p, _ in walk(json.loads('{"a": [1, {"b/c": 2}]}'))]
    assert pointers == ["", "/a", "/a/0", "/a/1", "/a/1/b~1c"]


def test_lone_surrogates_are_refused_with_printable_pointers():
    data = b'{"a": "x\\ud800y", "\\udc00": 1, "ok": "\\ud83d\\ude00"}'
    value, problems = load(data)
    assert value is None
    assert sorted(p.pointer for p in problems) == ["/\\udc00", "/a"]
    assert all(p.code == "json.encoding" for p in problems)
    for problem in problems:
        problem.message.encode("utf-8")  # printable


def test_a_proper_surrogate_pair_is_fine():
    value, problems = load(b'{"emoji": "\\ud83d\\ude00"}')
    assert problems == [] and value == {"emoji": "\U0001f600"}
