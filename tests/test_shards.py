"""`harness run --shard K/N` and `harness merge`: three shards merged equal one unsharded run."""
import json

import pytest

from harness.cli.main import main
from harness.runs.shard import apply_shard
from harness.tasks.sample import Sample
from harness.tasks.task import Selection

from deterministic import comparable_samples, deterministic_server, fake_run, run_dir


@pytest.fixture(scope="module")
def server():
    with deterministic_server() as srv:
        yield srv


def _run(server, out, *extra):
    return fake_run(server, out, 30, *extra)


def _results(run):
    return json.loads((run / "results.json").read_text())


def _shards(server, tmp_path, n=3, **override):
    dirs = []
    for k in range(1, n + 1):
        extra = override.get(k, ())
        assert _run(server, tmp_path / f"s{k}", "--shard", f"{k}/{n}", *extra) == 0
        dirs.append(run_dir(tmp_path / f"s{k}"))
    return dirs


def test_shards_cover_the_selection_disjointly():
    samples = [Sample(str(i), "n01440764", path=None) for i in range(10)]
    sel = Selection(samples, 10, "fp")
    parts = [apply_shard(sel, f"{k}/3") for k in (1, 2, 3)]
    ids = [[s.id for s in p.samples] for p in parts]
    assert [p.total for p in parts] == [4, 3, 3] == [len(i) for i in ids]
    assert sorted(sum(ids, []), key=int) == [s.id for s in samples]
    assert ids[1] == ["1", "4", "7"] and all(p.fingerprint == "fp" for p in parts)


def test_three_shards_merged_equal_an_unsharded_run(server, tmp_path, capsys):
    assert _run(server, tmp_path / "full") == 0
    full = run_dir(tmp_path / "full")
    shards = _shards(server, tmp_path)
    sizes = [json.loads((d / "run.json").read_text())["n_samples"] for d in shards]
    assert sizes == [10, 10, 10]
    assert json.loads((shards[1] / "run.json").read_text())["shard"] == "2/3"
    capsys.readouterr()
    assert main(["merge", *map(str, shards), "--output-dir", str(tmp_path / "merged")]) == 0
    merged = run_dir(tmp_path / "merged")
    assert str(merged) in capsys.readouterr().out
    assert comparable_samples(merged) == comparable_samples(full)
    assert len(comparable_samples(full)) == 30
    a, b = _results(merged), _results(full)
    assert a["metrics"] == b["metrics"] and 0.2 < a["metrics"]["top1"]["value"] < 0.8
    assert (a["n"], a["complete"], a["shard"]) == (b["n"], True, None)
    m = json.loads((merged / "run.json").read_text())
    assert m["shard"] is None and m["n_samples"] == 30
    assert [s["shard"] for s in m["merged_from"]] == ["1/3", "2/3", "3/3"]


def _refused(capsys, *dirs):
    capsys.readouterr()
    assert main(["merge", *map(str, dirs)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0
    return err


def test_overlapping_mismatched_and_missing_shards_are_refused(server, tmp_path, capsys,
                                                               monkeypatch):
    monkeypatch.setenv("HARNESS_RUNS_DIR", str(tmp_path / "never"))
    one, two, three = _shards(server, tmp_path)
    assert _run(server, tmp_path / "again", "--shard", "1/3") == 0
    assert "given twice" in _refused(capsys, one, run_dir(tmp_path / "again"), two, three)
    assert "given twice" in _refused(capsys, one, one, two, three)
    assert "missing shard(s) 3/3" in _refused(capsys, one, two)
    assert _run(server, tmp_path / "hot", "--shard", "3/3", "--temperature", "0.5") == 0
    err = _refused(capsys, one, two, run_dir(tmp_path / "hot"))
    assert "not a shard of the same run" in err and "--temperature" in err
    assert _run(server, tmp_path / "half", "--shard", "2/2") == 0
    assert "not of the same split" in _refused(capsys, one, run_dir(tmp_path / "half"))
    assert _run(server, tmp_path / "full") == 0
    assert "not a shard" in _refused(capsys, run_dir(tmp_path / "full"), two, three)
    assert not (tmp_path / "never").exists()  # nothing was written


def test_resume_cannot_change_the_shard(server, tmp_path, capsys):
    assert _run(server, tmp_path / "s", "--shard", "1/3") == 0
    capsys.readouterr()
    code = main(["run", "--resume", str(run_dir(tmp_path / "s")), "--shard", "2/3"])
    assert code == 2 and "--shard '2/3'" in capsys.readouterr().err


def test_bad_shard_is_one_line(server, tmp_path, capsys):
    assert _run(server, tmp_path / "s", "--shard", "4/3") == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "--shard" in err and "between 1 and N" in err
