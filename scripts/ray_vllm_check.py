"""GPU check for `--engine ray` (not part of the test suite; needs a GPU, vllm and ray[data]).

    python scripts/ray_vllm_check.py [--model llava] [--limit 200] [--task imagenet-sample]

Runs the same selection twice through Ray Data and compares them:
  1. HTTP path: `harness serve MODEL` (one vLLM server), then `harness run --engine ray
     --base-url ...` (ray.data.llm HttpRequestProcessorConfig -> the server);
  2. engine path: `harness run --engine ray` with no --base-url (ray.data.llm
     vLLMEngineProcessorConfig: vLLM engines as Ray actors, no server at all).
Prints samples/s of each (whole `harness run`, vLLM start-up included for the engine path, not
for the HTTP path, whose server is started first), the share of identical answers (greedy
decoding: expect all or nearly all; batch composition can flip a token) and both top-1. Takes a
few minutes on one GPU for a 7B model.
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

H = [sys.executable, "-m", "harness"]


def timed_run(args: list[str], out: Path) -> tuple[Path, float]:
    t0 = time.perf_counter()
    proc = subprocess.run([*H, "run", *args, "--output-dir", str(out), "--no-cache"],
                          capture_output=True, text=True)
    wall = time.perf_counter() - t0
    if proc.returncode not in (0, 1):
        sys.exit(f"harness run failed ({proc.returncode}):\n{proc.stderr[-3000:]}")
    return Path(proc.stdout.strip().splitlines()[-1]), wall


def answers(run_dir: Path) -> dict[str, str]:
    rows = [json.loads(x) for x in (run_dir / "samples.jsonl").read_text().splitlines()]
    return {r["id"]: r["response"] for r in rows}


def top1(run_dir: Path) -> float:
    return json.loads((run_dir / "results.json").read_text())["metrics"]["top1"]["value"]


def serve(model: str, port: int, log: Path) -> subprocess.Popen:
    proc = subprocess.Popen([*H, "serve", model, "--port", str(port), "--log", str(log)],
                            stdout=subprocess.PIPE, text=True)
    deadline = time.time() + 900
    while time.time() < deadline:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=2)
            return proc
        except OSError:
            if proc.poll() is not None:
                sys.exit(f"harness serve exited; see {log}")
            time.sleep(2)
    proc.terminate()
    sys.exit(f"vLLM not healthy after 900 s; see {log}")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", default="llava")
    ap.add_argument("--task", default="imagenet-sample")
    ap.add_argument("--limit", type=int, default=200)
    ap.add_argument("--port", type=int, default=8011)
    a = ap.parse_args()
    common = ["--task", a.task, "--model", a.model, "--limit", str(a.limit), "--engine", "ray"]
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        server = serve(a.model, a.port, work / "vllm.log")
        try:
            http_dir, http_wall = timed_run(
                [*common, "--base-url", f"http://127.0.0.1:{a.port}/v1"], work / "http")
        finally:
            server.terminate()
            server.wait(120)
        eng_dir, eng_wall = timed_run(common, work / "engine")
        x, y = answers(http_dir), answers(eng_dir)
        same = sum(x[k] == y.get(k) for k in x)
        print(f"HTTP path (vLLM server, ray.data.llm HTTP stage): {len(x) / http_wall:.1f} "
              f"samples/s, top-1 {top1(http_dir):.3f}")
        print(f"engine path (vLLM engines as Ray actors, start-up included): "
              f"{len(y) / eng_wall:.1f} samples/s, top-1 {top1(eng_dir):.3f}")
        print(f"identical answers: {same}/{len(x)} ({same / max(1, len(x)):.1%}); "
              f"same ids: {set(x) == set(y)}")


if __name__ == "__main__":
    main()
