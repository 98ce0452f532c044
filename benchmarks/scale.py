"""A 50,000-sample run against the null server: peak RSS (images streamed, never held), wall
time, then the cached re-run (no request at all) and `harness score` on the result.

    python benchmarks/scale.py [N]
"""
from __future__ import annotations

import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from workload import make_task, wait_health  # noqa: E402

from harness.backends.server import free_port  # noqa: E402


def harness(*args: str, env: dict) -> tuple[float, str]:
    t0 = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "harness", *args], env=env, text=True,
                          capture_output=True)
    if proc.returncode != 0:
        raise SystemExit(proc.stderr[-2000:])
    return time.perf_counter() - t0, proc.stdout


def main(n: int = 50_000) -> None:
    port = free_port()
    srv = subprocess.Popen([sys.executable, str(Path(__file__).with_name("nullserver.py")),
                            str(port)])
    try:
        wait_health(port)
        with tempfile.TemporaryDirectory() as tmp:
            tasks, _ = make_task(Path(tmp), n)
            env = {**os.environ, "HARNESS_CACHE": str(Path(tmp) / "cache")}
            args = ["run", "--task", "bench", "--tasks-dir", str(tasks), "--model", "null",
                    "--base-url", f"http://127.0.0.1:{port}/v1", "--output-dir",
                    str(Path(tmp) / "runs")]
            if "--cache-only" not in sys.argv:
                wall, out = harness(*args, "--no-cache", env=env)
                rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
                print(f"harness run, {n} samples, null server, no cache: {wall:.1f} s "
                      f"({n / wall:,.0f} samples/s), peak RSS {rss:.0f} MB")
            # A prompt naming the sample makes every cache key distinct (the workload repeats
            # its 100 photos), so the cache really holds n answers.
            prompts = Path(tmp) / "prompts"
            prompts.mkdir()
            (prompts / "tagged.yaml").write_text(
                "text: What type of object is in this photo? (ref {{ sample_id }})\n")
            cached = [*args, "--prompts-dir", str(prompts), "--prompt", "tagged"]
            wall1, out = harness(*cached, env=env)
            wall2, _ = harness(*cached, env=env)
            print(f"run filling the cache with {n} answers: {wall1:.1f} s; identical re-run "
                  f"served from the cache (0 requests): {wall2:.1f} s")
            run_dir = out.strip().splitlines()[-1]
            wall3, _ = harness("score", run_dir, env=env)
            print(f"harness score on the {n}-sample run: {wall3:.1f} s")
    finally:
        srv.terminate()
        srv.wait()


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 and sys.argv[1].isdigit() else 50_000)
