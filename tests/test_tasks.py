import shutil
import tarfile
from collections import Counter

import pytest

from harness.tasks.sources import DataError, extract_tarball, load_imagenetv2
from harness.tasks.registry import all_tasks, get_task
from harness.tasks.task import TaskError, parse_task, stratified
from harness.wordnet.graph import label_space

from conftest import SAMPLE_IMAGES

WNIDS = label_space("imagenet-1k").wnids
JPEG = sorted(SAMPLE_IMAGES.iterdir())[0]


def test_builtin_tasks_and_alias():
    tasks = all_tasks()
    for name in ("imagenet", "imagenet-sample", "imagenet-v2-matched-frequency",
                 "imagenet-v2-threshold0.7", "imagenet-v2-top-images"):
        assert name in tasks
    assert get_task("imagenet-v2").name == "imagenet-v2-matched-frequency"


def test_unknown_task_lists_the_valid_ones():
    with pytest.raises(TaskError, match="unknown task 'imagenet-v3'.*imagenet-sample"):
        get_task("imagenet-v3")


def test_sample_task_ships_100_real_images_one_per_class():
    sel = get_task("imagenet-sample").select()
    samples = list(sel.samples)
    assert sel.total == len(samples) == 100
    assert len({s.gold_wnid for s in samples}) == 100
    assert all(s.read_bytes()[:2] == b"\xff\xd8" for s in samples[:5])  # JPEG magic


def test_limit_is_seeded_and_stratified():
    samples = list(get_task("imagenet-sample").select().samples) * 3  # 3 per class
    pick = stratified(samples, 150, seed=1)
    assert len(pick) == 150
    per_class = Counter(s.gold_wnid for s in pick)
    assert set(per_class.values()) == {1, 2}  # spread evenly, not the first 150
    assert [s.id for s in stratified(samples, 150, seed=1)] == [s.id for s in pick]
    assert [s.id for s in stratified(samples, 150, seed=2)] != [s.id for s in pick]
    a = get_task("imagenet-sample").select(limit=10, seed=0)
    b = get_task("imagenet-sample").select(limit=10, seed=0)
    assert a.fingerprint == b.fingerprint and a.total == 10


def _v2_tree(root, indices, per_class=2):
    top = root / "imagenetv2-matched-frequency-format-val"
    for idx in indices:
        d = top / str(idx)
        d.mkdir(parents=True)
        for k in range(per_class):
            shutil.copy(JPEG, d / f"{idx:04d}{k}abc.jpeg")
    return top


def test_imagenetv2_folders_are_integer_indices_not_string_sorted(tmp_path):
    top = _v2_tree(tmp_path, [0, 2, 10, 100, 999])
    samples = load_imagenetv2(top)
    got = {s.id.split("/")[0]: s.gold_wnid for s in samples}
    # A string sort would give folder "10" the third class, "2" the fourth...
    assert got == {"0": WNIDS[0], "2": WNIDS[2], "10": WNIDS[10], "100": WNIDS[100],
                   "999": WNIDS[999]}
    task = get_task("imagenet-v2")
    for data_dir in (tmp_path, top):  # the extracted folder or its parent
        sel = task.select(data_dir)
        assert sel.total == 10


def test_imagenetv2_tarball_extracts_once(tmp_path):
    src = tmp_path / "src"
    top = _v2_tree(src, [1, 11, 500])
    tarball = tmp_path / "imagenetv2-matched-frequency.tar.gz"
    with tarfile.open(tarball, "w:gz") as tar:
        tar.add(top, arcname=top.name)
    dest = tmp_path / "cache"
    extract_tarball(tarball, dest)
    assert (dest / ".extracted-imagenetv2-matched-frequency.tar.gz").exists()
    samples = get_task("imagenet-v2").select(dest).samples
    assert {s.gold_wnid for s in samples} == {WNIDS[1], WNIDS[11], WNIDS[500]}
    shutil.rmtree(dest / top.name)
    extract_tarball(tarball, dest)  # marker present: not extracted again
    assert not (dest / top.name).exists()


def test_imagenetv2_bad_folder_names(tmp_path):
    top = tmp_path / "imagenetv2-matched-frequency-format-val"
    (top / "1000").mkdir(parents=True)
    shutil.copy(JPEG, top / "1000" / "x.jpeg")
    with pytest.raises(DataError, match="outside 0..999"):
        load_imagenetv2(top)


def test_imagenet_val_flat_and_class_folder_layouts(tmp_path):
    flat = tmp_path / "flat"
    flat.mkdir()
    for i in (1, 2):
        shutil.copy(JPEG, flat / f"ILSVRC2012_val_{i:08d}.JPEG")
    task = get_task("imagenet")
    got = {s.id: s.gold_wnid for s in task.select(flat).samples}
    assert got == {"ILSVRC2012_val_00000001": "n01751748", "ILSVRC2012_val_00000002": "n09193705"}
    folders = tmp_path / "folders"
    (folders / "n01440764").mkdir(parents=True)
    shutil.copy(JPEG, folders / "n01440764" / "a.JPEG")
    assert [s.gold_wnid for s in task.select(folders).samples] == ["n01440764"]


@pytest.mark.parametrize("make,match", [
    (lambda p: p / "missing", "not found"),
    (lambda p: (p / "empty").mkdir() or p / "empty", "no images"),
    (lambda p: (p / "f.txt").write_text("x") and p / "f.txt", "must be a directory"),
])
def test_bad_data_dirs(tmp_path, make, match):
    with pytest.raises(DataError, match=match):
        get_task("imagenet").select(make(tmp_path))


def test_malformed_and_unknown_field_task_files(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: x\nsource: {type: manifest\n  path: [\n")
    with pytest.raises(TaskError, match=r"bad.yaml:\d+: invalid YAML"):
        parse_task(bad)
    odd = tmp_path / "odd.yaml"
    odd.write_text("name: x\nsource: {type: manifest, path: a.csv}\nlabelspace: imagenet-1k\n")
    with pytest.raises(TaskError, match="odd.yaml:3: unknown field 'labelspace'; did you mean 'label_space'"):
        parse_task(odd)


def test_hf_streaming_source_reads_a_local_dataset(tmp_path, monkeypatch):
    """The HF path (streaming, image bytes, integer labels) on a parquet dataset made here."""
    import datasets

    from harness.tasks.sources import iter_hf

    files = sorted(SAMPLE_IMAGES.iterdir())[:3]
    ds = datasets.Dataset.from_dict({
        "image": [{"bytes": p.read_bytes(), "path": p.name} for p in files],
        "label": [0, 10, 999]}).cast_column("image", datasets.Image())
    (tmp_path / "data").mkdir()
    ds.to_parquet(str(tmp_path / "data" / "validation-00000.parquet"))
    samples = list(iter_hf(str(tmp_path), "validation", None, 0, WNIDS))
    assert [s.gold_wnid for s in samples] == [WNIDS[0], WNIDS[10], WNIDS[999]]
    assert samples[0].read_bytes() == files[0].read_bytes()
    assert len(list(iter_hf(str(tmp_path), "validation", 2, 0, WNIDS))) == 2
