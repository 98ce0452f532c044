"""Leaderboard build (verification, pairing, outputs) and publishing; the page in Chromium is\ntested in test_leaderboard_page.py, the verification cases in test_leaderboard_verify.py."""
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from harness.cli.main import main
from harness.report.leaderboard import CSV_COLUMNS
from harness.wordnet.graph import label_space

from boardkit import HOSTILE, board_runs_for, build, measured

WNIDS = label_space("imagenet-1k").wnids
SECRET = "sk-test-SECRET-0123456789"


@pytest.fixture(scope="module")
def board_runs(tmp_path_factory):
    """ImageNet + V2 runs for a hostile-named model and a normal one (fake server answers),
    sent with an API key that must never reach the page."""
    os.environ["HARNESS_API_KEY"] = SECRET
    try:
        lb = board_runs_for(tmp_path_factory.mktemp("lb"))
    finally:
        del os.environ["HARNESS_API_KEY"]
    return lb["root"], lb["runs"], lb["made"], lb["definition"]


def test_build_verifies_pairs_and_writes_every_output(board_runs, tmp_path, caplog):
    root, runs, made, definition = board_runs
    # a tampered copy, a partial one and one still running are reported and left out
    bad = tmp_path / "bad"
    for name, mangle in (("tampered", lambda p: p.joinpath("samples.jsonl").write_text(
                             p.joinpath("samples.jsonl").read_text().replace("tench", "dog"))),
                         ("running", lambda p: p.joinpath("results.json").unlink()),
                         ("corrupt", lambda p: p.joinpath("results.json").write_text("{")),
                         ("no-samples", lambda p: p.joinpath("samples.jsonl").unlink())):
        dst = bad / name / "imagenet" / "x" / "1"
        shutil.copytree(made[("m2", "imagenet")], dst)
        mangle(dst)
    out = tmp_path / "board"
    board = build([runs, bad], definition, out)
    reasons = " ".join(x["reason"] for x in board["left_out"])
    assert "does not match samples_sha256" in reasons and "no results.json" in reasons
    assert "unreadable" in reasons and "samples.jsonl is missing" in reasons
    assert len(board["left_out"]) == 4 and caplog.text.count("left out:") == 4
    assert {p.name for p in out.iterdir()} == {"README.md", "index.html", "results.csv",
                                               "results.json", "scatter.png"}
    rows = measured(board)
    assert set(rows) == {HOSTILE, "m2"}
    row = rows["m2"]
    assert row["imagenet"]["value"] == pytest.approx(1 / 20)  # "a brambling" is right once
    assert row["drop"]["value"] == pytest.approx(0.0) and "effective_robustness" in row
    assert any(r["model"] == "resnet50" and r["status"] == "published" for r in board["rows"])
    header = (out / "results.csv").read_text().splitlines()[0].split(",")
    assert header == CSV_COLUMNS
    readme = (out / "README.md").read_text()
    assert "<script>" not in readme and "&lt;script&gt;" in readme
    assert "## Left out (did not verify)" in readme and "samples.jsonl is missing" in readme
    html = (out / "index.html").read_text()
    assert "<script>alert" not in html and "onerror=alert(1)>" not in html
    for f in out.iterdir():
        assert SECRET not in f.read_bytes().decode("latin-1")


def test_publish_to_a_local_bare_git_repo(board_runs, tmp_path, capsys, monkeypatch):
    root, runs, made, definition = board_runs
    out = tmp_path / "board"
    build([runs], definition, out)
    bare = tmp_path / "site.git"
    subprocess.run(["git", "init", "-q", "--bare", str(bare)], check=True)
    monkeypatch.setenv("HF_TOKEN", SECRET)
    target = f"git+{bare.as_uri()}#gh-pages"
    assert main(["leaderboard", "publish", str(out), "--to", target]) == 0
    assert main(["leaderboard", "publish", str(out), "--to", target]) == 0  # no change: no-op
    assert "nothing changed" in capsys.readouterr().out
    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "-q", "-b", "gh-pages", str(bare), str(clone)], check=True)
    assert (clone / "index.html").read_text() == (out / "index.html").read_text()
    log = subprocess.run(["git", "-C", str(clone), "log", "-p", "--all"], capture_output=True,
                         text=True).stdout
    assert SECRET not in log and log.count("commit ") == 1


def test_publish_to_hf_dry_run_and_upload_call(board_runs, tmp_path, capsys, monkeypatch):
    import huggingface_hub

    root, runs, made, definition = board_runs
    out = tmp_path / "board"
    build([runs], definition, out)
    assert main(["leaderboard", "publish", str(out), "--to", "hf://datasets/org/board",
                 "--dry-run"]) == 0
    assert "would upload to dataset org/board: README.md, index.html" in capsys.readouterr().out
    calls = []

    def fake_upload(self, **kw):  # the network call itself; everything before it is real
        staged = Path(kw["folder_path"])
        calls.append({**kw, "token": self.token,
                      "readme": (staged / "README.md").read_text()[:40]})

    monkeypatch.setattr(huggingface_hub.HfApi, "upload_folder", fake_upload)
    monkeypatch.setenv("HF_TOKEN", SECRET)
    assert main(["leaderboard", "publish", str(out), "--to", "hf://spaces/org/board"]) == 0
    (call,) = calls
    assert call["repo_id"] == "org/board" and call["repo_type"] == "space"
    assert call["token"] == SECRET and call["readme"].startswith("---\ntitle: board\nsdk: static")
    assert SECRET not in capsys.readouterr().out
    assert main(["leaderboard", "publish", str(out), "--to", "s3://bucket"]) == 2
