"""harness.parse.stream.parse_lines: the loop behind `harness parse` (design.md contract)."""
from __future__ import annotations

import io
import json
import logging

from harness.parse import parser_for
from harness.parse.stream import parse_lines

FIELDS = {"id", "wnid", "synset", "label", "match", "candidates"}


def _run(data: bytes, explain: bool = False) -> tuple[int, list[dict]]:
    dst = io.StringIO()
    n = parse_lines(io.BytesIO(data), dst, parser_for(), explain=explain)
    return n, [json.loads(x) for x in dst.getvalue().splitlines()]


def test_one_result_per_line_in_order_with_the_contract_fields():
    n, rows = _run(b'{"id": "a", "text": "a beagle"}\n'
                   b'plain text line: a goldfish\n'
                   b'\n'
                   b'\xff\xfe bad bytes and a tench\n'
                   b'{"id": 7, "text": "no idea"}\n'
                   b'{not json, a zebra\n')
    assert n == 6 and [r["id"] for r in rows] == ["a", "2", "3", "4", "7", "6"]
    assert all(set(r) == FIELDS for r in rows)
    assert rows[0]["wnid"] == "n02088364" and rows[1]["wnid"] == "n01443537"
    assert rows[2]["match"] == "none" and rows[3]["wnid"] == "n01440764"
    assert (rows[4]["synset"], rows[4]["match"]) == (None, "refusal")
    assert rows[5]["wnid"] == "n02391049"


def test_json_object_line_without_text_is_parsed_whole_and_warned(caplog):
    with caplog.at_level(logging.WARNING, logger="harness"):
        _, rows = _run(b'{"label": "espresso"}\n{"id": "x", "answer": "tabby cat"}\n'
                       b'{"id": "b"}\n')
    assert rows[0]["id"] == "1" and rows[0]["label"] == "espresso"
    assert rows[1]["id"] == "x" and rows[1]["label"] == "tabby"
    assert rows[2]["id"] == "b" and rows[2]["match"] == "none"   # a record with its text missing
    text = caplog.text
    assert "2 input line(s) were JSON objects without a \"text\"" in text
    assert "1 input record(s) had no \"text\"" in text


def test_repeated_answers_give_identical_lines_and_reuse_nothing_stale():
    lines = b"".join(b"a tabby cat\n" if i % 2 else b"a pug\n" for i in range(1000))
    _, rows = _run(lines)
    assert {r["label"] for r in rows[1::2]} == {"tabby"} and {r["label"] for r in rows[::2]} == {
        "pug"}


def test_explain_adds_the_trace():
    _, rows = _run(b'{"id": "k", "text": "A kite flying over a beach."}\n', explain=True)
    row = rows[0]
    assert set(row) == FIELDS | {"explain"} and row["match"] == "ambiguous"
    assert any(s["step"] == "context" for s in row["explain"])


def test_megabyte_line_is_fine():
    _, rows = _run(b'{"id": "big", "text": "' + b"word " * 200_000 + b'zebra"}\n')
    assert rows[0]["wnid"] == "n02391049"


def test_crlf_and_lf_lines_give_the_same_results():
    """Windows line endings are stripped only where present; the same answers give the same
    lines whichever ending a block uses."""
    body = ['{"id": "a", "text": "a beagle"}', "a goldfish", "no idea", "a tabby cat"]
    lf = "".join(x + "\n" for x in body).encode()
    crlf = "".join(x + "\r\n" for x in body).encode()
    assert _run(lf) == _run(crlf)
    _, rows = _run(b"a pug\r\na pug\nthe last line, a zebra\r")
    assert [r["label"] for r in rows] == ["pug", "pug", "zebra"]


def test_freezing_between_blocks_changes_no_output():
    """`harness parse` freezes what survives each block out of the GC's view (speed); the
    results, ids and order are the same as without."""
    import gc

    data = b"".join(b'{"id": "r%d", "text": "%s"}\n' % (i, t) for i, t in enumerate(
        [b"a beagle", b"A tabby cat.", b"no idea", b"a beagle"] * 500))
    plain, frozen = io.StringIO(), io.StringIO()
    parse_lines(io.BytesIO(data), plain, parser_for())
    try:
        parse_lines(io.BytesIO(data), frozen, parser_for(), freeze=True)
    finally:
        gc.unfreeze()
    assert frozen.getvalue() == plain.getvalue() and plain.getvalue().count("\n") == 2000


def test_records_with_escaped_quotes_read_as_json_loads_reads_them():
    """The regular expression's records may hold \\" in the text (a JSON answer); any other
    escape goes to json.loads. Either way each line's result is that of the record's text."""
    texts = ['{"label": "quill"}', 'a "goldfish"', 'x"', 'a\\"b', "tab\there", "a \\ beagle",
             "caf\u00e9 cat", '"', ""]
    data = "".join(json.dumps({"id": f"r{i}", "text": t}) + "\n" for i, t in enumerate(texts))
    _, rows = _run(data.encode())
    for i, (t, row) in enumerate(zip(texts, rows, strict=True)):
        assert row == {"id": f"r{i}", **parser_for().parse(t).to_dict()}, t
