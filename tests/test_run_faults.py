"""Bad input and server faults around `harness run`, using a purpose-built loopback server."""
import json

import pytest

from harness.backends.server import free_port
from harness.cli.main import main

from fakeserver import FakeServer, chat_reply


def _run(server_url, runs_dir, *extra):
    return main(["run", "--model", "fake", "--base-url", server_url, "--output-dir",
                 str(runs_dir), "--concurrency", "4", *extra])


def _records(runs_dir):
    (samples,) = runs_dir.glob("*/*/*/samples.jsonl")
    return [json.loads(x) for x in samples.read_text().splitlines()]


def test_fixed_answers_are_parsed_and_scored(runs_dir, capsys):
    with FakeServer(lambda body: (200, chat_reply("Two tenches lying on the grass."))) as srv:
        assert _run(srv.base_url, runs_dir) == 0
    recs = _records(runs_dir)
    tench = [r for r in recs if r["gold_wnid"] == "n01440764"]
    others = [r for r in recs if r["gold_wnid"] != "n01440764"]
    assert all(r["pred_wnid"] == "n01440764" and r["match"] == "inflection" for r in recs)
    assert len(tench) == 1 and all(r["correct"] and r["contains"] for r in tench)
    assert not any(r["correct"] for r in others)
    assert len(srv.requests) == 101  # 1 probe + 100 samples
    sent = srv.requests[1]
    assert sent["temperature"] == 0 and sent["max_tokens"] == 64 and sent["seed"] == 0
    assert sent["messages"][0]["content"][0]["image_url"]["url"].startswith("data:image/jpeg")


def test_server_unreachable_fails_fast_with_the_url(runs_dir, capsys):
    url = f"http://127.0.0.1:{free_port()}/v1"
    assert _run(url, runs_dir, "--limit", "2") == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and url in err and "cannot reach" in err
    assert not list(runs_dir.glob("**/run.json"))


def test_wrong_base_url_path(runs_dir, capsys):
    with FakeServer(lambda body: (200, chat_reply("x"))) as srv:
        assert _run(srv.base_url.replace("/v1", "/api"), runs_dir, "--limit", "2") == 2
    assert "answered 404" in capsys.readouterr().err and "/v1" in capsys.readouterr().err + "/v1"


def test_model_not_in_served_list(runs_dir, capsys):
    with FakeServer(lambda body: (200, chat_reply("x")), models=["other-model"]) as srv:
        assert _run(srv.base_url, runs_dir) == 2
    assert "not served" in capsys.readouterr().err


def test_empty_answers_count_as_unparsed(runs_dir, capsys):
    with FakeServer(lambda body: (200, chat_reply(""))) as srv:
        assert _run(srv.base_url, runs_dir, "--limit", "5") == 0
    (results,) = runs_dir.glob("*/*/*/results.json")
    res = json.loads(results.read_text())
    assert res["metrics"]["unparsed_rate"]["value"] == 1.0 and res["n_errors"] == 0


def test_http_4xx_per_sample_is_recorded_with_message(runs_dir, capsys):
    def behave(body):
        if body["max_tokens"] == 1:  # the probe
            return 200, chat_reply("ok")
        return 400, {"error": {"message": "image too large for this model", "code": 400}}

    with FakeServer(behave) as srv:
        assert _run(srv.base_url, runs_dir, "--limit", "3") == 1  # not a complete measurement
    recs = _records(runs_dir)
    assert all(r["error"].startswith("http 400: image too large") for r in recs)
    assert all(r["error_kind"] == "server" for r in recs)
    (results,) = runs_dir.glob("*/*/*/results.json")
    res = json.loads(results.read_text())
    assert res["complete"] is False and res["n_failed"] == 3
    assert "retry them with `harness run --resume" in capsys.readouterr().err


@pytest.mark.parametrize("reply,error", [
    ((200, {"id": "x", "object": "chat.completion", "created": 0, "model": "fake",
            "choices": []}), "server: reply has no choices"),
    ((200, "this is not json"), "server: invalid reply"),
])
def test_malformed_server_replies(reply, error, runs_dir, capsys):
    with FakeServer(lambda body: (200, chat_reply("ok")) if body["max_tokens"] == 1 else reply) \
            as srv:
        _run(srv.base_url, runs_dir, "--limit", "2")
    recs = _records(runs_dir)
    assert len(recs) == 2 and all(r["error"].startswith(error) for r in recs)


def test_persistent_server_errors_stop_the_run_then_resume_finishes(runs_dir, capsys):
    state = {"fail": True}

    def behave(body):
        if body["max_tokens"] == 1:
            return 200, chat_reply("ok")
        if state["fail"]:
            return 503, {"error": {"message": "overloaded"}}
        return 200, chat_reply("a goldfish")

    with FakeServer(behave) as srv:
        rc = main(["run", "--model", "fake", "--base-url", srv.base_url, "--output-dir",
                   str(runs_dir), "--concurrency", "1", "--limit", "30", "--max-retries", "0"])
        assert rc == 2
        err = capsys.readouterr().err
        assert "in a row failed" in err and "--resume" in err
        (run,) = runs_dir.glob("*/*/*")
        assert json.loads((run / "results.json").read_text())["complete"] is False
        state["fail"] = False
        assert main(["run", "--resume", str(run)]) == 0
    recs = [json.loads(x) for x in (run / "samples.jsonl").read_text().splitlines()]
    final = {r["id"]: r for r in recs}
    assert len(final) == 30 and all(r["error"] is None for r in final.values())
    res = json.loads((run / "results.json").read_text())
    assert res["complete"] and res["n"] == 30 and res["n_errors"] == 0


def test_resume_after_crash_redoes_only_missing_and_torn(runs_dir, capsys):
    with FakeServer(lambda body: (200, chat_reply("a goldfish"))) as srv:
        assert _run(srv.base_url, runs_dir, "--limit", "12", "--no-cache") == 0
        (run,) = runs_dir.glob("*/*/*")
        first = json.loads((run / "results.json").read_text())
        lines = (run / "samples.jsonl").read_text().splitlines(keepends=True)
        (run / "samples.jsonl").write_text("".join(lines[:7]) + lines[7][:20])  # crash
        (run / "results.json").unlink()
        n_before = len(srv.requests)
        assert main(["run", "--resume", str(run)]) == 0
        assert len(srv.requests) - n_before == 1 + 5  # the probe + the 5 missing samples
    recs = [json.loads(x) for x in (run / "samples.jsonl").read_text().splitlines()]
    assert len(recs) == 12 and len({r["id"] for r in recs}) == 12
    again = json.loads((run / "results.json").read_text())
    assert again["metrics"] == first["metrics"]


def test_identical_rerun_is_served_from_the_cache_without_requests(runs_dir, capsys):
    with FakeServer(lambda body: (200, chat_reply("Two tenches."))) as srv:
        assert _run(srv.base_url, runs_dir, "--limit", "20", "--cache") == 0
        first = len(srv.requests)
        assert _run(srv.base_url, runs_dir, "--limit", "20", "--cache") == 0
        assert len(srv.requests) == first + 1  # the server check's probe, no sample
        assert "cache: 20 answers" in capsys.readouterr().err
        assert _run(srv.base_url, runs_dir, "--limit", "20", "--seed", "1", "--cache") == 0
        assert len(srv.requests) == first + 2 + 20  # a changed parameter misses
    results = [json.loads(p.read_text())["metrics"] for p in
               sorted(runs_dir.glob("*/*/*/results.json"))]
    assert results[0] == results[1]
    assert main(["cache", "info"]) == 0
    assert "40 answers from 1 model(s)" in capsys.readouterr().out
    assert main(["cache", "clear"]) == 0 and "removed 40" in capsys.readouterr().out
