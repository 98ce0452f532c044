"""Realistic LLaVA-style answers for benchmarks: seeded, drawn from templates and class names."""
from __future__ import annotations

import random

from harness.wordnet.graph import imagenet_classes

TEMPLATES = [
    "{a} {x}.", "This is a photo of {a} {x}.", "The image shows {a} {x} {bg}.",
    "{X}", "It appears to be {a} {x}.", "**Answer:** {x}", "The object in this photo is {a} {x}.",
    "{a} {x} {bg}, possibly {a2} {y}.", "I think it is {a} {x} or {a2} {y}.",
    "The main subject is {a} {x} {bg}.", "<think>Looking at the shape...</think> {x}",
    '{{"label": "{x}"}}', "There is {a} {x} {bg}. The background is blurry.",
    "It's hard to tell, but it might be {a} {x}.", "{a} {x}s {bg}.",
    "A close-up of {a} {x} {bg}.", "I can't tell what this is.", "A {adj} {x} {bg}.",
]
BACKGROUNDS = ["on a table", "in the grass", "next to a person", "in a room", "on the street",
               "in the water", "against a white background", "in a forest", "on a shelf",
               "near a window", "in front of a house", "at the beach", ""]
ADJS = ["small", "large", "brown", "white", "old", "shiny", "wooden", "fluffy", "young", "red"]


def answers(n: int, seed: int = 0) -> list[tuple[str, str]]:
    """n (gold wnid, answer) pairs; about half the answers are unique strings."""
    rng = random.Random(seed)
    classes = imagenet_classes()
    out = []
    for _ in range(n):
        c, d = rng.choice(classes), rng.choice(classes)
        x = rng.choice(c["lemmas"] + [c["clip_name"]])
        y = rng.choice(d["lemmas"])
        text = rng.choice(TEMPLATES).format(
            a="an" if x[0].lower() in "aeiou" else "a", a2="an" if y[0].lower() in "aeiou"
            else "a", x=x, X=x.capitalize(), y=y, bg=rng.choice(BACKGROUNDS),
            adj=rng.choice(ADJS))
        out.append((c["wnid"], " ".join(text.split())))
    return out
