"""`bulletin-pdf new`: a new issue folder, carried over from the latest issue or from a template.

What repeats from issue to issue (name, masthead, slogan, publisher, layout, paper,
binding, colophon, typography, the sections and their settings) is copied from the
source's issue.yaml as text, its comments and layout included (`manifest_edit`);
the number goes up by one, the date is today's, the colophon's `printed_on` is
dropped so that it follows the date, and every section's list of articles or photos
is emptied. Without any issue yet, a commented template is written; its
placeholders (`（请修改）`) stop `check` and `build` until they are replaced.
"""

from __future__ import annotations

import copy
import datetime
import shutil
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from .errors import BulletinError, Problem, Problems
from .files import system_refusals_as_problems, write_atomically
from .manifest import Issue, load_issue_collecting
from .manifest_edit import ManifestText
from .names import MANIFEST_NAME
from .request import find_project

TEMPLATE = "issue_template.yaml"
ARTICLES_FOLDER = "articles"


@dataclass(frozen=True)
class NewIssue:
    """What `create_issue` made."""

    folder: Path
    number: int
    date: datetime.date
    source: Path | None  # the issue folder carried over; None: the template
    sections: tuple[tuple[str, str], ...]  # (title, kind) of each section
    skipped: tuple[Problem, ...]  # other issues whose manifest could not be read

    @property
    def manifest(self) -> Path:
        return self.folder / MANIFEST_NAME

    @property
    def articles(self) -> Path:
        return self.folder / ARTICLES_FOLDER


def create_issue(folder: Path, source: Path | None = None, number: int | None = None,
                 date: datetime.date | None = None) -> NewIssue:
    """Create the issue folder `folder` (which must not exist) with its issue.yaml and an
    empty `articles/` folder.

    `source`: the issue to carry over; None: the latest issue of the project's
    `issues/` folder (by number, then date), or the template when there is none.
    `number` defaults to the source's + 1 (1 from the template), `date` to today.
    """
    folder = folder.absolute()
    if folder.exists() or folder.is_symlink():
        raise BulletinError([Problem("已存在，不会覆盖：新一期须是一个还不存在的文件夹，"
                                     "如 issues/2025-002", folder)])
    project = find_project(folder)
    with system_refusals_as_problems():
        skipped: tuple[Problem, ...] = ()
        if source is not None:
            origin: Issue | None = load_issue_collecting(_issue_folder(source), Problems())
        else:
            origin, skipped = latest_issue(project.root / "issues")
        edit = (ManifestText.read(origin.manifest) if origin is not None else
                ManifestText.parse(resources.files(__package__).joinpath(TEMPLATE)
                                   .read_text(encoding="utf-8"), folder / MANIFEST_NAME))
        number = number or (origin.number + 1 if origin is not None else 1)
        date = date or datetime.date.today()
        expected = carry_over(edit, number, date)
        _write(folder, edit.encoded(expected))
    sections = tuple((str(raw["title"]), raw.get("kind") or "articles")
                     for raw in expected["sections"])
    return NewIssue(folder, number, date, origin.folder if origin else None, sections, skipped)


def latest_issue(issues: Path) -> tuple[Issue | None, tuple[Problem, ...]]:
    """The issue of `issues/` with the highest number (then the latest date), and a
    warning for each issue whose manifest could not be read (it is not considered)."""
    found: list[Issue] = []
    skipped: list[Problem] = []
    manifests = sorted(issues.glob(f"*/{MANIFEST_NAME}")) if issues.is_dir() else []
    for manifest in manifests:
        try:
            with system_refusals_as_problems():
                found.append(load_issue_collecting(manifest.parent, Problems()))
        except BulletinError as error:
            skipped.append(Problem(f"期刊清单有 {len(error.problems)} 个问题（{error.problems[0].message}），"
                                   "不作为新一期的参照", manifest))
    latest = max(found, key=lambda issue: (issue.number, issue.date), default=None)
    return latest, tuple(skipped)


def carry_over(edit: ManifestText, number: int, date: datetime.date) -> dict[str, Any]:
    """Make `edit` the next issue's manifest; return the data it must then hold."""
    expected = copy.deepcopy(edit.data)
    edit.set_value(edit.root, "number", str(number))
    edit.set_value(edit.root, "date", date.isoformat())
    expected["number"], expected["date"] = number, date.isoformat()
    colophon = expected.get("colophon")
    if isinstance(colophon, dict) and "printed_on" in colophon:
        node = edit.node("colophon")
        assert node is not None
        if len(colophon) > 1 and edit.remove_key(node, "printed_on"):
            del colophon["printed_on"]  # the colophon's date then follows the issue's
        else:  # the colophon's only entry, or written in braces: keep it, the same as the date
            edit.set_value(node, "printed_on", date.isoformat())
            colophon["printed_on"] = date.isoformat()
    for index, raw in enumerate(expected["sections"]):
        listing = "photos" if raw.get("kind") == "gallery" else "articles"
        if raw.get(listing):
            edit.empty_list(edit.section_node(index), listing)
            raw[listing] = []
    return expected


def _issue_folder(source: Path) -> Path:
    """`--from` names an issue folder, or its issue.yaml."""
    return source.parent if source.name == MANIFEST_NAME and source.is_file() else source


def _write(folder: Path, manifest: bytes) -> None:
    """The folder, its manifest and `articles/`; on any failure, no folder at all."""
    folder.parent.mkdir(parents=True, exist_ok=True)
    try:
        folder.mkdir()
    except FileExistsError:  # made since we looked
        raise BulletinError([Problem("已存在，不会覆盖", folder)]) from None
    try:
        (folder / ARTICLES_FOLDER).mkdir()
        write_atomically(folder / MANIFEST_NAME, manifest)
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
