"""WordNet 3.0 nouns and label spaces: the vocabulary every other stage speaks."""
from harness.wordnet.graph import (BUILTIN_SPACES, LabelSpace, WordNet, class_names, clip_names,
                                   custom_space, imagenet_classes, label_space, wordnet)

__all__ = ["BUILTIN_SPACES", "LabelSpace", "WordNet", "class_names", "clip_names",
           "custom_space", "imagenet_classes", "label_space", "wordnet"]
