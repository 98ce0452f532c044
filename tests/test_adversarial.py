"""Hostile servers and concurrent use: nothing lost, nothing sent twice, no secret on disk, no
hang, no traceback (issue: never lose a sample, never leak a secret, never hang)."""
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from harness.cli.main import main

from fakeserver import FakeServer, chat_reply

REPO = Path(__file__).resolve().parents[1]
SECRET = "sk-test-0123456789abcdefSECRET"


def _run(url, runs, *extra):
    return main(["run", "--model", "fake", "--base-url", url, "--output-dir", str(runs),
                 *extra])


def _one(runs):
    (run,) = runs.glob("*/*/*/run.json")
    return run.parent


def _lines(run):
    return [json.loads(x) for x in (run / "samples.jsonl").read_text().splitlines()]


def _slow(seconds):
    def behave(body):
        if body["max_tokens"] == 1:
            return 200, chat_reply("ok")
        time.sleep(seconds)
        return 200, chat_reply("a tench")
    return behave


def _cli(*args, env=None):
    return subprocess.Popen([sys.executable, "-m", "harness", *args], cwd=REPO,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, **(env or {})})


@pytest.mark.slow
def test_two_writers_of_one_run_dir_one_refuses(tmp_path, capsys):
    with FakeServer(_slow(0.15)) as srv:
        assert _run(srv.base_url, tmp_path / "runs", "--limit", "4") == 0
        run = _one(tmp_path / "runs")
        lines = (run / "samples.jsonl").read_text().splitlines()
        (run / "samples.jsonl").write_text("\n".join(lines[:1]) + "\n")  # as if killed early
        first = _cli("run", "--resume", str(run), "--concurrency", "1")
        for _ in range(200):  # wait until the first writer holds the lock
            if f"process {first.pid} " in (run / ".lock").read_text():
                break
            time.sleep(0.05)
        t0 = time.monotonic()
        assert main(["run", "--resume", str(run)]) == 2
        err = capsys.readouterr().err
        assert time.monotonic() - t0 < 5 and "is being written by process" in err
        assert main(["score", str(run)]) == 2  # a run still being written is not re-scored
        assert "is being written by process" in capsys.readouterr().err
        assert first.wait(60) == 0
    recs = _lines(run)
    assert len(recs) == 4 and len({r["id"] for r in recs}) == 4
    assert len([b for b in srv.requests if b["max_tokens"] > 1]) == 4 + 3  # nothing twice


def test_secret_echoed_by_the_server_is_nowhere_on_disk(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("HARNESS_API_KEY", SECRET)

    def echo(body):
        if body["max_tokens"] == 1:
            return 200, chat_reply("ok")
        return 400, {"error": {"message": f"bad request; you sent Authorization: Bearer {SECRET}"}}

    with FakeServer(echo) as srv:
        assert _run(srv.base_url, tmp_path / "runs", "--limit", "3", "--cache") == 1
    sent = {k.lower(): v for k, v in srv.headers[-1].items()}
    assert sent["authorization"] == f"Bearer {SECRET}"  # it was sent, and echoed
    for p in list(tmp_path.rglob("*")):
        if p.is_file():
            assert SECRET.encode() not in p.read_bytes(), p
    assert SECRET not in capsys.readouterr().err
    errors = {r["error"] for r in _lines(_one(tmp_path / "runs"))}
    assert all("***" in e for e in errors)


@pytest.mark.parametrize("url", ["http://sk-abcdef0123456789@127.0.0.1:9/v1",
                                 "http://127.0.0.1:9/v1?api-key=sk-abcdef0123456789",
                                 "http://u:p@127.0.0.1:9/v1"])
def test_any_credential_in_the_base_url_is_refused(tmp_path, capsys, url):
    assert _run(url, tmp_path / "runs") == 2
    err = capsys.readouterr().err
    assert "credentials" in err and "sk-abcdef" not in err
    assert not list(tmp_path.rglob("run.json"))


@pytest.mark.slow
@pytest.mark.parametrize("mode", ["trickle", "slow"])
def test_trickling_or_slow_server_ends_within_the_deadline(tmp_path, capsys, mode):
    behave = (lambda b: (200, chat_reply("ok")) if b["max_tokens"] == 1 else ("trickle", 0.2)) \
        if mode == "trickle" else _slow(30)
    with FakeServer(behave) as srv:
        t0 = time.monotonic()
        rc = _run(srv.base_url, tmp_path / "runs", "--limit", "2", "--timeout", "2",
                  "--max-retries", "2", "--concurrency", "2")
        elapsed = time.monotonic() - t0
    # (retries + 1) x timeout per sample, plus backoff (< 1 s + 2 s), samples in parallel
    assert rc == 1 and elapsed < 3 * 2 + 4 + 3, elapsed
    recs = _lines(_one(tmp_path / "runs"))
    assert len(recs) == 2 and all(r["error_kind"] == "transport" and
                                  r["error"].startswith("timeout") for r in recs)
    assert len([b for b in srv.requests if b["max_tokens"] > 1]) == 2 * 3


@pytest.mark.parametrize("reply,needle", [
    ((200, "<html><body>502 Bad Gateway</body></html>"), "server: invalid reply"),
    ((200, {"id": "x", "object": "chat.completion", "created": 0, "model": "fake",
            "choices": [{"index": 0, "finish_reason": "stop",
                         "message": {"role": "assistant", "content": 12345}}]}), "not text"),
    ((200, {"error": {"message": "model overloaded"}}), "error body"),
    ((200, {"id": "x", "choices": [{"index": 0, "message": None}]}), "without a message"),
    ((200, {"id": "x", "choices": ["a tench"]}), "without a message"),
    ((200, '{"id": "x", "choices": [ {"message": '), "server: invalid reply"),
    ((200, {"id": "x", "object": "chat.completion", "created": 0, "model": "fake",
            "choices": []}), "no choices"),
])
def test_every_reply_shape_is_a_record_never_an_abort(tmp_path, capsys, reply, needle):
    with FakeServer(lambda b: (200, chat_reply("ok")) if b["max_tokens"] == 1 else reply) as srv:
        rc = _run(srv.base_url, tmp_path / "runs", "--limit", "3", "--max-retries", "0")
    assert rc == 1
    recs = _lines(_one(tmp_path / "runs"))
    assert len(recs) == 3 and all(needle in r["error"] and r["error_kind"] == "server"
                                  for r in recs)
    assert "Traceback" not in capsys.readouterr().err


def test_a_different_model_name_in_the_reply_is_still_an_answer(tmp_path, capsys):
    with FakeServer(lambda b: (200, chat_reply("a tench", model="other"))) as srv:
        assert _run(srv.base_url, tmp_path / "runs", "--limit", "2") == 0
    assert all(r["response"] == "a tench" for r in _lines(_one(tmp_path / "runs")))


def test_output_dir_that_is_a_file_is_one_line(tmp_path, capsys):
    (tmp_path / "f").write_text("x")
    with FakeServer(lambda b: (200, chat_reply("a tench"))) as srv:
        assert _run(srv.base_url, tmp_path / "f", "--limit", "2") == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "not a directory" in err


def test_broken_cache_file_does_not_stop_the_run(tmp_path, capsys, monkeypatch):
    cache = tmp_path / "cache"
    cache.mkdir()
    (cache / "responses.sqlite").write_bytes(b"this is not a database" * 100)
    monkeypatch.setenv("HARNESS_CACHE", str(cache))
    with FakeServer(lambda b: (200, chat_reply("a tench"))) as srv:
        assert _run(srv.base_url, tmp_path / "runs", "--limit", "2", "--cache") == 0
    assert "unusable" in capsys.readouterr().err


@pytest.mark.parametrize("placeholder", ["null", "none", "EMPTY"])
def test_a_placeholder_key_does_not_rewrite_the_records(tmp_path, capsys, monkeypatch,
                                                        placeholder):
    monkeypatch.setenv("OPENAI_API_KEY", placeholder)
    with FakeServer(lambda b: (200, chat_reply("no idea, none of these"))) as srv:
        assert _run(srv.base_url, tmp_path / "runs", "--limit", "3") == 0
    recs = _lines(_one(tmp_path / "runs"))  # every line still parses
    assert len(recs) == 3 and all(r["response"] == "no idea, none of these" for r in recs)
    assert all(r["pred_wnid"] is None for r in recs)


def test_a_corrupt_last_line_with_a_newline_is_an_error_not_a_silent_drop(tmp_path, capsys):
    with FakeServer(lambda b: (200, chat_reply("a tench"))) as srv:
        assert _run(srv.base_url, tmp_path / "runs", "--limit", "3") == 0
        run = _one(tmp_path / "runs")
        lines = (run / "samples.jsonl").read_text().splitlines()
        (run / "samples.jsonl").write_text("\n".join(lines[:2] + ['{"id": "x", ***}']) + "\n")
        assert main(["run", "--resume", str(run)]) == 2
    assert "line 3 is not a sample record" in capsys.readouterr().err
