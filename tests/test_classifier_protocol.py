"""The `hf:` classifier protocol, through `harness run`: label-space restriction on ImageNet-R/-A,
the id2label order check, and top-1/top-5 (not `contains`) in results.json.

Each classifier is a tiny ResNet whose head weights are zero, so its logits are its biases,
identical for every image: which classes win is chosen by the test.
"""
import json
import shutil

import pytest

from harness.cli.main import main
from harness.wordnet.graph import label_space

from conftest import SAMPLE_IMAGES

WNIDS = label_space("imagenet-1k").wnids


def _classifier(path, biases: dict[str, float], id2label: dict[int, str] | None = None) -> str:
    """A tiny 1000-way ResNet whose logits are `biases` (wnid -> logit, others 0)."""
    import torch
    from transformers import ResNetForImageClassification

    from harness.backends.fixtures import build_tiny_classifier

    build_tiny_classifier(path)
    model = ResNetForImageClassification.from_pretrained(path)
    head = model.classifier[1]
    with torch.no_grad():
        head.weight.zero_()
        head.bias.zero_()
        for wnid, logit in biases.items():
            head.bias[WNIDS.index(wnid)] = logit
    if id2label is not None:
        model.config.id2label = id2label
        model.config.label2id = {n: i for i, n in id2label.items()}
    model.save_pretrained(path)
    return f"hf:{path}"


def _run(capsys, *args) -> str:
    assert main(["run", *args]) == 0
    return capsys.readouterr().out.strip().splitlines()[-1]


def _records(run: str) -> list[dict]:
    return [json.loads(x) for x in open(f"{run}/samples.jsonl")]


def _results(run: str) -> dict:
    return json.loads(open(f"{run}/results.json").read())


def _class_folders(root, space: set[str]) -> list[str]:
    """Copy the shipped photos whose class is in `space` into <root>/<wnid>/; their wnids."""
    wnids = []
    for p in sorted(SAMPLE_IMAGES.iterdir()):
        wnid = p.name.split("_")[0]
        if wnid in space:
            (root / wnid).mkdir(parents=True)
            shutil.copy(p, root / wnid / p.name)
            wnids.append(wnid)
    return wnids


@pytest.mark.parametrize("task,space_name", [("imagenet-r", "imagenet-r-200"),
                                             ("imagenet-a", "imagenet-a-200")])
def test_argmax_is_over_the_200_classes(tmp_path, capsys, task, space_name):
    space = label_space(space_name).wnids
    golds = _class_folders(tmp_path / "data", set(space))
    assert len(golds) >= 10
    outside = [w for w in WNIDS if w not in set(space)][:5]
    inside = [golds[0]] + [w for w in space if w != golds[0]][:4]
    # the five highest logits are outside the 200; the next five, in falling order, inside
    biases = {w: 10.0 - i for i, w in enumerate(outside + inside)}
    model = _classifier(tmp_path / "m", biases)
    run = _run(capsys, "--task", task, "--data-dir", str(tmp_path / "data"), "--model", model,
               "--output-dir", str(tmp_path / "runs"))
    recs = _records(run)
    assert len(recs) == len(golds)
    assert {r["pred_wnid"] for r in recs} == {inside[0]}
    assert all(r["top5"] == inside for r in recs)
    assert [r["gold_wnid"] for r in recs if r["correct"]] == [inside[0]]
    res = _results(run)
    assert res["label_space"] == space_name
    assert res["metrics"]["top1"]["value"] == pytest.approx(1 / len(golds))
    assert res["metrics"]["top5"]["value"] == pytest.approx(
        sum(r["gold_wnid"] in inside for r in recs) / len(golds))


def _names() -> list[str]:
    from harness.wordnet.graph import class_names

    return list(class_names().values())


def test_permuted_class_names_are_refused_in_one_line(tmp_path, capsys):
    names = _names()
    rolled = dict(enumerate(names[1:] + names[:1]))  # output i is named after class i + 1
    model = _classifier(tmp_path / "m", {WNIDS[10]: 5.0}, id2label=rolled)
    capsys.readouterr()
    assert main(["run", "--model", model, "--output-dir", str(tmp_path / "runs")]) == 2
    err = capsys.readouterr().err
    said = [x for x in err.splitlines() if x.startswith("harness")]
    assert len(said) == 1 and "Traceback" not in err
    assert "sorted-wnid order" in said[0] and str(tmp_path / "m") in said[0]
    assert not (tmp_path / "runs").exists() or not any((tmp_path / "runs").rglob("*"))


def test_generic_and_correct_class_names_pass(tmp_path, capsys):
    generic = {i: f"LABEL_{i}" for i in range(1000)}
    for name, id2label in [("generic", generic), ("named", dict(enumerate(_names())))]:
        model = _classifier(tmp_path / name, {WNIDS[10]: 5.0}, id2label=id2label)
        run = _run(capsys, "--model", model, "--output-dir", str(tmp_path / "runs"))
        assert {r["pred_wnid"] for r in _records(run)} == {WNIDS[10]}


def test_results_report_top1_and_top5_not_contains(tmp_path, capsys):
    golds = [p.name.split("_")[0] for p in sorted(SAMPLE_IMAGES.iterdir())]
    picked = golds[3:8]  # five shipped classes, ranked: the first is every image's top-1
    model = _classifier(tmp_path / "m", {w: 5.0 - i for i, w in enumerate(picked)})
    run = _run(capsys, "--model", model, "--output-dir", str(tmp_path / "runs"))
    recs = _records(run)
    assert all(r["top5"] == picked for r in recs)
    res = _results(run)
    m = res["metrics"]
    assert {"top1", "top5", "hierarchical"} <= set(m) and "contains" not in m
    assert m["top1"]["value"] == 0.01 and m["top5"]["value"] == 0.05
    assert m["top5"]["value"] == sum(r["gold_wnid"] in r["top5"] for r in recs) / len(recs)
    assert m["top5"]["ci_low"] < 0.05 < m["top5"]["ci_high"]

    assert main(["score", run]) == 0  # re-scoring keeps the class predictions and top-5
    capsys.readouterr()
    assert _results(run)["metrics"] == m
    assert [r["top5"] for r in _records(run)] == [r["top5"] for r in recs]
