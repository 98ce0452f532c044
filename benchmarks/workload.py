"""Shared benchmark workload: a manifest task of N real ImageNet photos (the 100 shipped ones,
repeated under distinct names), and servers to run against."""
from __future__ import annotations

import contextlib
import os
import tempfile
import time
import urllib.request
from pathlib import Path

SAMPLE = Path(__file__).resolve().parents[1] / "tasks" / "imagenet-sample"


def make_task(root: Path, n: int) -> tuple[Path, list[Path]]:
    """tasks/bench.yaml + N links to the sample images (streamed, never held in memory): hard
    links where the filesystem allows (opened like ordinary files), else symlinks."""
    rows = [line.split(",") for line in (SAMPLE / "labels.csv").read_text().splitlines()[1:]]
    img_dir = root / "images"
    img_dir.mkdir(parents=True)
    files, lines = [], ["file,wnid"]
    for k in range(n):
        rel, wnid = rows[k % len(rows)]
        link = img_dir / f"{k:06d}_{Path(rel).name}"
        try:
            os.link(SAMPLE / rel, link)
        except OSError:
            link.symlink_to(SAMPLE / rel)
        files.append(link)
        lines.append(f"images/{link.name},{wnid}")
    (root / "labels.csv").write_text("\n".join(lines) + "\n")
    tasks = root / "tasks"
    tasks.mkdir()
    (tasks / "bench.yaml").write_text(f"name: bench\nsize: {n}\nsource:\n  type: manifest\n"
                                      f"  path: {root / 'labels.csv'}\n")
    return tasks, files


def wait_health(port: int, timeout: float = 30) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=1)
            return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError("server did not start")


@contextlib.contextmanager
def tiny_server():
    """The tiny LLaVA behind a real `transformers serve` on loopback: (base_url, model)."""
    from harness.backends.server import ManagedServer, free_port, transformers_command
    from harness.backends.fixtures import build_tiny_llava

    with tempfile.TemporaryDirectory() as tmp:
        model = str(build_tiny_llava(Path(tmp) / "tiny-llava"))
        (Path(tmp) / "hub").mkdir()
        port = free_port()
        env = {"HF_HUB_OFFLINE": "1", "HF_HUB_CACHE": str(Path(tmp) / "hub"),
               "OMP_NUM_THREADS": "1"}
        with ManagedServer(transformers_command(model, port), port, Path(tmp) / "log",
                           timeout=180, env=env) as srv:
            yield srv.base_url, model
