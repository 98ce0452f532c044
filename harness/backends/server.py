"""Launch an OpenAI-compatible server (vLLM, or transformers serve for the offline demo).

The server runs in its own process group with its log in a file; `/health` is polled until ready;
on exit, error or Ctrl-C the whole group gets SIGTERM, then SIGKILL after a grace period, so no
engine or worker process is left behind.
"""
from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

from harness.errors import ServerError


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def port_busy(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        return s.connect_ex(("127.0.0.1", port)) == 0


def vllm_available() -> bool:
    return shutil.which("vllm") is not None


def vllm_command(model_id: str, port: int, served_name: str | None = None,
                 extra: list[str] | None = None, tensor_parallel: int = 1,
                 data_parallel: int = 1) -> list[str]:
    """`vllm serve` for one image per prompt on loopback; tensor / data parallelism are vLLM's
    own (one API server over tensor_parallel x data_parallel GPUs)."""
    cmd = ["vllm", "serve", model_id, "--host", "127.0.0.1", "--port", str(port),
           "--limit-mm-per-prompt", '{"image": 1}']
    if served_name:
        cmd += ["--served-model-name", served_name]
    if tensor_parallel > 1:
        cmd += ["--tensor-parallel-size", str(tensor_parallel)]
    if data_parallel > 1:
        cmd += ["--data-parallel-size", str(data_parallel)]
    return cmd + list(extra or [])


def visible_gpus() -> list[str] | None:
    """The GPUs this process may use: CUDA_VISIBLE_DEVICES, else nvidia-smi's list, else None
    (unknown)."""
    env = os.environ.get("CUDA_VISIBLE_DEVICES")
    if env is not None:
        return [g.strip() for g in env.split(",") if g.strip()]
    if shutil.which("nvidia-smi") is None:
        return None
    try:
        out = subprocess.run(["nvidia-smi", "--query-gpu=index", "--format=csv,noheader"],
                             capture_output=True, text=True, timeout=20, check=True).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    return [line.strip() for line in out.splitlines() if line.strip()]


def gpu_groups(replicas: int, per_replica: int, visible: list[str] | None) -> list[str | None]:
    """CUDA_VISIBLE_DEVICES for each replica: consecutive groups of `per_replica` GPUs. One
    replica leaves the environment as it is (None)."""
    if replicas == 1:
        return [None]
    need = replicas * per_replica
    gpus = visible if visible is not None else [str(i) for i in range(need)]
    if len(gpus) < need:
        raise ServerError(f"--replicas {replicas} with {per_replica} GPU(s) each needs {need} "
                          f"GPUs, and {len(gpus)} are visible ({','.join(gpus) or 'none'}); "
                          "lower --replicas or --tensor-parallel-size / --data-parallel-size")
    return [",".join(gpus[i * per_replica:(i + 1) * per_replica]) for i in range(replicas)]


def transformers_command(model_dir: str, port: int) -> list[str]:
    """`transformers serve` pinned to a local model folder (CPU, float32)."""
    exe = shutil.which("transformers") or str(Path(sys.executable).with_name("transformers"))
    return [exe, "serve", model_dir, "--host", "127.0.0.1", "--port", str(port),
            "--device", "cpu", "--dtype", "float32"]


class ManagedServer:
    """Context manager: start `cmd`, wait for http://127.0.0.1:port/health, stop the group."""

    def __init__(self, cmd: list[str], port: int, log_path: Path, timeout: float = 600.0,
                 env: dict[str, str] | None = None) -> None:
        self.cmd, self.port, self.log_path, self.timeout = cmd, port, Path(log_path), timeout
        self.env = {**os.environ, **(env or {})}
        self.proc: subprocess.Popen | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def __enter__(self) -> "ManagedServer":
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def start(self) -> None:
        self.launch()
        self.wait_ready()

    def launch(self) -> None:
        """Start the process, without waiting for it to be ready."""
        if port_busy(self.port):
            raise ServerError(f"port {self.port} on 127.0.0.1 is already in use; pick another")
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        log = self.log_path.open("ab")
        try:
            self.proc = subprocess.Popen(self.cmd, stdout=log, stderr=subprocess.STDOUT,
                                         stdin=subprocess.DEVNULL, env=self.env,
                                         start_new_session=True)
        except OSError as e:
            raise ServerError(f"cannot start {self.cmd[0]}: {e}") from None
        finally:
            log.close()

    def wait_ready(self) -> None:
        """Wait for /health; on failure (or Ctrl-C) the process group is stopped."""
        try:
            self._wait_healthy()
        except BaseException:
            self.stop()
            raise

    def _wait_healthy(self) -> None:
        url = f"http://127.0.0.1:{self.port}/health"
        deadline = time.monotonic() + self.timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise ServerError(f"server exited with code {self.proc.returncode} before it was "
                                  f"ready; last log lines ({self.log_path}):\n{self.tail()}")
            try:
                with urllib.request.urlopen(url, timeout=2) as r:
                    if r.status == 200:
                        return
            except (urllib.error.URLError, ConnectionError, TimeoutError, OSError):
                pass
            time.sleep(0.25)
        raise ServerError(f"server not healthy after {self.timeout:.0f}s; last log lines "
                          f"({self.log_path}):\n{self.tail()}")

    def tail(self, n: int = 20) -> str:
        try:
            lines = self.log_path.read_text(errors="replace").splitlines()
        except OSError:
            return "(no log)"
        return "\n".join(lines[-n:])

    def stop(self, grace: float = 10.0) -> None:
        proc, self.proc = self.proc, None
        if proc is None:
            return
        if proc.poll() is not None:  # the leader died (e.g. out of memory): its workers may not
            _reap_group(proc.pid)
            return
        for sig, wait in ((signal.SIGTERM, grace), (signal.SIGKILL, 5.0)):
            try:
                os.killpg(proc.pid, sig)
            except ProcessLookupError:
                return
            try:
                proc.wait(wait)
                _reap_group(proc.pid)
                return
            except subprocess.TimeoutExpired:
                continue


def _reap_group(pgid: int, wait: float = 5.0) -> None:
    """Children that outlived the leader (engine workers) get SIGKILL; returns once the group
    is gone (or after `wait` seconds), so nothing is left running when stop() returns."""
    deadline = time.monotonic() + wait
    while True:
        try:
            os.killpg(pgid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            return
        if not _group_running(pgid) or time.monotonic() > deadline:
            return
        time.sleep(0.05)


def _group_running(pgid: int) -> bool:
    """Is any process of the group still running (zombies waiting to be reaped by init do not
    count)? Where /proc is missing, assume so and let the caller's deadline decide."""
    proc = Path("/proc")
    if not proc.is_dir():
        return True
    for stat in proc.glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[2]) == pgid and fields[0] != "Z":
            return True
    return False


class ManagedGroup:
    """Several servers started together (all launched, then each waited for) and stopped
    together: a failure or Ctrl-C while any starts stops every one of them."""

    def __init__(self, servers: list[ManagedServer]) -> None:
        self.servers = servers

    @property
    def base_urls(self) -> list[str]:
        return [s.base_url for s in self.servers]

    def __enter__(self) -> "ManagedGroup":
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def start(self) -> None:
        try:
            for server in self.servers:
                server.launch()
            for server in self.servers:
                server.wait_ready()
        except BaseException:
            self.stop()
            raise

    def stop(self) -> None:
        """Every group at once (each gets its own SIGTERM grace period, not one after another)."""
        from concurrent.futures import ThreadPoolExecutor

        with ThreadPoolExecutor(max(1, len(self.servers))) as pool:
            list(pool.map(lambda server: server.stop(), self.servers))
