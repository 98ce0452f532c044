"""Publish a built leaderboard folder: to a git remote (e.g. a GitHub Pages branch) or to the
Hugging Face Hub (a dataset or a static Space). Tokens come from the environment only and never
reach the published files, commit messages or logs (URLs are shown with credentials removed)."""
from __future__ import annotations

import logging
import os
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

from harness.errors import PublishError

log = logging.getLogger("harness")

SPACE_HEADER = "---\ntitle: {title}\nsdk: static\napp_file: index.html\npinned: false\n---\n\n"


def redact(url: str) -> str:
    return re.sub(r"//[^/@]+@", "//***@", url)


def _git(*args: str, cwd: Path) -> str:
    env = {**os.environ, "GIT_TERMINAL_PROMPT": "0"}
    proc = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, env=env)
    if proc.returncode != 0:
        msg = redact((proc.stderr or proc.stdout).strip().splitlines()[-1:] and
                     (proc.stderr or proc.stdout).strip().splitlines()[-1] or "failed")
        raise PublishError(f"git {args[0]} failed: {msg}")
    return proc.stdout


def publish_git(folder: Path, target: str, message: str, dry_run: bool = False) -> str:
    """`git+<url>[#branch]`: commit the folder's files at the branch root and push."""
    url, _, branch = target[len("git+"):].partition("#")
    branch = branch or "gh-pages"
    files = sorted(p.relative_to(folder) for p in folder.rglob("*") if p.is_file())
    if dry_run:
        return f"would push {len(files)} files to {redact(url)} branch {branch}"
    with tempfile.TemporaryDirectory(prefix="harness-publish-") as tmp:
        work = Path(tmp)
        _git("init", "-q", cwd=work)
        _git("remote", "add", "origin", url, cwd=work)
        exists = subprocess.run(["git", "ls-remote", "--exit-code", "--heads", "origin", branch],
                                cwd=work, capture_output=True,
                                env={**os.environ, "GIT_TERMINAL_PROMPT": "0"}).returncode == 0
        if exists:
            _git("fetch", "-q", "--depth", "1", "origin", branch, cwd=work)
            _git("checkout", "-q", "-b", branch, "FETCH_HEAD", cwd=work)
        else:
            _git("checkout", "-q", "-b", branch, cwd=work)
        for rel in files:
            (work / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(folder / rel, work / rel)
        _git("add", "-A", cwd=work)
        if not _git("status", "--porcelain", cwd=work).strip():
            return f"nothing changed on {redact(url)} branch {branch}"
        _git("-c", "user.name=harness", "-c", "user.email=harness@localhost", "commit", "-q",
             "-m", message, cwd=work)
        _git("push", "-q", "origin", f"HEAD:refs/heads/{branch}", cwd=work)
    return f"pushed {len(files)} files to {redact(url)} branch {branch}"


def publish_hf(folder: Path, target: str, message: str, dry_run: bool = False) -> str:
    """`hf://datasets/<org>/<name>` or `hf://spaces/<org>/<name>` via huggingface_hub."""
    m = re.fullmatch(r"hf://(datasets|spaces)/([\w.-]+/[\w.-]+)", target)
    if not m:
        raise PublishError(f"{target}: expected hf://datasets/ORG/NAME or hf://spaces/ORG/NAME")
    repo_type, repo_id = m.group(1)[:-1], m.group(2)
    files = sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file())
    if dry_run:
        return f"would upload to {repo_type} {repo_id}: " + ", ".join(files)
    token = os.environ.get("HF_TOKEN") or os.environ.get("HUGGING_FACE_HUB_TOKEN")
    from huggingface_hub import HfApi

    with tempfile.TemporaryDirectory(prefix="harness-publish-") as tmp:
        staged = Path(tmp) / "board"
        shutil.copytree(folder, staged)
        if repo_type == "space":  # a static Space needs its config header in README.md
            readme = staged / "README.md"
            readme.write_text(SPACE_HEADER.format(title=repo_id.split("/")[1]) +
                              (readme.read_text() if readme.exists() else ""))
        HfApi(token=token).upload_folder(folder_path=str(staged), repo_id=repo_id,
                                         repo_type=repo_type, commit_message=message)
    return f"uploaded {len(files)} files to {repo_type} {repo_id}"


def publish(folder: Path, target: str, message: str = "Update leaderboard",
            dry_run: bool = False) -> str:
    if not (folder / "index.html").is_file() or not (folder / "results.json").is_file():
        raise PublishError(f"{folder}: not a built leaderboard (run `harness leaderboard build`)")
    if target.startswith("git+"):
        result = publish_git(folder, target, message, dry_run)
    elif target.startswith("hf://"):
        result = publish_hf(folder, target, message, dry_run)
    else:
        raise PublishError(f"--to {target!r}: use git+<url>[#branch] or hf://datasets|spaces/ORG/NAME")
    log.info(result)
    return result
