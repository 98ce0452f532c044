"""Label spaces named by tasks, and class names -> wnids for user datasets.

A task's `label_space` is a built-in name (`imagenet-1k`, `imagenet-a-200`, `imagenet-r-200`), or
`{name: ..., wnids: [...]}`, or `{name: ..., file: wnids.txt}` (one wnid per line). Folder and
manifest labels may be wnids or class names; names go through the WordNet parser and must name
exactly one class of the space, otherwise the loader lists every name it could not resolve.
"""
from __future__ import annotations

import re
from pathlib import Path

from harness.errors import LabelError
from harness.resources import did_you_mean
from harness.wordnet.graph import (BUILTIN_SPACES, LabelSpace, custom_space, imagenet_classes,
                                   label_space)

WNID_RE = re.compile(r"n\d{8}")
RESOLVED_MATCHES = ("exact", "lemma", "inflection")




def space_from_spec(spec: str | dict, base: Path | None = None) -> LabelSpace:
    if isinstance(spec, str):
        if spec not in BUILTIN_SPACES:
            raise LabelError(f"unknown label space {spec!r}{did_you_mean(spec, BUILTIN_SPACES)}; "
                             f"use one of {sorted(BUILTIN_SPACES)} "
                             "or {name: ..., wnids: [...]} / {name: ..., file: ...}")
        return label_space(spec)
    if not isinstance(spec, dict) or "name" not in spec or not ({"wnids", "file"} & set(spec)):
        raise LabelError("label_space must be a name or {name: ..., wnids: [...]} / "
                         "{name: ..., file: ...}")
    wnids = spec.get("wnids")
    if wnids is None:
        path = (base or Path.cwd()) / spec["file"]
        try:
            wnids = path.read_text().split()
        except OSError as e:
            raise LabelError(f"{path}: cannot read label space file ({e.strerror})") from None
    return custom_space(spec["name"], wnids)


def parser_for_space(space: LabelSpace):
    """The shared parser of a label space (harness.parse owns the one cache)."""
    from harness.parse import parser_for

    return parser_for(space)


class LabelResolver:
    """Resolves folder or manifest labels (wnid, class name, lemma, CLIP name) to class wnids."""

    def __init__(self, space: LabelSpace) -> None:
        self.space = space
        self.names: dict[str, str] = {}
        for c in imagenet_classes():
            if c["wnid"] in space:
                for name in [*c["lemmas"], c["clip_name"]]:
                    self.names.setdefault(_norm(name), c["wnid"])

    def resolve(self, label: str) -> str | None:
        text = label.strip()
        if WNID_RE.fullmatch(text):
            return text if text in self.space else None
        if _norm(text) in self.names:
            return self.names[_norm(text)]
        res = parser_for_space(self.space).parse(text)
        return res.wnid if res.match in RESOLVED_MATCHES and res.wnid in self.space else None

    def resolve_all(self, labels: list[str], where: str) -> dict[str, str]:
        out, missing = {}, []
        for label in dict.fromkeys(labels):
            wnid = self.resolve(label)
            if wnid is None:
                missing.append(label)
            else:
                out[label] = wnid
        if missing:
            shown = ", ".join(repr(m) for m in missing[:10])
            more = f" and {len(missing) - 10} more" if len(missing) > 10 else ""
            raise LabelError(f"{where}: {len(missing)} label(s) name no class of label space "
                             f"{self.space.name!r}: {shown}{more}; use wnids or class names")
        return out


def _norm(text: str) -> str:
    return " ".join(re.findall(r"[a-z0-9]+", text.lower()))
