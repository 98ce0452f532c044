"""`--backend transformers`: the model in-process gives the answers the served path gives."""
import json
from pathlib import Path

import pytest

from harness.cli.main import main

pytestmark = pytest.mark.slow


def _answers(run: Path) -> dict[str, str]:
    return {json.loads(x)["id"]: json.loads(x)["response"]
            for x in (run / "samples.jsonl").read_text().splitlines()}


def test_in_process_answers_match_the_served_ones(tiny_server, tiny_llava, tmp_path, capsys):
    common = ["--model", tiny_llava, "--limit", "6", "--max-tokens", "12", "--no-cache",
              "--concurrency", "3"]
    assert main(["run", *common, "--base-url", tiny_server.base_url, "--output-dir",
                 str(tmp_path / "served")]) == 0
    served = Path(capsys.readouterr().out.strip().splitlines()[-1])
    assert main(["run", *common, "--backend", "transformers", "--output-dir",
                 str(tmp_path / "local")]) == 0
    local = Path(capsys.readouterr().out.strip().splitlines()[-1])
    assert _answers(local) == _answers(served)  # greedy, same model, same chat template
    cfg = json.loads((local / "run.json").read_text())
    assert cfg["backend"] == "transformers" and cfg["base_url"] is None
    res = json.loads((local / "results.json").read_text())
    assert res["n"] == 6 and res["n_errors"] == 0


def test_unloadable_local_model_is_one_line(tmp_path, capsys):
    rc = main(["run", "--backend", "transformers", "--model", str(tmp_path / "nope"),
               "--output-dir", str(tmp_path / "runs")])
    err = capsys.readouterr().err.strip().splitlines()
    assert rc == 2 and err[-1].startswith("harness: error: cannot load vision-language model")
    assert not list((tmp_path / "runs").glob("**/run.json"))
