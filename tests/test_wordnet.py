import time

import pytest

from harness.errors import LabelError
from harness.wordnet.graph import custom_space, imagenet_classes, label_space, wordnet


def test_imagenet_space_is_sorted_wnid_order():
    space = label_space("imagenet-1k")
    assert len(space) == 1000
    assert list(space.wnids) == sorted(space.wnids)
    assert space.index["n01440764"] == 0  # tench
    assert space.index["n15075141"] == 999  # toilet tissue


def test_depth_and_ancestors_match_shipped_metadata():
    wn = wordnet()
    for c in imagenet_classes()[::50]:
        assert wn.depth(c["wnid"]) == c["depth"]
        assert set(c["parents"]) <= wn.ancestors(c["wnid"])
        assert "n00001740" in wn.ancestors(c["wnid"])  # entity


def test_lca_descendants_and_classes_for():
    wn = wordnet()
    beagle, dog, tabby = "n02088364", "n02084071", "n02123045"
    assert dog in wn.ancestors(beagle)
    assert beagle in wn.descendants(dog)
    assert wn.name(wn.lca(beagle, tabby)) == "carnivore"
    space = label_space("imagenet-1k")
    assert space.classes_for(beagle) == (beagle,)
    assert space.classes_for(dog) == ()  # a hypernym, not under any class
    assert space.is_ancestor_of_class(dog)


def test_subset_spaces_have_200_classes_inside_imagenet():
    full = label_space("imagenet-1k")
    for name in ("imagenet-a-200", "imagenet-r-200"):
        space = label_space(name)
        assert len(space) == 200 and all(w in full for w in space.wnids)


def test_custom_space_keeps_order_and_rejects_unknown_ids():
    space = custom_space("pets", ["n02123045", "n02088364", "n02123045"])
    assert space.wnids == ("n02123045", "n02088364")
    with pytest.raises(LabelError, match="not WordNet 3.0 noun ids"):
        custom_space("bad", ["n99999999"])
    with pytest.raises(LabelError, match="unknown label space"):
        label_space("imagenet-22k")


def test_wordnet_loads_fast():
    wordnet.cache_clear()
    t0 = time.perf_counter()
    wn = wordnet()
    assert len(wn.wnids) == 82115
    assert time.perf_counter() - t0 < 2.0  # target 0.5 s; generous for loaded CI machines
