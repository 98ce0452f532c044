"""`harness run` through the CLI against a real OpenAI-compatible server (transformers serve)."""
import json
import subprocess
import sys

import pytest

from harness.cli.main import main
from harness.scoring.record import RECORD_FIELDS

pytestmark = pytest.mark.slow
RESULT_KEYS = {"schema", "task", "model", "model_id", "prompt", "n", "n_errors", "metrics",
               "samples_sha256", "harness_version", "created"}


def _run_dir(capsys) -> tuple[str, str]:
    out = capsys.readouterr().out.strip().splitlines()
    return out[-1], "\n".join(out[:-1])


def test_run_50_samples_writes_the_documented_run_dir(tiny_server, tiny_llava, runs_dir, capsys):
    rc = main(["run", "--task", "imagenet-sample", "--model", tiny_llava, "--base-url",
               tiny_server.base_url, "--limit", "50", "--max-tokens", "16", "--concurrency", "4",
               "--output-dir", str(runs_dir)])
    assert rc == 0
    path, table = _run_dir(capsys)
    assert "top1" in table and "unparsed_rate" in table
    run = runs_dir.joinpath(*path.split("/")[-3:])
    cfg = json.loads((run / "run.json").read_text())
    assert cfg["task"] == "imagenet-sample" and cfg["limit"] == 50 and cfg["max_tokens"] == 16
    assert cfg["base_url"] == tiny_server.base_url and cfg["data_fingerprint"]
    lines = (run / "samples.jsonl").read_text().splitlines()
    assert len(lines) == 50
    recs = [json.loads(x) for x in lines]
    assert len({r["id"] for r in recs}) == 50
    for r in recs:
        assert set(RECORD_FIELDS) <= set(r)
        assert r["error"] is None and r["response"]  # real text from the real model
        assert len(r["image_sha256"]) == 64 and 0.0 <= r["hier_score"] <= 1.0
    res = json.loads((run / "results.json").read_text())
    assert RESULT_KEYS <= set(res) and res["n"] == 50 and res["n_errors"] == 0
    for m in ("top1", "contains", "hierarchical", "unparsed_rate"):
        v = res["metrics"][m]
        assert 0 <= v["ci_low"] <= v["value"] <= v["ci_high"] <= 1
    unparsed = sum(r["pred_synset"] is None for r in recs) / 50
    assert res["metrics"]["unparsed_rate"]["value"] == pytest.approx(unparsed)

    # Re-scoring the saved log without the model gives the same numbers.
    before = res["metrics"]
    assert main(["score", str(run)]) == 0
    assert json.loads((run / "results.json").read_text())["metrics"] == before

    assert main(["ls", "--output-dir", str(runs_dir)]) == 0
    assert "imagenet-sample" in capsys.readouterr().out


def test_served_answers_are_deterministic(tiny_server, tiny_llava, runs_dir, capsys):
    texts = []
    for _ in range(2):
        assert main(["run", "--model", tiny_llava, "--base-url", tiny_server.base_url,
                     "--limit", "3", "--max-tokens", "8", "--output-dir", str(runs_dir)]) == 0
        path, _ = _run_dir(capsys)
        recs = [json.loads(x) for x in open(f"{path}/samples.jsonl")]
        texts.append(sorted((r["id"], r["response"]) for r in recs))
    assert texts[0] == texts[1]


def test_wrong_model_name_fails_before_any_sample(tiny_server, runs_dir, capsys):
    rc = main(["run", "--model", "llava", "--base-url", tiny_server.base_url, "--limit", "2",
               "--output-dir", str(runs_dir)])
    err = capsys.readouterr().err
    # Servers that list their models (transformers >= 5.24, vLLM) are caught by the listing,
    # others by the 1-token probe; either way: one line naming the model, exit 2, no run dir.
    assert rc == 2 and "'llava-hf/llava-1.5-7b-hf'" in err and len(err.strip().splitlines()) == 1
    assert "not served" in err or "wrong model name" in err
    assert not list(runs_dir.glob("**/run.json"))


def test_cli_subprocess_and_corrupt_image_is_recorded_not_fatal(tiny_server, tiny_llava,
                                                                  tmp_path):
    data = tmp_path / "data"
    (data / "n01440764").mkdir(parents=True)
    from conftest import SAMPLE_IMAGES
    (data / "n01440764" / "good.JPEG").write_bytes(
        (SAMPLE_IMAGES / "n01440764_tench.JPEG").read_bytes())
    (data / "n01440764" / "bad.JPEG").write_bytes(b"\xff\xd8\xff\xe0 truncated")
    (data / "n01440764" / "empty.JPEG").write_bytes(b"")
    proc = subprocess.run(
        [sys.executable, "-m", "harness", "run", "--task", "imagenet", "--data-dir", str(data),
         "--model", tiny_llava, "--base-url", tiny_server.base_url, "--max-tokens", "8",
         "--output-dir", str(tmp_path / "runs")],
        capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    run = proc.stdout.strip().splitlines()[-1]
    recs = {json.loads(x)["id"]: json.loads(x) for x in open(f"{run}/samples.jsonl")}
    assert recs["n01440764/good"]["error"] is None
    assert recs["n01440764/bad"]["error"].startswith("image:")
    assert recs["n01440764/empty"]["error"] == "image: empty file"
    res = json.loads(open(f"{run}/results.json").read())
    assert res["n"] == 3 and res["n_errors"] == 2
