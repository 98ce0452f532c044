"""One run across several replicas vs one replica: does the harness add up their throughput?

    python benchmarks/replicas.py [N] [LATENCY_S] [SLOTS] [--ray]

Starts 3 stand-in replicas (benchmarks/nullserver.py with a latency: each answers at most SLOTS
requests at a time, LATENCY_S each; default 2 and 0.6 s, i.e. 3.3 requests/s a replica), then
times `harness run` (in this process, from the call to its return: check, probes, N samples,
results.json) on 1, 2 and 3 of them with the same options (--concurrency 6, cache off). Ideal
scaling is 2x and 3x; the target for 3 replicas is >= 2.7x. With --ray, also 3 replicas with
`--engine ray` (a local Ray cluster started first; its start-up is not timed).
"""
from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from workload import make_task, wait_health  # noqa: E402

from harness.backends.server import free_port  # noqa: E402
from harness.manifest import RunOptions  # noqa: E402
from harness.runs.plan import Registry  # noqa: E402
from harness.runs.run import run  # noqa: E402


def rate(urls: list[str], tasks_dir: Path, n: int, out: Path, engine: str = "local") -> float:
    t0 = time.perf_counter()
    _, res = run(RunOptions(task="bench", model="null", base_urls=urls, concurrency=6,
                            cache=False, engine=engine), registry=Registry((tasks_dir,)),
                 runs_dir=out)
    assert res["n"] == n and res["complete"], res
    return n / (time.perf_counter() - t0)


def main() -> None:
    args = [a for a in sys.argv[1:] if not a.startswith("-")]
    n = int(args[0]) if args else 100
    latency = float(args[1]) if len(args) > 1 else 0.6
    slots = int(args[2]) if len(args) > 2 else 2
    ports = [free_port() for _ in range(3)]
    procs = [subprocess.Popen([sys.executable, str(Path(__file__).with_name("nullserver.py")),
                               str(p), str(latency), str(slots)]) for p in ports]
    try:
        for p in ports:
            wait_health(p)
        urls = [f"http://127.0.0.1:{p}/v1" for p in ports]
        with tempfile.TemporaryDirectory() as tmp:
            tasks_dir, _ = make_task(Path(tmp), n)
            rates = [rate(urls[:k], tasks_dir, n, Path(tmp) / f"r{k}") for k in (1, 2, 3)]
            if "--ray" in sys.argv:
                import ray

                ray.init(include_dashboard=False, log_to_driver=False)
                on_ray = rate(urls, tasks_dir, n, Path(tmp) / "ray", engine="ray")
                ray.shutdown()
    finally:
        for proc in procs:
            proc.terminate()
            proc.wait()
    ideal = slots / latency
    for k, r in enumerate(rates, 1):
        print(f"{k} replica(s) ({slots} at a time, {latency:g} s each; ideal {k * ideal:.2f}/s): "
              f"{r:.2f} samples/s, {r / rates[0]:.2f}x one replica")
    if "--ray" in sys.argv:
        print(f"3 replicas, --engine ray: {on_ray:.2f} samples/s, {on_ray / rates[0]:.2f}x one "
              "replica")


if __name__ == "__main__":
    main()
