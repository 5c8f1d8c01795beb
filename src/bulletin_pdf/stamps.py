"""Build stamps: rebuild a PDF only when something it is made from has changed.

Builds are deterministic, so a digest of every input — the issue folder, the
layout folder, the font configuration and font files, the output profile and
this program's own code — decides whether the PDF on disk is still the one a
build would write. CI regenerating PDFs on every push then only rebuilds
what changed; `--force` rebuilds regardless.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
from dataclasses import asdict
from pathlib import Path

import weasyprint

from . import __version__
from .files import write_atomically
from .fonts import FontSet
from .layout import Profile

PACKAGE = Path(__file__).parent


def build_digest(issue_folder: Path, layout_folder: Path, fonts_folder: Path, fonts: FontSet,
                 profile: Profile) -> str:
    digest = hashlib.sha256()
    digest.update(f"{__version__}|{weasyprint.__version__}".encode())
    for folder in (PACKAGE, issue_folder, layout_folder, fonts_folder):
        for path in sorted(p for p in folder.rglob("*") if p.is_file() and _counts(p)):
            digest.update(str(path.relative_to(folder)).encode())
            digest.update(hashlib.sha256(path.read_bytes()).digest())
    for file in fonts.files:  # system fonts: large, so their identity rather than content
        stat = file.path.stat()
        digest.update(f"{file.path}|{file.index}|{stat.st_size}|{stat.st_mtime_ns}".encode())
    digest.update(json.dumps(asdict(profile), default=str, sort_keys=True).encode())
    if profile.icc_profile is not None:
        digest.update(hashlib.sha256(profile.icc_profile.read_bytes()).digest())
    return digest.hexdigest()


def _counts(path: Path) -> bool:
    return "__pycache__" not in path.parts and path.suffix not in (".pyc", ".tmp")


def _stamp_file(cache: Path, output: Path) -> Path:
    return cache / "builds" / (hashlib.sha256(str(output.resolve()).encode()).hexdigest() + ".json")


def up_to_date(cache: Path, output: Path, digest: str) -> bool:
    """True when `output` is exactly what a build from the current inputs wrote.

    A stamp that cannot be read (cut short, edited, unreadable) only means "rebuild".
    """
    stamp = _stamp_file(cache, output)
    if not output.is_file() or not stamp.is_file():
        return False
    try:
        recorded = json.loads(stamp.read_bytes())
    except (OSError, ValueError):  # ValueError: not JSON, not UTF-8
        return False
    return (isinstance(recorded, dict) and recorded.get("inputs") == digest
            and recorded.get("output") == hashlib.sha256(output.read_bytes()).hexdigest())


def record(cache: Path, output: Path, digest: str) -> None:
    """Stamp `output` as built from `digest`, atomically: a stamp is whole or absent.

    A stamp that cannot be written costs only a rebuild next time, so it is no error.
    """
    stamp = json.dumps({"inputs": digest, "output": hashlib.sha256(output.read_bytes()).hexdigest(),
                        "path": str(output)})
    with contextlib.suppress(OSError):
        write_atomically(_stamp_file(cache, output), stamp.encode())
