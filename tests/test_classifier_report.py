"""`hf:` classifier runs (tiny ResNet built here), then `harness compare` and `harness report`."""
import json
import shutil

import pytest

from harness.cli.main import main
from harness.wordnet.graph import label_space

from conftest import SAMPLE_IMAGES

WNIDS = label_space("imagenet-1k").wnids


def _classifier(path, always: int, num_labels: int = 1000):
    """A tiny ResNet that always predicts output index `always` (bias only)."""
    import torch
    from transformers import ResNetForImageClassification

    from harness.backends.fixtures import build_tiny_classifier

    build_tiny_classifier(path)
    model = ResNetForImageClassification.from_pretrained(path)
    if num_labels != 1000:
        model.config.num_labels = num_labels
        model.classifier[1] = torch.nn.Linear(model.classifier[1].in_features, num_labels)
    with torch.no_grad():
        model.classifier[1].weight.zero_()
        model.classifier[1].bias.zero_()
        model.classifier[1].bias[always] = 5.0
    model.save_pretrained(path)
    return f"hf:{path}"


def _run(capsys, *args):
    assert main(["run", *args]) == 0
    return capsys.readouterr().out.strip().splitlines()[-1]


@pytest.mark.parametrize("num_labels,index", [(1000, 10), (1001, 11)])
def test_classifier_output_index_is_the_sorted_wnid_class(tmp_path, capsys, num_labels, index):
    model = _classifier(tmp_path / "m", index, num_labels)
    run = _run(capsys, "--model", model, "--output-dir", str(tmp_path / "runs"))
    recs = [json.loads(x) for x in open(f"{run}/samples.jsonl")]
    assert len(recs) == 100 and {r["pred_wnid"] for r in recs} == {WNIDS[10]}
    assert [r["id"] for r in recs if r["correct"]] == ["n01530575_brambling"]  # class 10
    res = json.loads(open(f"{run}/results.json").read())
    assert res["metrics"]["top1"]["value"] == 0.01 and res["n"] == 100
    assert json.loads(open(f"{run}/run.json").read())["backend"] == "hf-classifier"
    before = res["metrics"]
    assert main(["score", run]) == 0  # re-scoring keeps the class predictions
    assert json.loads(open(f"{run}/results.json").read())["metrics"] == before


def test_not_an_imagenet_classifier_is_a_clear_error(tmp_path, capsys):
    from transformers import ResNetConfig, ResNetForImageClassification

    ResNetForImageClassification(ResNetConfig(num_labels=10, hidden_sizes=[8], depths=[1],
                                              embedding_size=8)).save_pretrained(tmp_path / "m")
    assert main(["run", "--model", f"hf:{tmp_path / 'm'}", "--output-dir",
                 str(tmp_path / "runs")]) == 2
    assert "10 output classes" in capsys.readouterr().err
    assert main(["run", "--model", f"hf:{tmp_path / 'missing'}", "--output-dir",
                 str(tmp_path / "runs")]) == 2
    assert "cannot load image classifier" in capsys.readouterr().err
    assert not list((tmp_path / "runs").glob("**/run.json"))  # no empty run dir left behind


def _v2_dir(root):
    top = root / "imagenetv2-matched-frequency-format-val"
    for p in sorted(SAMPLE_IMAGES.iterdir()):
        idx = WNIDS.index(p.name.split("_")[0])
        (top / str(idx)).mkdir(parents=True)
        shutil.copy(p, top / str(idx) / "a.jpeg")
    return root


def test_compare_and_report_from_saved_runs(tmp_path, capsys):
    runs = str(tmp_path / "runs")
    a = _run(capsys, "--model", _classifier(tmp_path / "a", 10), "--output-dir", runs)
    b = _run(capsys, "--model", _classifier(tmp_path / "b", 20), "--output-dir", runs)
    assert main(["compare", a, b, "--json"]) == 0
    res = json.loads(capsys.readouterr().out)
    assert (res["n_common"], res["a_only"], res["b_only"]) == (100, 1, 1)
    assert res["p_value"] == 1.0 and res["diff"] == 0.0 and res["ci_low"] < 0 < res["ci_high"]
    assert main(["compare", a, b]) == 0
    assert "no significant difference" in capsys.readouterr().out

    v2 = _run(capsys, "--task", "imagenet-v2", "--data-dir", str(_v2_dir(tmp_path / "v2")),
              "--model", _classifier(tmp_path / "a", 10), "--output-dir", runs)
    assert main(["compare", a, v2]) == 2
    assert "different tasks" in capsys.readouterr().err
    assert main(["report", a, v2, "--json"]) == 0
    (row,) = json.loads(capsys.readouterr().out)
    assert row["variant"] == "matched-frequency"
    assert row["imagenet"]["value"] == row["v2"]["value"] == 0.01
    assert row["drop"]["value"] == 0.0
    assert row["effective_robustness"]["ci_low"] < row["effective_robustness"]["value"]
    assert main(["report", a, v2]) == 0
    table = capsys.readouterr().out
    assert "(measured [1])" in table and "resnet50 (published)" in table
    assert f"ImageNet top-1 from {a}" in table and f"V2 top-1 from {v2}" in table
    assert "LLaVA1.5-7B (published)" in table
    assert main(["report", v2, a]) == 2


def test_report_pairs_by_model_identity_and_refuses_a_stranger(tmp_path, capsys):
    """`report IN_b V2_a` used to print model a's V2 next to model b's ImageNet score."""
    runs = str(tmp_path / "runs")
    a = _run(capsys, "--model", _classifier(tmp_path / "a", 10), "--output-dir", runs)
    b = _run(capsys, "--model", _classifier(tmp_path / "b", 20), "--output-dir", runs)
    v2 = _run(capsys, "--task", "imagenet-v2", "--data-dir", str(_v2_dir(tmp_path / "v2")),
              "--model", _classifier(tmp_path / "a", 10), "--output-dir", runs)
    assert main(["report", b, v2]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "no ImageNet run of model" in err
    assert str(tmp_path / "a") in err and v2 in err
    # with both ImageNet runs given, the V2 run is paired with its own model's, not the first
    assert main(["report", b, a, v2, "--json"]) == 0
    (row,) = json.loads(capsys.readouterr().out)
    assert row["imagenet_run"] == a and row["v2_run"] == v2
    assert row["model_id"] == str(tmp_path / "a")
    again = tmp_path / "again"
    shutil.copytree(a, again)
    assert main(["report", a, str(again), v2]) == 2
    assert "several ImageNet runs" in capsys.readouterr().err
