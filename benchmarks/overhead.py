"""Harness overhead vs a bare AsyncOpenAI loop, same images, same concurrency, same server.

    python benchmarks/overhead.py [N] [CONCURRENCY] [--whole] [--real]

Both sides read each image file, base64 it into the same chat message and await the answer; the
harness also parses, scores, appends + fsyncs samples.jsonl and checks the cache (disabled here
so every sample is a request). Run against the null server (answers at once: the client is the
bottleneck) and, with --real, the tiny LLaVA behind `transformers serve`. With --whole, each side
is also timed as a whole process (interpreter start, imports, start-up included): this script
with --bare-only vs `python -m harness run`.
"""
from __future__ import annotations

import asyncio
import base64
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from openai import AsyncOpenAI

sys.path.insert(0, str(Path(__file__).resolve().parent))
from workload import make_task, wait_health  # noqa: E402

from harness.backends.server import free_port  # noqa: E402
from harness.manifest import RunOptions  # noqa: E402
from harness.runs.plan import Registry  # noqa: E402
from harness.runs.run import run  # noqa: E402


async def bare(base_url: str, model: str, files: list[Path], concurrency: int,
               max_tokens: int) -> float:
    client = AsyncOpenAI(base_url=base_url, api_key="EMPTY", max_retries=0)
    queue: asyncio.Queue = asyncio.Queue()
    for f in files:
        queue.put_nowait(f)

    async def worker() -> None:
        while not queue.empty():
            f = queue.get_nowait()
            url = "data:image/jpeg;base64," + base64.b64encode(f.read_bytes()).decode()
            await client.chat.completions.create(model=model, max_tokens=max_tokens,
                                                 temperature=0.0, seed=0, messages=[
                {"role": "user", "content": [{"type": "image_url", "image_url": {"url": url}},
                                             {"type": "text", "text": "What type of object "
                                                                      "is in this photo?"}]}])

    t0 = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    dt = time.perf_counter() - t0
    await client.close()
    return len(files) / dt


def harness_rate(base_url: str, model: str, tasks_dir: Path, n: int, concurrency: int,
                 max_tokens: int, out: Path) -> float:
    t0 = time.perf_counter()
    run(RunOptions(task="bench", model=model, base_url=base_url, concurrency=concurrency,
                   max_tokens=max_tokens, cache=False), registry=Registry((tasks_dir,)),
        runs_dir=out)
    return n / (time.perf_counter() - t0)


def whole(base_url: str, model: str, n: int, concurrency: int, max_tokens: int) -> None:
    """Both sides as whole processes, one after the other, wall clock of each."""
    with tempfile.TemporaryDirectory() as tmp:
        tasks_dir, _ = make_task(Path(tmp), n)
        bare_cmd = [sys.executable, __file__, "--bare-only", base_url, model, str(tmp), str(n),
                    str(concurrency), str(max_tokens)]
        harness_cmd = [sys.executable, "-m", "harness", "run", "--task", "bench", "--tasks-dir",
                       str(tasks_dir), "--model", model, "--base-url", base_url,
                       "--concurrency", str(concurrency), "--max-tokens", str(max_tokens),
                       "--no-cache", "--output-dir", str(Path(tmp) / "r")]
        walls = []
        for cmd in (bare_cmd, harness_cmd):
            t0 = time.perf_counter()
            subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            walls.append(time.perf_counter() - t0)
    b, h = n / walls[0], n / walls[1]
    print(f"whole processes: n={n} concurrency={concurrency}: bare AsyncOpenAI {b:,.0f} "
          f"samples/s ({walls[0]:.1f} s), harness run {h:,.0f} samples/s ({walls[1]:.1f} s), "
          f"ratio {h / b:.2f}")


def bare_only(argv: list[str]) -> None:
    base_url, model, root, n, concurrency, max_tokens = argv
    files = sorted((Path(root) / "images").iterdir())[:int(n)]
    asyncio.run(bare(base_url, model, files, int(concurrency), int(max_tokens)))


def compare(base_url: str, model: str, n: int, concurrency: int, max_tokens: int,
            label: str) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        tasks_dir, files = make_task(Path(tmp), n)
        asyncio.run(bare(base_url, model, files[:min(50, n)], concurrency, max_tokens))  # warm
        b = asyncio.run(bare(base_url, model, files, concurrency, max_tokens))
        h = harness_rate(base_url, model, tasks_dir, n, concurrency, max_tokens, Path(tmp) / "r")
    print(f"{label}: n={n} concurrency={concurrency}: bare AsyncOpenAI {b:,.0f} samples/s, "
          f"harness run {h:,.0f} samples/s, ratio {h / b:.2f}")


def main() -> None:
    if "--bare-only" in sys.argv:
        return bare_only(sys.argv[sys.argv.index("--bare-only") + 1:])
    n = int(sys.argv[1]) if len(sys.argv) > 1 and sys.argv[1].isdigit() else 3000
    conc = int(sys.argv[2]) if len(sys.argv) > 2 and sys.argv[2].isdigit() else 32
    port = free_port()
    srv = subprocess.Popen([sys.executable, str(Path(__file__).with_name("nullserver.py")),
                            str(port)])
    try:
        wait_health(port)
        compare(f"http://127.0.0.1:{port}/v1", "null", n, conc, 64, "null server")
        if "--whole" in sys.argv:
            whole(f"http://127.0.0.1:{port}/v1", "null", n, conc, 64)
    finally:
        srv.terminate()
        srv.wait()
    if "--real" in sys.argv:
        from workload import tiny_server
        with tiny_server() as (url, model):
            compare(url, model, 100, 4, 16, "tiny LLaVA (transformers serve)")


if __name__ == "__main__":
    main()
