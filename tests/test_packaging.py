"""The wheel carries tasks/, prompts/ and leaderboards/ and works without the checkout."""
import subprocess
import sys
import zipfile

import pytest

from conftest import REPO

pytestmark = pytest.mark.slow


def test_wheel_ships_data_and_runs_from_it(tmp_path):
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
                    "-q", "-w", str(tmp_path), str(REPO)], check=True, timeout=300)
    (wheel,) = tmp_path.glob("harness_vlm-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    for required in ("harness/_bundled/tasks/imagenet-sample.yaml",
                     "harness/_bundled/tasks/imagenet/val_ground_truth.csv.gz",
                     "harness/_bundled/tasks/imagenet-sample/images/n01440764_tench.JPEG",
                     "harness/_bundled/prompts/open-ended.yaml",
                     "harness/_bundled/leaderboards/imagenet-generalization.yaml",
                     "harness/_bundled/leaderboards/baselines/cnn_baselines.csv",
                     "harness/_bundled/leaderboards/canonical/imagenet-generalization.json",
                     "harness/report/assets/board.js", "harness/report/assets/board.css",
                     "harness/data/wordnet.json.gz", "harness/data/LICENSE-WordNet",
                     "harness/parse/rules.json"):
        assert required in names, required
    site = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(site)
    code = ("import harness.resources as r, harness.tasks.registry as t, harness.report.generalization as g;"
            "print(r.resource_dir('tasks'));"
            "print(t.get_task('imagenet-sample').select().total);"
            "print(round(g.baseline_fit().slope, 4))")
    out = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True,
                         text=True, env={"PYTHONPATH": str(site), "PATH": "/usr/bin:/bin"},
                         timeout=120)
    assert out.returncode == 0, out.stderr
    lines = out.stdout.split()
    assert lines[0].startswith(str(site)) and lines[1:] == ["100", "0.9232"]
