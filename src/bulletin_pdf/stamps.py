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
from importlib.util import find_spec
from pathlib import Path
from typing import TYPE_CHECKING

from . import __version__
from .files import add_files, write_atomically

if TYPE_CHECKING:
    from .fonts import FontSet
    from .layout import Profile

PACKAGE = Path(__file__).parent


def build_digest(issue_folder: Path, layout_folder: Path, fonts_folder: Path, fonts: FontSet,
                 profile: Profile) -> str:
    digest = hashlib.sha256(environment_digest(layout_folder, fonts_folder, fonts, profile).encode())
    add_files(digest, (issue_folder,))
    return digest.hexdigest()


def environment_digest(layout_folder: Path, fonts_folder: Path, fonts: FontSet,
                       profile: Profile) -> str:
    """Everything but the issue a layout depends on: program, layout, fonts, profile."""
    digest = hashlib.sha256()
    digest.update(f"{__version__}|{_weasyprint_identity()}".encode())
    add_files(digest, (PACKAGE, layout_folder, fonts_folder))
    for file in fonts.files:  # system fonts: large, so their identity rather than content
        stat = file.path.stat()
        digest.update(f"{file.path}|{file.index}|{stat.st_size}|{stat.st_mtime_ns}".encode())
    digest.update(json.dumps(asdict(profile), default=str, sort_keys=True).encode())
    if profile.icc_profile is not None:
        digest.update(hashlib.sha256(profile.icc_profile.read_bytes()).digest())
    return digest.hexdigest()


def _weasyprint_identity() -> str:
    """The installed WeasyPrint, by its package file's identity: found without importing it,
    and quicker than reading its version from the installed distributions (0.1 s)."""
    spec = find_spec("weasyprint")
    origin = Path(spec.origin) if spec and spec.origin else None
    return "|".join(map(str, _identity(origin))) if origin else "-"


def unit_digest(environment: str, html: str, files: list[Path]) -> str:
    """A layout unit: its HTML (text, classes, page number) in its environment, with the
    files it shows."""
    digest = hashlib.sha256(f"{environment}|{html}".encode())
    for path in files:
        digest.update(str(path).encode())
        digest.update(hashlib.sha256(path.read_bytes()).digest() if path.is_file() else b"-")
    return digest.hexdigest()


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


# A no-op build's shortcut. Checking the inputs above needs the issue read, the fonts
# resolved and the layout loaded (seconds); a build whose every input file is as it was
# when all its outputs were written needs none of that. The shortcut's stamp records the
# digest of the project's own files and of the build's options, the system files the build
# used (font files, ICC profiles) by identity, and every output's digest.


def quick_digest(issue_folder: Path, project_root: Path, options: dict) -> str:
    """Every file the build could read in the project (the program, the issue, all layouts,
    fonts/), and the options: unchanged, so is every output."""
    digest = hashlib.sha256()
    digest.update(f"{__version__}|{_weasyprint_identity()}|{json.dumps(options, sort_keys=True)}".encode())
    add_files(digest, (PACKAGE, issue_folder, project_root / "layouts", project_root / "fonts"))
    return digest.hexdigest()


def _quick_stamp_file(cache: Path, issue_folder: Path, options: dict) -> Path:
    key = f"{issue_folder.resolve()}|{json.dumps(options, sort_keys=True)}"
    return cache / "builds" / f"quick-{hashlib.sha256(key.encode()).hexdigest()}.json"


def _identity(path: Path) -> list:
    stat = path.stat()
    return [str(path), stat.st_size, stat.st_mtime_ns]


def quick_outputs(cache: Path, issue_folder: Path, options: dict, digest: str
                  ) -> list[tuple[str, Path]] | None:
    """The (profile, output) pairs of the last build, when nothing it used has changed since
    and every output is still the file it wrote; None otherwise (a stamp unreadable included).

    Outputs are known by identity (path, size, time), as `make` knows them: reading a
    30 MB print PDF would cost a no-op build a quarter of its time. An output touched
    since goes the long way, where `up_to_date` compares its content."""
    try:
        recorded = json.loads(_quick_stamp_file(cache, issue_folder, options).read_bytes())
        if recorded["inputs"] != digest or any(
                _identity(Path(file[0])) != file for file in recorded["files"]):
            return None
        for _, output, written in recorded["outputs"]:
            if _identity(Path(output)) != written:
                return None
        return [(profile, Path(output)) for profile, output, _ in recorded["outputs"]]
    except (OSError, ValueError, KeyError, TypeError, IndexError):
        return None


def record_quick(cache: Path, issue_folder: Path, options: dict, digest: str,
                 system_files: list[Path], outputs: list[tuple[str, Path]]) -> None:
    """Stamp a build whose every output is written (or up to date) for the shortcut."""
    stamp = {"inputs": digest, "files": [_identity(path) for path in system_files],
             "outputs": [[profile, str(output), _identity(output)] for profile, output in outputs]}
    with contextlib.suppress(OSError):
        write_atomically(_quick_stamp_file(cache, issue_folder, options), json.dumps(stamp).encode())
