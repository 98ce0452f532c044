"""A flaky server: 429 + Retry-After, 500/503, dropped connections, hangs past the timeout, a
restart mid-run and a server that stays down; plus kill -9 and Ctrl-C of a real `harness run`.
What must hold: no sample lost, none duplicated, every error accounted for."""
import hashlib
import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from harness.cli.main import main

from fakeserver import FakeServer, chat_reply, default_sigint

pytestmark = pytest.mark.slow
ANSWERS = ["a tench", "a goldfish", "a beagle", "a tabby cat", "I don't know", "a dog"]


def deterministic(body) -> str:
    """The same image always gets the same answer (so runs can be compared)."""
    content = body["messages"][0]["content"]
    if isinstance(content, str):  # the harness's 1-token probe
        return "ok"
    url = content[0]["image_url"]["url"]
    return ANSWERS[int(hashlib.sha256(url.encode()).hexdigest(), 16) % len(ANSWERS)]


def flaky(every: int = 7, counts: dict | None = None):
    """Every `every`-th chat request (~14%) fails, cycling through the fault kinds."""
    lock = threading.Lock()
    seen = {"n": 0}
    kinds = [("429", lambda: (429, {"error": {"message": "slow down"}}, {"Retry-After": "0.05"})),
             ("500", lambda: (500, {"error": {"message": "boom"}})),
             ("503", lambda: (503, {"error": {"message": "busy"}}, {"Retry-After": "0"})),
             ("drop", lambda: ("drop", None)),
             ("hang", lambda: ("hang", 1.5))]

    def behave(body):
        if body["max_tokens"] == 1:
            return 200, chat_reply("ok")
        with lock:
            seen["n"] += 1
            n = seen["n"]
        if n % every == 0:
            name, make = kinds[(n // every) % len(kinds)]
            with lock:
                counts[name] = counts.get(name, 0) + 1
            return make()
        return 200, chat_reply(deterministic(body))
    return behave


def _records(run: Path) -> list[dict]:
    return [json.loads(x) for x in (run / "samples.jsonl").read_text().splitlines()]


def _last_run(capsys) -> Path:
    return Path(capsys.readouterr().out.strip().splitlines()[-1])


def _base(url, runs, *extra):
    return ["run", "--model", "fake", "--base-url", url, "--output-dir", str(runs),
            "--no-cache", *extra]


def test_fifteen_percent_faults_lose_and_duplicate_nothing(tmp_path, capsys):
    counts: dict = {}
    with FakeServer(flaky(7, counts)) as srv:
        assert main(_base(srv.base_url, tmp_path, "--concurrency", "8", "--timeout", "1")) == 0
    cap = capsys.readouterr()
    recs = _records(Path(cap.out.strip().splitlines()[-1]))
    assert len(recs) == 100 and len({r["id"] for r in recs}) == 100  # 0 lost, 0 duplicated
    assert all(r["error"] is None for r in recs)  # every fault was retried away
    assert sum(counts.values()) >= 10 and set(counts) == {"429", "500", "503", "drop", "hang"}
    assert "server not answering" in cap.err and "resuming" in cap.err


def test_server_restart_mid_run(tmp_path, capsys):
    srv = FakeServer(lambda b: (200, chat_reply(deterministic(b))))
    srv.__enter__()
    port, state = srv.port, {"srv": srv}

    def restart():
        deadline = time.time() + 60
        while len(state["srv"].requests) < 30 and time.time() < deadline:
            time.sleep(0.01)
        state["srv"].stop()
        time.sleep(1.5)
        state["srv"] = FakeServer(lambda b: (200, chat_reply(deterministic(b))), port=port)
        state["srv"].__enter__()

    t = threading.Thread(target=restart)
    t.start()
    try:
        assert main(_base(srv.base_url, tmp_path, "--concurrency", "4")) == 0
    finally:
        t.join()
        state["srv"].stop()
    recs = _records(_last_run(capsys))
    assert len(recs) == 100 and len({r["id"] for r in recs}) == 100
    assert all(r["error"] is None for r in recs)


def test_server_that_stays_down_stops_cleanly_and_resume_finishes(tmp_path, capsys):
    srv = FakeServer(lambda b: (200, chat_reply(deterministic(b))))
    srv.__enter__()
    def kill_after_20():
        deadline = time.time() + 60
        while len(srv.requests) < 20 and time.time() < deadline:
            time.sleep(0.01)
        srv.stop()

    killer = threading.Thread(target=kill_after_20)
    killer.start()
    rc = main(_base(srv.base_url, tmp_path, "--concurrency", "2", "--max-outage", "1.5"))
    killer.join()
    assert rc == 2
    err = capsys.readouterr().err
    assert "server down for more than 2s" in err and "--resume" in err
    (run,) = tmp_path.glob("*/*/*")
    done = _records(run)
    assert 10 <= len(done) < 100 and all(r["error"] is None for r in done)
    assert json.loads((run / "results.json").read_text())["complete"] is False
    with FakeServer(lambda b: (200, chat_reply(deterministic(b))), port=srv.port):
        assert main(["run", "--resume", str(run)]) == 0
    recs = _records(run)
    assert len(recs) == 100 and len({r["id"] for r in recs}) == 100


def test_retry_budget_stops_a_hopeless_run(tmp_path, capsys):
    with FakeServer(lambda b: (200, chat_reply("ok")) if b["max_tokens"] == 1 else
                    (500, {"error": {"message": "always broken"}})) as srv:
        rc = main(_base(srv.base_url, tmp_path, "--concurrency", "1", "--retry-budget", "5",
                        "--limit", "20"))
    assert rc == 2
    assert "retry budget of 5 spent (last error: http 500: always broken)" in \
        capsys.readouterr().err


def _spawn(url, runs, *extra) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "harness", *_base(url, runs, *extra)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            preexec_fn=default_sigint)


def _wait_lines(runs: Path, n: int, timeout: float = 60) -> Path:
    deadline = time.time() + timeout
    while time.time() < deadline:
        for s in runs.glob("*/*/*/samples.jsonl"):
            if len(s.read_text().splitlines()) >= n:
                return s.parent
        time.sleep(0.05)
    raise AssertionError("the run did not get going")


def _slow(body):
    time.sleep(0.03)
    return 200, chat_reply(deterministic(body))


def test_kill_9_then_resume_gives_the_uninterrupted_result(tmp_path, capsys):
    with FakeServer(_slow) as srv:
        assert main(_base(srv.base_url, tmp_path / "ref", "--concurrency", "2")) == 0
        reference = json.loads((_last_run(capsys) / "results.json").read_text())
        proc = _spawn(srv.base_url, tmp_path / "runs", "--concurrency", "2")
        run = _wait_lines(tmp_path / "runs", 15)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(30)
        with (run / "samples.jsonl").open("a") as f:
            f.write('{"id": "n015')  # a line torn by the crash
        assert main(["run", "--resume", str(run)]) == 0
    recs = _records(run)
    assert len(recs) == 100 and len({r["id"] for r in recs}) == 100
    final = json.loads((run / "results.json").read_text())
    assert final["metrics"] == reference["metrics"] and final["n"] == reference["n"] == 100


def _slower(body):  # the 90 samples left take ~5 s: Ctrl-C lands mid-run even on a busy box
    time.sleep(0.1)
    return 200, chat_reply(deterministic(body))


def test_ctrl_c_keeps_everything_done(tmp_path):
    with FakeServer(_slower) as srv:
        proc = _spawn(srv.base_url, tmp_path, "--concurrency", "2")
        run = _wait_lines(tmp_path, 10)
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=60)
    assert proc.returncode == 130 and "interrupted" in err
    recs = _records(run)
    assert len(recs) >= 10 and len({r["id"] for r in recs}) == len(recs)
    res = json.loads((run / "results.json").read_text())
    assert res["complete"] is False and res["n"] == len(recs)
