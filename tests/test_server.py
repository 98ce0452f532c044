"""The server launcher: command line, health wait, log tail on failure, teardown of the group."""
import json
import os
import socket
import stat
import sys
import textwrap

import pytest

from harness.backends.server import ManagedServer, ServerError, free_port, vllm_command
from harness.cli.main import main

from fakeserver import default_sigint, alive


def test_vllm_command_for_one_image_on_loopback():
    cmd = vllm_command("llava-hf/llava-1.5-7b-hf", 8123, extra=["--dtype", "float16"])
    assert cmd[:3] == ["vllm", "serve", "llava-hf/llava-1.5-7b-hf"]
    assert cmd[cmd.index("--host") + 1] == "127.0.0.1" and cmd[cmd.index("--port") + 1] == "8123"
    assert json.loads(cmd[cmd.index("--limit-mm-per-prompt") + 1]) == {"image": 1}
    assert cmd[-2:] == ["--dtype", "float16"]




def test_failed_start_reports_last_log_lines(tmp_path):
    cmd = [sys.executable, "-c", "import sys; print('loading weights'); "
           "print('CUDA out of memory', flush=True); sys.exit(3)"]
    with pytest.raises(ServerError, match=r"(?s)exited with code 3.*CUDA out of memory"):
        ManagedServer(cmd, free_port(), tmp_path / "log", timeout=30).start()


def test_busy_port_is_refused(tmp_path):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        port = s.getsockname()[1]
        with pytest.raises(ServerError, match=f"port {port}.*in use"):
            ManagedServer(["true"], port, tmp_path / "log").start()


@pytest.mark.slow
def test_stop_kills_the_whole_process_group(tmp_path):
    """A server that forks a worker (as vLLM does) and ignores SIGTERM leaves nothing behind."""
    port = free_port()
    script = tmp_path / "srv.py"
    script.write_text(textwrap.dedent(f"""
        import os, signal, subprocess, sys, http.server
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"])
        open({str(tmp_path / 'child.pid')!r}, "w").write(str(child.pid))
        class H(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                self.send_response(200); self.end_headers()
        http.server.HTTPServer(("127.0.0.1", {port}), H).serve_forever()
    """))
    server = ManagedServer([sys.executable, str(script)], port, tmp_path / "log", timeout=30)
    server.start()
    leader = server.proc.pid
    child = int((tmp_path / "child.pid").read_text())
    assert alive(leader) and alive(child)
    server.stop(grace=1.0)
    assert not alive(leader) and not alive(child)


def _vllm_shim(tmp_path):
    """A `vllm` executable that runs `transformers serve` with the same model, host and port."""
    bindir = tmp_path / "bin"
    bindir.mkdir()
    shim = bindir / "vllm"
    (tmp_path / "hub").mkdir()
    shim.write_text(textwrap.dedent(f"""\
        #!{sys.executable}
        import os, sys
        args = sys.argv[1:]
        assert args[0] == "serve", args
        open({str(tmp_path / 'argv.json')!r}, "w").write(__import__("json").dumps(args))
        host, port = args[args.index("--host") + 1], args[args.index("--port") + 1]
        exe = os.path.join(os.path.dirname({sys.executable!r}), "transformers")
        os.environ.update(HF_HUB_OFFLINE="1", HF_HUB_CACHE={str(tmp_path / 'hub')!r},
                          OMP_NUM_THREADS="1")
        os.execv(exe, [exe, "serve", args[1], "--host", host, "--port", port,
                       "--device", "cpu", "--dtype", "float32"])
    """))
    shim.chmod(shim.stat().st_mode | stat.S_IEXEC)
    return bindir


@pytest.mark.slow
def test_managed_launch_end_to_end_with_a_vllm_shim(tiny_llava, tmp_path, monkeypatch, capsys):
    """`harness run` with no base URL launches `vllm serve` (here a shim that runs
    `transformers serve` with the same host/port), evaluates, and stops it."""
    bindir = _vllm_shim(tmp_path)
    monkeypatch.setenv("PATH", f"{bindir}{os.pathsep}{os.environ['PATH']}")
    rc = main(["run", "--model", tiny_llava, "--limit", "3", "--max-tokens", "8",
               "--server-args", "--max-model-len 512", "--output-dir", str(tmp_path / "runs")])
    assert rc == 0
    run = capsys.readouterr().out.strip().splitlines()[-1]
    argv = json.loads((tmp_path / "argv.json").read_text())
    assert argv[1] == tiny_llava and argv[-2:] == ["--max-model-len", "512"]
    assert json.loads(open(f"{run}/run.json").read())["managed_server"] is True
    assert len(open(f"{run}/samples.jsonl").readlines()) == 3
    assert os.path.getsize(f"{run}/server.log") > 0
    port = int(argv[argv.index("--port") + 1])
    with socket.socket() as s:  # the server is gone
        assert s.connect_ex(("127.0.0.1", port)) != 0


def test_no_base_url_and_no_vllm_says_how_to_attach(monkeypatch, tmp_path, capsys):
    monkeypatch.setenv("PATH", str(tmp_path))
    assert main(["run", "--model", "llava", "--output-dir", str(tmp_path / "runs")]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "--base-url" in err and "[vllm]" in err and "llava-1.5-7b" in err


@pytest.mark.slow
def test_harness_serve_runs_until_interrupted(tiny_llava, tmp_path):
    import subprocess
    import signal
    import urllib.request

    env = {**os.environ, "PATH": f"{_vllm_shim(tmp_path)}{os.pathsep}{os.environ['PATH']}"}
    proc = subprocess.Popen([sys.executable, "-m", "harness", "serve", tiny_llava, "--log",
                             str(tmp_path / "serve.log")], stdout=subprocess.PIPE, text=True,
                            env=env, preexec_fn=default_sigint)
    line = proc.stdout.readline()
    url = line.split(" at ", 1)[1].split(" ", 1)[0]
    port = int(url.rsplit(":", 1)[1].split("/")[0])
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=10) as r:
        assert r.status == 200
    proc.send_signal(signal.SIGINT)
    assert proc.wait(60) == 0
    with socket.socket() as s:
        assert s.connect_ex(("127.0.0.1", port)) != 0


@pytest.mark.slow
def test_harness_serve_replicas_starts_and_stops_every_server(tiny_llava, tmp_path):
    import signal
    import subprocess
    import urllib.request

    env = {**os.environ, "PATH": f"{_vllm_shim(tmp_path)}{os.pathsep}{os.environ['PATH']}"}
    proc = subprocess.Popen([sys.executable, "-m", "harness", "serve", tiny_llava, "--replicas",
                             "2", "--log", str(tmp_path / "serve.log")], stdout=subprocess.PIPE,
                            text=True, env=env, preexec_fn=default_sigint)
    line = proc.stdout.readline()
    assert line.count("--base-url ") == 2, line
    ports = [int(u.rsplit(":", 1)[1].split("/")[0]) for u in
             line.split(" at ", 1)[1].split(" (", 1)[0].split(", ")]
    assert len(set(ports)) == 2
    for port in ports:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=10) as r:
            assert r.status == 200
    proc.send_signal(signal.SIGINT)
    assert proc.wait(60) == 0
    for port in ports:
        with socket.socket() as s:
            assert s.connect_ex(("127.0.0.1", port)) != 0
