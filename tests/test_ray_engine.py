"""`--engine ray` on a real local Ray cluster: same samples and metrics as the local engine,
resume, and a Ray worker killed mid-run."""
import json
import os
import signal
import threading
import time

import pytest

from harness.cli.main import main

from deterministic import comparable_samples, deterministic_server, fake_run, run_dir

ray = pytest.importorskip("ray", reason="--engine ray needs ray[data]: pip install "
                          "'harness-vlm[ray]' (with -c constraints.txt)")
pytest.importorskip("ray.data.llm", reason="ray.data.llm needs ray[data] and aiohttp")

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def cluster():
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    yield
    ray.shutdown()


@pytest.fixture
def server():
    with deterministic_server() as srv:
        yield srv


def _run(server, out, *extra):
    return fake_run(server, out, 24, *extra)


def _records(run):
    return [json.loads(x) for x in (run / "samples.jsonl").read_text().splitlines()]


def _metrics(run):
    return json.loads((run / "results.json").read_text())["metrics"]


def test_ray_engine_gives_the_local_engines_samples_and_metrics(cluster, server, tmp_path):
    assert _run(server, tmp_path / "local") == 0
    assert _run(server, tmp_path / "ray", "--engine", "ray") == 0
    local, on_ray = run_dir(tmp_path / "local"), run_dir(tmp_path / "ray")
    assert comparable_samples(on_ray) == comparable_samples(local)
    assert len(comparable_samples(local)) == 24
    assert _metrics(on_ray) == _metrics(local)
    assert 0.2 < _metrics(local)["top1"]["value"] < 0.8
    assert json.loads((on_ray / "run.json").read_text())["engine"] == "ray"


def test_resume_of_a_ray_run_asks_only_what_is_missing(cluster, server, tmp_path):
    server.broken = lambda digest: digest[-1] in "01234567"  # about half fail at first
    assert _run(server, tmp_path / "ray", "--engine", "ray") == 1
    run = run_dir(tmp_path / "ray")
    failed = {r["id"] for r in _records(run) if r["error"]}
    assert 0 < len(failed) < 24
    server.broken = None
    asked = len(server.requests)
    assert main(["run", "--resume", str(run)]) == 0
    assert len(server.requests) - asked == len(failed) + 1  # + the start-up probe
    assert _run(server, tmp_path / "local") == 0
    latest = {r["id"]: r for r in _records(run)}
    assert len(latest) == 24 and not any(r["error"] for r in latest.values())
    assert _metrics(run) == _metrics(run_dir(tmp_path / "local"))


def _ray_processes(word):
    """Ray workers name their process after the actor they run (`ray::MapWorker(...)`)."""
    pids = []
    for entry in os.listdir("/proc"):
        try:
            with open(f"/proc/{entry}/cmdline", "rb") as f:
                cmd = f.read().decode(errors="replace")
        except OSError:
            continue
        if cmd.startswith("ray::") and word in cmd:
            pids.append(int(entry))
    return pids


def test_a_ray_worker_killed_mid_run_loses_and_duplicates_nothing(cluster, server, tmp_path):
    killed = []

    def kill_an_http_worker():
        deadline = time.time() + 120
        while time.time() < deadline and not killed:
            if len(server.requests) >= 6:
                pids = _ray_processes("HttpRequest")
                if pids:
                    os.kill(pids[0], signal.SIGKILL)
                    killed.append(pids[0])
                    return
            time.sleep(0.05)

    slow = server.behave

    def behave(body):
        time.sleep(0.1)
        return slow(body)

    server.behave = behave
    killer = threading.Thread(target=kill_an_http_worker)
    killer.start()
    assert _run(server, tmp_path / "ray", "--engine", "ray", "--limit", "40") == 0
    killer.join()
    assert killed
    recs = _records(run_dir(tmp_path / "ray"))
    assert len(recs) == 40 and len({r["id"] for r in recs}) == 40
    assert not any(r["error"] for r in recs)


def test_ray_without_a_server_and_without_vllm_says_what_to_install(tmp_path, capsys):
    import importlib.util

    if importlib.util.find_spec("vllm") is not None:
        pytest.skip("vllm is installed here: the engine path runs (scripts/ray_vllm_check.py)")
    rc = main(["run", "--model", "llava", "--engine", "ray", "--limit", "2", "--output-dir",
               str(tmp_path / "runs")])
    err = capsys.readouterr().err.strip()
    assert rc == 2 and err.count("\n") == 0 and "vllm" in err and "--base-url" in err
    assert not list((tmp_path / "runs").glob("**/run.json"))  # no empty run dir left behind
