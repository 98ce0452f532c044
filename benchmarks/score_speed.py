"""Time `harness score` (re-parse + re-score + rewrite) on a synthetic 50,000-sample run.

    python benchmarks/score_speed.py [N]
"""
from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from answers import answers  # noqa: E402

from harness.manifest import RunManifest  # noqa: E402
from harness.store.rundir import RunDir  # noqa: E402


def make_run(root: Path, n: int) -> RunDir:
    cfg = RunManifest(task="imagenet", model="bench", model_id="bench", base_url=None,
                      prompt="open-ended", n_samples=n)
    run = RunDir.create(cfg, root)
    with run.samples.open("w") as f:
        for k, (gold, text) in enumerate(answers(n)):
            f.write(json.dumps({"id": f"s{k:06d}", "gold_wnid": gold, "response": text,
                                "pred_wnid": None, "pred_synset": None, "match": "none",
                                "correct": False, "contains": False, "hier_score": 0.0,
                                "latency_s": 0.1, "error": None}) + "\n")
    return run


def main(n: int = 50_000) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        run = make_run(Path(tmp), n)
        t0 = time.perf_counter()
        proc = subprocess.run([sys.executable, "-m", "harness", "score", str(run.path)],
                              capture_output=True, text=True, check=True)
        dt = time.perf_counter() - t0
        print(proc.stdout.strip())
        print(f"harness score on {n} samples: {dt:.2f} s wall (process start included)")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 50_000)
