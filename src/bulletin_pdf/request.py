"""What a build is asked for, where, and what it made; and the no-op build's shortcut.

Light on purpose: a build whose inputs are all as they were when its outputs were
written is answered from here (stamps.quick_*), without loading any stage.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from .errors import BulletinError, Problem
from .files import system_refusals_as_problems
from .names import FONTS_FILE, MANIFEST_NAME
from .stamps import quick_digest, quick_outputs, record_quick


@dataclass(frozen=True)
class BuildOptions:
    """What to build and how: the command line's choices, for any caller."""

    issue: Path
    output: Path | None = None  # the screen (or only) PDF; None: build/<issue>.pdf
    profile: str | None = None  # "screen", "print", "all"; None: the layout's default outputs
    pdfx: str | None = None  # overrides the layout's PDF/X version for print
    icc_profile: Path | None = None  # overrides the layout's output profile for print
    keep_html: bool = False  # also write the HTML the PDF is made from
    strict: bool = False  # WeasyPrint's warnings are errors
    force: bool = False  # rebuild even when nothing changed
    whole_document: bool = False  # lay the issue out in one piece, not by units (to compare)
    fresh: bool = False  # read nothing earlier builds cached (units, articles, checked pages)


def issue_folders(paths: list[Path]) -> list[Path]:
    """Each path as the issue folders it names: itself, or (a folder of issues such as
    `issues/`) the folders in it that hold an issue.yaml, in name order. A path that is
    neither is refused, with every other such path."""
    folders: list[Path] = []
    wrong: list[Problem] = []
    for path in paths:
        if (path / MANIFEST_NAME).is_file():
            folders.append(path)
        elif path.is_dir() and (inside := sorted(child for child in path.iterdir()
                                                 if (child / MANIFEST_NAME).is_file())):
            folders += inside
        else:
            wrong.append(Problem("找不到此文件夹" if not path.exists()
                                 else "不是期刊文件夹（没有 issue.yaml），其中也没有期刊", path))
    if wrong:
        raise BulletinError(wrong)
    return list(dict.fromkeys(folders))


def is_several(paths: list[Path]) -> bool:
    """True when the command line names more than one issue, or a folder of issues."""
    return len(paths) > 1 or (not (paths[0] / MANIFEST_NAME).is_file() and paths[0].is_dir() and any(
        (child / MANIFEST_NAME).is_file() for child in paths[0].iterdir()))


@dataclass(frozen=True)
class Project:
    """The folder holding `layouts/` and `fonts/`, found upwards from the issue."""

    root: Path

    @property
    def layouts(self) -> Path:
        return self.root / "layouts"

    @property
    def fonts(self) -> Path:
        return self.root / "fonts"

    @property
    def build(self) -> Path:
        return self.root / "build"

    @property
    def cache(self) -> Path:
        return self.root / ".cache"


def find_project(issue_folder: Path) -> Project:
    for folder in (issue_folder.resolve(), *issue_folder.resolve().parents):
        if (folder / "layouts").is_dir() and (folder / "fonts" / FONTS_FILE).is_file():
            return Project(folder)
    raise BulletinError([Problem(
        "找不到项目根目录：期刊文件夹的上级目录中应有 layouts/ 和 fonts/fonts.yaml", issue_folder)])


@dataclass(frozen=True)
class Made:
    """One requested output: written by this run, or already up to date."""

    profile: str
    path: Path
    unchanged: bool = False  # up to date: not rebuilt
    pages: int = 0
    pdfx: str | None = None
    notes: tuple[str, ...] = ()  # what the build did that the editor should know
    seconds: float = 0.0
    warnings: tuple[str, ...] = ()


@dataclass(frozen=True)
class Shortcut:
    """The stamp of a build's every project file and option: when it matches the last
    complete build's, every output is as that build wrote it."""

    project: Project
    issue: Path
    options: dict
    digest: str
    force: bool  # rebuild regardless: no output is taken as made

    @classmethod
    def of(cls, options: BuildOptions) -> Shortcut:
        with system_refusals_as_problems():  # an unreadable file is the user's to fix, not a bug
            project = find_project(options.issue)
            key = _options_key(options)
            return cls(project, options.issue, key,
                       quick_digest(options.issue, project.root, key), options.force)

    def outputs(self) -> list[Made] | None:
        """Every output, unchanged since the last build; None when anything may differ."""
        if self.force:
            return None
        with system_refusals_as_problems():
            done = quick_outputs(self.project.cache, self.issue, self.options, self.digest)
        return None if done is None else [Made(profile, path, unchanged=True) for profile, path in done]

    def record(self, system_files: list[Path], outputs: list[tuple[str, Path]]) -> None:
        """After a build wrote (or kept) every output."""
        record_quick(self.project.cache, self.issue, self.options, self.digest, system_files, outputs)


def _options_key(options: BuildOptions) -> dict:
    """The options as the shortcut's stamp records them (an ICC file given by content)."""
    key = {name: str(value) if isinstance(value, Path) else value
           for name, value in vars(options).items() if name not in ("issue", "force", "fresh")}
    if options.icc_profile is not None and options.icc_profile.is_file():
        key["icc_content"] = hashlib.sha256(options.icc_profile.read_bytes()).hexdigest()
    return key
