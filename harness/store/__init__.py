"""The run directory: manifest, append-only samples, results, one-writer lock."""
from harness.store.rundir import RunDir, iter_runs, now_iso, runs_root, safe_name

__all__ = ["RunDir", "iter_runs", "now_iso", "runs_root", "safe_name"]
