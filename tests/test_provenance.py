"""A run proves what it measured: the cache cannot serve a wrong answer, failures are not
measurements, ambiguity is counted (issue: numbers you can publish). Real loopback servers that
log what they receive."""
import json

import pytest

from harness.backends.server import free_port
from harness.cli.main import main

from fakeserver import FakeServer, chat_reply, fails_after


def _run(url, runs, *extra, model="fake"):
    return main(["run", "--model", model, "--base-url", url, "--limit", "4", "--output-dir",
                 str(runs), "--concurrency", "2", "--cache", *extra])


def _sent(srv):
    return [b for b in srv.requests if b["max_tokens"] > 1]


def _newest(runs):
    run = sorted(runs.glob("*/*/*/run.json"), key=lambda p: p.parent.name)[-1].parent
    recs = [json.loads(x) for x in (run / "samples.jsonl").read_text().splitlines()]
    return run, recs, json.loads((run / "results.json").read_text())


def test_cache_is_off_by_default(tmp_path, capsys):
    with FakeServer(lambda b: (200, chat_reply("a tench"))) as srv:
        for _ in range(2):
            assert main(["run", "--model", "fake", "--base-url", srv.base_url, "--limit", "3",
                         "--output-dir", str(tmp_path / "runs")]) == 0
        assert len(_sent(srv)) == 6
    assert not (tmp_path / "cache" / "responses.sqlite").exists()


def test_a_second_server_under_the_same_model_name_is_asked(tmp_path, capsys):
    with FakeServer(lambda b: (200, chat_reply("a tench"))) as a:
        assert _run(a.base_url, tmp_path / "runs") == 0
    with FakeServer(lambda b: (200, chat_reply("a goldfish"))) as b:
        assert _run(b.base_url, tmp_path / "runs") == 0
        assert len(_sent(b)) == 4  # nothing of server a's answers came back
    _, recs, res = _newest(tmp_path / "runs")
    assert {r["response"] for r in recs} == {"a goldfish"} and res["n_cached"] == 0


def test_a_new_checkpoint_under_the_same_name_and_url_is_asked(tmp_path, capsys):
    port = free_port()
    with FakeServer(lambda b: (200, chat_reply("a tench")), port=port, model_root="/ckpt/a") as a:
        assert _run(a.base_url, tmp_path / "runs") == 0
    with FakeServer(lambda b: (200, chat_reply("a goldfish")), port=port,
                    model_root="/ckpt/b") as b:
        assert _run(b.base_url, tmp_path / "runs") == 0
        assert len(_sent(b)) == 4


def test_the_same_server_is_a_hit_although_its_model_list_changes_every_call(tmp_path, capsys):
    """vLLM's /v1/models gives a new `created` on every call: not part of the identity."""
    with FakeServer(lambda b: (200, chat_reply("a tench")), model_root="/ckpt/a") as srv:
        assert _run(srv.base_url, tmp_path / "runs") == 0
        assert _run(srv.base_url, tmp_path / "runs") == 0
        assert len(_sent(srv)) == 4
    _, recs, res = _newest(tmp_path / "runs")
    assert res["n_cached"] == 4


def test_resume_against_another_checkpoint_is_refused(tmp_path, capsys):
    port = free_port()
    with FakeServer(fails_after(2), port=port, model_root="/ckpt/a"):
        assert main(["run", "--model", "fake", "--base-url", f"http://127.0.0.1:{port}/v1",
                     "--limit", "4", "--max-retries", "0", "--concurrency", "1",
                     "--output-dir", str(tmp_path / "runs")]) == 1
    run, _, _ = _newest(tmp_path / "runs")
    with FakeServer(lambda b: (200, chat_reply("a goldfish")), port=port,
                    model_root="/ckpt/b") as other:
        capsys.readouterr()
        assert main(["run", "--resume", str(run)]) == 2
        assert not _sent(other)
    assert "would mix two models" in capsys.readouterr().err


def test_image_size_changes_the_request_and_misses(tmp_path, capsys):
    with FakeServer(lambda b: (200, chat_reply("a tench"))) as srv:
        assert _run(srv.base_url, tmp_path / "runs") == 0
        assert _run(srv.base_url, tmp_path / "runs", "--image-size", "32") == 0
        assert len(_sent(srv)) == 8
        assert _run(srv.base_url, tmp_path / "runs", "--image-size", "32") == 0
        assert len(_sent(srv)) == 8  # the same resize is a hit
    _, recs, res = _newest(tmp_path / "runs")
    assert all(r["cached"] for r in recs) and res["n_cached"] == 4


def test_dead_port_with_a_warm_cache_is_an_error_not_a_result(tmp_path, capsys):
    with FakeServer(lambda b: (200, chat_reply("a tench"))) as srv:
        assert _run(srv.base_url, tmp_path / "runs") == 0
    dead = f"http://127.0.0.1:{free_port()}/v1"
    assert _run(dead, tmp_path / "runs") == 2
    assert "cannot reach the server" in capsys.readouterr().err
    with FakeServer(lambda b: (200, chat_reply("a tench"))) as srv:
        assert _run(srv.base_url.removesuffix("/v1"), tmp_path / "runs") == 2  # no /v1
    assert "/v1" in capsys.readouterr().err


@pytest.mark.parametrize("answer", ["", None, "   "])
def test_empty_answers_are_never_cached(tmp_path, capsys, answer):
    with FakeServer(lambda b: (200, chat_reply(answer))) as bad:
        _run(bad.base_url, tmp_path / "runs")
    with FakeServer(lambda b: (200, chat_reply("a tench"))) as good:
        assert _run(good.base_url, tmp_path / "runs") == 0
        assert len(_sent(good)) == 4


def test_truncated_answers_are_recorded_and_not_cached(tmp_path, capsys):
    def cut(body):
        reply = chat_reply("a tench and a")
        reply["choices"][0]["finish_reason"] = "length"
        return 200, reply

    with FakeServer(cut) as srv:
        assert _run(srv.base_url, tmp_path / "runs") == 0
        assert _run(srv.base_url, tmp_path / "runs") == 0
        assert len(_sent(srv)) == 8
    _, recs, res = _newest(tmp_path / "runs")
    assert all(r["finish_reason"] == "length" for r in recs) and res["n_truncated"] == 4


def test_no_cache_is_honoured_on_resume(tmp_path, capsys):
    flaky = fails_after(2)
    with FakeServer(flaky) as srv:
        assert _run(srv.base_url, tmp_path / "runs", "--max-retries", "0",
                    "--concurrency", "1") == 1
        run, _, _ = _newest(tmp_path / "runs")
        flaky.state["n"] = -100
        assert main(["run", "--resume", str(run), "--no-cache"]) == 0
    assert json.loads((run / "run.json").read_text())["cache"] is False


def test_transport_failures_make_the_run_incomplete_until_resumed(tmp_path, capsys):
    state = {"fail": True}

    def behave(body):
        if body["max_tokens"] == 1:
            return 200, chat_reply("ok")
        return (429, {"error": {"message": "rate limited"}}) if state["fail"] else \
            (200, chat_reply("a tench"))

    with FakeServer(behave) as srv:
        rc = _run(srv.base_url, tmp_path / "runs", "--max-retries", "1", "--concurrency", "1",
                  "--max-consecutive-failures", "100")
        run, recs, res = _newest(tmp_path / "runs")
        assert rc == 1 and res["complete"] is False and res["n_failed"] == 4
        assert all(r["error_kind"] == "server" for r in recs)
        state["fail"] = False
        assert main(["run", "--resume", str(run)]) == 0
    _, recs, res = _newest(tmp_path / "runs")
    assert res["complete"] is True and res["n_failed"] == 0 and len(recs) == 4


def test_ambiguous_answers_are_counted_wrong_and_reported(tmp_path, capsys):
    from harness.parse.parser import parser_for

    text = "a crane"
    assert parser_for("imagenet-1k").parse(text).match == "ambiguous"  # bird or machine
    with FakeServer(lambda b: (200, chat_reply(text))) as srv:
        assert main(["run", "--model", "fake", "--base-url", srv.base_url, "--output-dir",
                     str(tmp_path / "runs")]) == 0
    _, recs, res = _newest(tmp_path / "runs")
    assert res["n_ambiguous"] == 100 and res["ambiguous_rule"] == "counted wrong"
    assert not any(r["correct"] for r in recs)
    assert "ambiguous (counted wrong) 100" in capsys.readouterr().out
