"""Managed vLLM on a multi-GPU node: --replicas, --tensor-parallel-size, --data-parallel-size.

No GPU here: a `vllm` shim on PATH records its argv and CUDA_VISIBLE_DEVICES, forks a worker (as
vLLM's engine does) and serves an OpenAI-compatible API on the port it was given, so the launch
commands, the GPU groups, the health wait, the spread of requests and the teardown of every
process group are all real."""
import json
import os
import socket
import stat
import sys

import pytest

from fakeserver import alive

from harness.backends.server import ServerError, gpu_groups, vllm_command
from harness.cli.main import main

SHIM = """\
#!{python}
import http.server, json, os, subprocess, sys
args = sys.argv[1:]
port = int(args[args.index("--port") + 1])
worker = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"])
record = {{"argv": args, "gpus": os.environ.get("CUDA_VISIBLE_DEVICES"), "pid": os.getpid(),
          "worker": worker.pid}}
open(os.path.join({out!r}, f"{{port}}.json"), "w").write(json.dumps(record))
if {fail!r} and record["gpus"] == {fail!r}:
    sys.exit("CUDA error: out of memory")
chat = {{"id": "x", "object": "chat.completion", "created": 0, "model": args[1],
        "choices": [{{"index": 0, "finish_reason": "stop",
                     "message": {{"role": "assistant", "content": "A tench."}}}}]}}
count = os.path.join({out!r}, f"{{port}}.count")

class H(http.server.BaseHTTPRequestHandler):
    def log_message(self, *a):
        pass
    def _send(self, body):
        data = json.dumps(body).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)
    def do_GET(self):
        self._send({{"object": "list", "data": [{{"id": args[1], "object": "model"}}]}}
                   if self.path.endswith("/models") else {{"status": "ok"}})
    def do_POST(self):
        self.rfile.read(int(self.headers["Content-Length"]))
        with open(count, "a") as f:
            f.write("x")
        self._send(chat)

http.server.ThreadingHTTPServer(("127.0.0.1", port), H).serve_forever()
"""


def _shim(tmp_path, fail=None):
    bindir, out = tmp_path / "bin", tmp_path / "launched"
    bindir.mkdir()
    out.mkdir()
    shim = bindir / "vllm"
    shim.write_text(SHIM.format(python=sys.executable, out=str(out), fail=fail))
    shim.chmod(shim.stat().st_mode | stat.S_IEXEC)
    return bindir, out




def _launched(out):
    return {int(p.stem): json.loads(p.read_text()) for p in out.glob("*.json")}


def test_parallel_flags_and_gpu_groups():
    cmd = vllm_command("m", 8000, tensor_parallel=2, data_parallel=4)
    assert cmd[cmd.index("--tensor-parallel-size") + 1] == "2"
    assert cmd[cmd.index("--data-parallel-size") + 1] == "4"
    assert "--tensor-parallel-size" not in vllm_command("m", 8000)
    assert gpu_groups(2, 2, ["4", "5", "6", "7"]) == ["4,5", "6,7"]
    assert gpu_groups(3, 1, None) == ["0", "1", "2"]
    assert gpu_groups(1, 8, ["0"]) == [None]  # one server: vLLM sees what the user set
    with pytest.raises(ServerError, match="needs 6 GPUs, and 4 are visible"):
        gpu_groups(3, 2, ["0", "1", "2", "3"])


@pytest.mark.slow
def test_two_replicas_launched_used_and_torn_down(tmp_path, monkeypatch, capsys):
    bindir, out = _shim(tmp_path)
    monkeypatch.setenv("PATH", f"{bindir}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "3,4,5,6")
    rc = main(["run", "--model", "llava", "--limit", "20", "--replicas", "2",
               "--tensor-parallel-size", "2", "--output-dir", str(tmp_path / "runs")])
    assert rc == 0
    run = capsys.readouterr().out.strip().splitlines()[-1]
    launched = _launched(out)
    assert sorted(r["gpus"] for r in launched.values()) == ["3,4", "5,6"]
    for port, rec in launched.items():
        argv = rec["argv"]
        assert argv[1] == "llava-hf/llava-1.5-7b-hf" and argv[argv.index("--port") + 1] == str(port)
        assert argv[argv.index("--tensor-parallel-size") + 1] == "2"
        answered = len((out / f"{port}.count").read_text()) - 1  # less the start-up probe
        assert answered >= 5  # both replicas did a share of the 20
        assert not alive(rec["pid"]) and not alive(rec["worker"])
        with socket.socket() as s:
            assert s.connect_ex(("127.0.0.1", port)) != 0
    m = json.loads(open(f"{run}/run.json").read())
    assert m["managed_server"] and m["replicas"] == 2 and m["concurrency"] == 64
    assert len(m["server"]["replicas"]) == 2
    assert len(open(f"{run}/samples.jsonl").readlines()) == 20
    assert os.path.getsize(f"{run}/server-2.log") >= 0 and os.path.exists(f"{run}/server.log")


@pytest.mark.slow
def test_one_replica_failing_to_start_stops_the_others(tmp_path, monkeypatch, capsys):
    bindir, out = _shim(tmp_path, fail="1")
    monkeypatch.setenv("PATH", f"{bindir}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "0,1")
    rc = main(["run", "--model", "llava", "--limit", "4", "--replicas", "2",
               "--output-dir", str(tmp_path / "runs")])
    err = capsys.readouterr().err
    assert rc == 2 and "exited with code 1" in err and "out of memory" in err
    for rec in _launched(out).values():
        assert not alive(rec["pid"]) and not alive(rec["worker"])


def test_launch_options_with_a_base_url_are_refused(tmp_path, capsys):
    rc = main(["run", "--model", "llava", "--base-url", "http://127.0.0.1:9/v1",
               "--replicas", "2", "--output-dir", str(tmp_path / "runs")])
    err = capsys.readouterr().err.strip()
    assert rc == 2 and err.count("\n") == 0 and "--replicas" in err and "--base-url" in err
