"""The layers of the pipeline are enforced: a back-edge (a lower stage importing a higher one)
fails here, and so in CI."""
import shutil
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def _lint(cwd: Path) -> subprocess.CompletedProcess:
    exe = shutil.which("lint-imports") or str(Path(sys.executable).parent / "lint-imports")
    return subprocess.run([exe], cwd=cwd, capture_output=True, text=True)


def test_layers_contract_is_kept():
    proc = _lint(REPO)
    assert proc.returncode == 0, proc.stdout[-3000:]
    assert "pipeline layers KEPT" in proc.stdout


def test_a_back_edge_breaks_the_contract(tmp_path):
    copy = tmp_path / "repo"
    shutil.copytree(REPO / "harness", copy / "harness")
    shutil.copy(REPO / "pyproject.toml", copy / "pyproject.toml")
    target = copy / "harness" / "parse" / "parser.py"
    target.write_text(target.read_text() + "\nfrom harness.runs import run  # back-edge\n")
    proc = subprocess.run([shutil.which("lint-imports") or
                           str(Path(sys.executable).parent / "lint-imports")], cwd=copy,
                          capture_output=True, text=True, env={"PYTHONPATH": str(copy),
                                                               "PATH": "/usr/bin:/bin"})
    assert proc.returncode != 0 and "harness.parse is not allowed to import harness.runs" in \
        proc.stdout


def test_no_module_over_400_lines():
    long = [str(p) for p in (REPO / "harness").rglob("*.py")
            if len(p.read_text().splitlines()) > 420]
    assert not long, long
