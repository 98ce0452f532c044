"""The leaderboard ranks only what samples.jsonl and run.json prove: each way a wrong number
used to reach the page (issue 14) is a test here. Runs are real (loopback fake server)."""
import gzip
import csv
import json
import shutil

import pytest

from harness.cli.main import main
from harness.report.leaderboard import load_definition
from harness.report.verify import selection_digest
from harness.resources import resource_dir
from harness.tasks.sample import Sample, fingerprint

from boardkit import HOSTILE, board_runs_for, build, datasets, edit_json, measured, run
from fakeserver import FakeServer, chat_reply


@pytest.fixture(scope="module")
def lb(tmp_path_factory):
    return board_runs_for(tmp_path_factory.mktemp("lbv"))


def _copy(src, dst):
    shutil.copytree(src, dst)
    return dst


def test_canonical_runs_are_ranked_with_figures_from_their_samples(lb, tmp_path):
    board = build([lb["runs"]], lb["definition"], tmp_path / "b")
    rows = measured(board)
    assert set(rows) == {HOSTILE, "m2"} and board["apart"] == [] and board["left_out"] == []
    row = rows["m2"]
    assert row["imagenet"]["k"] == 1 and row["imagenet"]["n"] == 20
    assert row["n_imagenet"] == row["n_v2"] == 20
    assert row["runs"]["imagenet"] == str(lb["made"][("m2", "imagenet")])


def test_forged_k_is_named_and_left_out(lb, tmp_path):
    """Editing top1.k used to make a 1-in-20 run show 90%."""
    bad = _copy(lb["made"][("m2", "imagenet")], tmp_path / "forged" / "imagenet" / "m2" / "1")
    edit_json(bad / "results.json", metrics__top1__k=18)
    board = build([tmp_path / "forged"], lb["definition"], tmp_path / "b")
    assert measured(board) == {}
    (out,) = board["left_out"]
    assert out["run"] == str(bad) and "top1.k is 18 in results.json but 0" not in out["reason"]
    assert "top1.k is 18 in results.json but 1 from samples.jsonl" in out["reason"]


def test_correct_flags_set_by_hand_are_caught_even_with_the_hashes_redone(lb, tmp_path):
    """A forger who flips `correct` and then recomputes results.json and its hash."""
    from harness.runs.run import finalize
    from harness.store import RunDir

    bad = _copy(lb["made"][("m2", "imagenet")], tmp_path / "flipped" / "imagenet" / "m2" / "1")
    lines = [json.loads(x) for x in (bad / "samples.jsonl").read_text().splitlines()]
    for rec in lines:
        rec["correct"] = True
    (bad / "samples.jsonl").write_text("".join(json.dumps(x) + "\n" for x in lines))
    assert finalize(RunDir(bad))["metrics"]["top1"]["value"] == 1.0  # self-consistent forgery
    board = build([tmp_path / "flipped"], lb["definition"], tmp_path / "b")
    assert measured(board) == {}
    (out,) = board["left_out"]
    assert "says correct=True" in out["reason"] and "run `harness score`" in out["reason"]


def test_runs_of_one_model_with_other_settings_never_pair(lb, tmp_path):
    """A temperature-1 V2 run does not pair with the greedy ImageNet run of the same model."""
    runs = _copy(lb["runs"], tmp_path / "runs")
    v2 = runs / lb["made"][("m2", "imagenet-v2")].relative_to(lb["runs"])
    edit_json(v2 / "run.json", temperature=1.0)
    board = build([runs], lb["definition"], tmp_path / "b")
    rows = [r for r in board["rows"] if r["status"] == "measured" and r["model"] == "m2"]
    assert len(rows) == 2 and not any("drop" in r for r in rows)


def test_k_of_ten_to_the_400_leaves_one_run_out_and_the_rest_builds(lb, tmp_path):
    bad = _copy(lb["made"][("m2", "imagenet")], tmp_path / "huge" / "1")
    text = (bad / "results.json").read_text()
    (bad / "results.json").write_text(text.replace('"k": 1,', f'"k": {10 ** 400},', 1))
    (bad.parent / "2").mkdir()
    (bad.parent / "2" / "run.json").write_bytes(b"\xff\xfe not json")
    (bad.parent / "2" / "results.json").write_text("{}")
    (bad.parent / "2" / "samples.jsonl").write_text("")
    board = build([lb["runs"], tmp_path / "huge"], lb["definition"], tmp_path / "b")
    reasons = {x["run"]: x["reason"] for x in board["left_out"]}
    assert "top1.k is 100000000000… (401 chars)" in reasons[str(bad)]
    assert "unreadable" in reasons[str(bad.parent / "2")]
    assert set(measured(board)) == {HOSTILE, "m2"}


def test_relabelled_sample_run_is_not_an_imagenet_row(lb, tmp_path, capsys):
    """A 20-image imagenet-sample run relabelled `task: imagenet, complete: true`."""
    runs = tmp_path / "runs"
    with FakeServer(lambda b: (200, chat_reply("a tench")), models=["m3"]) as srv:
        r = run(srv.base_url, "m3", "imagenet-sample", None, runs, "--limit", "20")
    edit_json(r / "results.json", task="imagenet", complete=True)
    board = build([runs], lb["definition"], tmp_path / "b")
    assert "m3" not in measured(board)
    (out,) = board["left_out"]
    assert "task is 'imagenet' in results.json but 'imagenet-sample' in run.json" in out["reason"]
    edit_json(r / "run.json", task="imagenet")  # relabelled in both files: still a subset
    board = build([runs], lb["definition"], tmp_path / "b2")
    assert "m3" not in measured(board) and board["apart"][0]["why"].startswith("--limit 20")


def test_limit_smoke_run_is_listed_apart_and_does_not_replace_the_full_run(lb, tmp_path):
    runs = _copy(lb["runs"], tmp_path / "runs")
    with FakeServer(lambda b: (200, chat_reply("a goldfish")), models=["m2"]) as srv:
        smoke = run(srv.base_url, "m2", "imagenet", lb["val"], runs, "--limit", "3")
    board = build([runs], lb["definition"], tmp_path / "b")
    row = measured(board)["m2"]
    assert row["n_imagenet"] == 20 and row["runs"]["imagenet"] != str(smoke)
    (apart,) = board["apart"]
    assert apart["run"] == str(smoke) and apart["n"] == 3 and apart["why"] == "--limit 3"


def test_another_image_folder_is_not_the_benchmark(lb, tmp_path):
    """A smaller folder, or one of the same size with other images, counts as a subset."""
    small, _ = datasets(tmp_path / "small", n=10)
    other, _ = datasets(tmp_path / "other", n=20, offset=20)
    runs = tmp_path / "runs"
    with FakeServer(lambda b: (200, chat_reply("a tench")), models=["m4", "m5"]) as srv:
        run(srv.base_url, "m4", "imagenet", small, runs)
        run(srv.base_url, "m5", "imagenet", other, runs)
    board = build([runs], lb["definition"], tmp_path / "b")
    assert measured(board) == {}
    why = {a["model"]: a["why"] for a in board["apart"]}
    assert why["m4"] == "10 images, not the 20 of the full imagenet"
    assert why["m5"] == "data fingerprint is not that of the canonical imagenet selection"


def test_run_with_transport_failures_is_never_ranked(lb, tmp_path):
    """4 of 20 samples failed past their retries; older results.json still says complete."""
    runs = _copy(lb["runs"], tmp_path / "runs")
    v2 = runs / lb["made"][("m2", "imagenet-v2")].relative_to(lb["runs"])
    lines = [json.loads(x) for x in (v2 / "samples.jsonl").read_text().splitlines()]
    for rec in lines[:4]:
        rec.update(error="HTTP 429: rate limited after 4 retries", response="", correct=False)
    (v2 / "samples.jsonl").write_text("".join(json.dumps(x) + "\n" for x in lines))
    assert main(["score", str(v2)]) == 0
    res = json.loads((v2 / "results.json").read_text())
    assert res["complete"] is False and res["n_failed"] == 4  # the run says so itself
    del res["n_failed"]
    res["complete"] = True  # as an older harness wrote it: the board must not believe it
    (v2 / "results.json").write_text(json.dumps(res))
    board = build([runs], lb["definition"], tmp_path / "b")
    row = measured(board)["m2"]
    edit_json(v2 / "results.json", n_failed=0)  # the new contract's count must agree too
    assert "n_failed is 0 in results.json but 4" in build(
        [runs], lb["definition"], tmp_path / "b2")["left_out"][0]["reason"]
    assert "v2_matched-frequency" not in row and "effective_robustness" not in row
    (apart,) = board["apart"]
    assert apart["run"] == str(v2)
    assert apart["why"] == "4 of 20 samples failed (transport/server); resume the run"


def test_one_rank_over_measured_and_published_rows(lb, tmp_path):
    board = build([lb["runs"]], lb["definition"], tmp_path / "b")
    ranked = [r for r in board["rows"] if r["rank"] is not None]
    assert [r["rank"] for r in ranked] == list(range(1, len(ranked) + 1))
    ers = [r["effective_robustness"]["value"] for r in ranked]
    assert ers == sorted(ers, reverse=True)
    statuses = [r["status"] for r in ranked]
    assert statuses[0] == "published" and "measured" in statuses  # CLIP's +5.8 pp comes first
    unranked = board["rows"][len(ranked):]
    assert unranked and all(r.get("effective_robustness") is None for r in unranked)


def test_newest_of_two_full_runs_wins(lb, tmp_path):
    runs = _copy(lb["runs"], tmp_path / "runs")
    old = runs / lb["made"][("m2", "imagenet")].relative_to(lb["runs"])
    newer = _copy(old, old.parent / "29990101T000000Z")
    edit_json(newer / "results.json", created="2999-01-01T00:00:00+00:00")
    board = build([runs], lb["definition"], tmp_path / "b")
    assert measured(board)["m2"]["runs"]["imagenet"] == str(newer)


def test_a_path_that_names_nothing_is_an_error(tmp_path, capsys):
    assert main(["leaderboard", "build", str(tmp_path / "nope"), "--out",
                 str(tmp_path / "b")]) == 2
    assert "no such run directory" in capsys.readouterr().err
    assert not (tmp_path / "b").exists()


def test_shipped_canonical_val_selection_is_the_ground_truth():
    """The shipped fingerprints are those of the 50,000 val images as the loaders list them."""
    canon = load_definition("imagenet-generalization").canonical
    with gzip.open(resource_dir("tasks") / "imagenet" / "val_ground_truth.csv.gz", "rt") as f:
        truth = sorted((r["filename"].rsplit(".", 1)[0], r["wnid"]) for r in csv.DictReader(f))
    flat = [Sample(i, g) for i, g in truth]
    folders = sorted((Sample(f"{g}/{i}", g) for i, g in truth), key=lambda s: s.id)
    spec = canon["imagenet"]
    assert spec["size"] == 50_000
    for samples, sel in zip((flat, folders), spec["selections"]):
        assert sel["fingerprint"] == fingerprint(samples)
        assert sel["set_sha256"] == selection_digest(
            [{"id": s.id, "gold_wnid": s.gold_wnid} for s in samples])
    for v in ("matched-frequency", "threshold0.7", "top-images"):
        assert canon[f"imagenet-v2-{v}"]["size"] == 10_000


@pytest.mark.slow
def test_the_val_loader_lists_the_shipped_canonical_selection(tmp_path):
    """50,000 (empty) ILSVRC2012 val files, loaded the way `harness run --task imagenet
    --data-dir` loads them, give the shipped fingerprint; 49,999 do not."""
    from harness.tasks.sources import load_imagenet_val

    gt = resource_dir("tasks") / "imagenet" / "val_ground_truth.csv.gz"
    with gzip.open(gt, "rt") as f:
        names = [r["filename"] for r in csv.DictReader(f)]
    for name in names:
        (tmp_path / name).touch()
    canon = load_definition("imagenet-generalization").canonical["imagenet"]["selections"][0]
    assert fingerprint(load_imagenet_val(tmp_path, gt)) == canon["fingerprint"]
    (tmp_path / names[-1]).unlink()
    assert fingerprint(load_imagenet_val(tmp_path, gt)) != canon["fingerprint"]
