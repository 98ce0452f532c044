import json

import pytest

from harness.errors import StoreError

from harness.manifest import RunManifest
from harness.scoring.record import SampleRecord
from harness.store.rundir import RunDir


def _run(tmp_path) -> RunDir:
    cfg = RunManifest(task="t", model="m/x", model_id="m/x", base_url=None, prompt="p",
                      n_samples=3)
    return RunDir.create(cfg, tmp_path)


def _rec(i, error=None):
    kind = None if error is None else "image" if error.startswith("image:") else "server"
    return SampleRecord(f"s{i}", "n01440764", response="tench", error=error, error_kind=kind)


def test_run_json_written_first_and_append_only_log(tmp_path):
    run = _run(tmp_path)
    assert json.loads(run.run_json.read_text())["model"] == "m/x"
    assert run.path.relative_to(tmp_path).parts[:2] == ("t", "m_x")
    run.append(_rec(1))
    run.append(_rec(2))
    assert [r.id for r in run.read_records()] == ["s1", "s2"]


def test_torn_last_line_is_cut_and_redone(tmp_path):
    run = _run(tmp_path)
    run.append(_rec(1))
    run.close()
    with run.samples.open("a") as f:
        f.write('{"id": "s2", "gold_wn')  # crash mid-write
    assert run.done_ids() == {"s1"}
    assert run.samples.read_text().count("\n") == 1
    run.append(_rec(2))
    assert [r.id for r in run.read_records()] == ["s1", "s2"]


def test_hand_edited_middle_line_is_a_clear_error(tmp_path):
    run = _run(tmp_path)
    run.samples.write_text('{"id": "s1", "gold_wnid": "n01440764"}\nnot json\n'
                           '{"id": "s2", "gold_wnid": "n01440764"}\n')
    with pytest.raises(StoreError, match="line 2 is not a sample record"):
        run.read_records()


def test_transient_errors_are_redone_on_resume_image_errors_are_not(tmp_path):
    run = _run(tmp_path)
    run.append(_rec(1))
    run.append(_rec(2, error="http 500: boom"))
    run.append(_rec(3, error="image: cannot decode"))
    assert run.done_ids() == {"s1", "s3"}
