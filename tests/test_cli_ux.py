"""The first hour of a new user: fast listing commands, help that says what options do and
their defaults, precise messages (issue: the first hour of a new user)."""
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from harness.cli.main import build_parser, main

REPO = Path(__file__).resolve().parents[1]
HEAVY = ("torch", "transformers", "openai", "datasets", "scipy", "matplotlib", "pydantic")


@pytest.mark.parametrize("command", [["tasks"], ["models"], ["ls", "--output-dir", "."],
                                     ["prompts"]])
def test_listing_commands_import_no_heavy_library(command, tmp_path):
    proc = subprocess.run([sys.executable, "-X", "importtime", "-m", "harness", *command],
                          cwd=tmp_path, capture_output=True, text=True,
                          env={**os.environ, "PYTHONPATH": str(REPO)})
    assert proc.returncode == 0, proc.stderr[-2000:]
    imported = {line.split("|")[-1].strip().split(".")[0] for line in proc.stderr.splitlines()
                if line.startswith("import time:")}
    assert not imported & set(HEAVY), imported & set(HEAVY)


def test_every_subcommand_and_option_has_help():
    parser = build_parser()
    sub = parser._subparsers._group_actions[0]
    for name, sp in sub.choices.items():
        assert sp.description, name
        for action in sp._actions:
            if action.dest not in ("help", "debug", "func") and action.help != "==SUPPRESS==":
                assert action.help, f"{name} {action.option_strings or action.dest}"


def test_run_help_shows_defaults(capsys):
    with pytest.raises(SystemExit):
        main(["run", "--help"])
    out = " ".join(capsys.readouterr().out.split())
    for needle in ("--seed N", "(default: 0)", "--max-tokens N", "(default: 64)",
                   "--concurrency N", "(default: 32)", "--timeout", "(default: 120.0)",
                   "--limit N", "--temperature"):
        assert needle in out, needle


def test_typo_in_a_task_name_suggests_the_right_one(capsys):
    assert main(["run", "--task", "imagenet-smaple", "--base-url", "http://127.0.0.1:9/v1"]) == 2
    assert "did you mean 'imagenet-sample'?" in capsys.readouterr().err
    assert main(["parse", "--label-space", "imagenet-r200"], ) == 2
    assert "did you mean 'imagenet-r-200'?" in capsys.readouterr().err


@pytest.mark.parametrize("url,needle", [("127.0.0.1:8000/v1", "scheme and host required"),
                                        ("http://127.0.0.1:notaport/v1", "port is not a number")])
def test_url_mistakes_are_named(capsys, url, needle):
    assert main(["run", "--base-url", url]) == 2
    err = capsys.readouterr().err.strip()
    assert needle in err and len(err.splitlines()) == 1 and "llava (" not in err


def test_ls_has_a_header_json_and_marks_unfinished_runs(tmp_path, capsys):
    run = tmp_path / "t" / "m" / "1"
    run.mkdir(parents=True)
    (run / "run.json").write_text(json.dumps({"task": "t", "model": "m", "n_samples": 5}))
    (run / "samples.jsonl").write_text("")
    assert main(["ls", "--output-dir", str(tmp_path)]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("status\ttask\tmodel") and out[1].startswith("unfinished\tt\tm\t0/5")
    assert main(["ls", "--output-dir", str(tmp_path), "--json"]) == 0
    (row,) = json.loads(capsys.readouterr().out)
    assert row["status"] == "unfinished" and row["n_expected"] == 5
    assert main(["ls", "--output-dir", str(tmp_path / "nope")]) == 2
    assert "no such directory" in capsys.readouterr().err


def test_version_comes_from_package_metadata(capsys):
    from importlib import metadata

    with pytest.raises(SystemExit):
        main(["--version"])
    assert capsys.readouterr().out.strip() == f"harness {metadata.version('harness-vlm')}"


def test_offline_hub_task_fails_in_seconds_with_one_line(tmp_path, capsys, monkeypatch):
    import time

    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    t0 = time.monotonic()
    assert main(["run", "--task", "imagenet", "--base-url", "http://127.0.0.1:9/v1",
                 "--output-dir", str(tmp_path)]) == 2
    err = capsys.readouterr().err.strip()
    assert time.monotonic() - t0 < 10 and len(err.splitlines()) == 1
    assert "HF_HUB_OFFLINE" in err and "--data-dir" in err
    assert not list(tmp_path.rglob("run.json"))


def test_demo_leaves_no_temporary_files(tmp_path, monkeypatch, capsys):
    import tempfile

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "tmp"))
    (tmp_path / "tmp").mkdir()
    assert main(["demo", "--limit", "3", "--output-dir", str(tmp_path / "runs")]) == 0
    assert not list((tmp_path / "tmp").glob("harness-demo-*"))
    (run,) = (tmp_path / "runs").glob("imagenet-sample/tiny-llava-demo/*")
    assert json.loads((run / "run.json").read_text())["model"] == "tiny-llava-demo"
    assert "torchvision" not in capsys.readouterr().err
