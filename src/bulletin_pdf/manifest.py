"""Stage 1: `issues/<issue>/issue.yaml` → `Issue` (masthead data, sections, article files)."""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from .errors import BulletinError, KeyPath, Problem, Problems, describe_key_path, display_path
from .images import image_problem
from .names import BINDINGS, MANIFEST_NAME
from .references import FileKind, file_problem
from .schema import Field, Schema, boolean, choice, iso_date, positive_int, text, text_list, validate
from .typography import SETTINGS_SCHEMA
from .yamlfile import YamlDocument, load_yaml_file

ARTICLE_FILE = FileKind("文章文件", "期刊文件夹", "articles/01.md")
GALLERY_PHOTO = FileKind("图片", "期刊文件夹", "gallery/01.jpg")

PHOTO_SCHEMA: Schema = {
    "file": Field(text, required=True),  # relative to the issue folder
    "caption": Field(text),  # a photo may go without (the build warns)
}

SECTION_KINDS = ("articles", "gallery")

SECTION_SCHEMA: Schema = {
    "title": Field(text, required=True),
    "kind": Field(choice(*SECTION_KINDS), default="articles"),
    "articles": Field(text_list),
    # Short signed pieces (学习感悟) carry no titles and share pages.
    "untitled_articles": Field(boolean, default=False),
    "new_page_per_article": Field(boolean, default=True),
    # A gallery (学习掠影): photos with captions in a grid.
    "photos": Field(items=PHOTO_SCHEMA),
    "columns": Field(positive_int, default=2),
}

COLOPHON_SCHEMA: Schema = {
    "submit_to": Field(text_list),  # 报
    "copy_to": Field(text_list),  # 送
    "distribute_to": Field(text_list),  # 发
    "printed_by": Field(text),  # 编印单位, default: the publisher
    "printed_on": Field(iso_date),  # 印发日期, default: the issue's date
    "copies": Field(positive_int),  # 共印N份
}

# Marks the values of `bulletin-pdf new`'s template the editor must replace: a build
# refuses to print them.
PLACEHOLDER = "（请修改）"

BINDING_NAMES = {"saddle": "骑马钉装订", "perfect": "胶装", "none": "不装订"}
# A binding wants a page count that is a multiple of: saddle-stitched sheets carry 4 pages.
PAGE_MULTIPLE = {"saddle": 4, "perfect": 2, "none": 1}

ISSUE_SCHEMA: Schema = {
    "name": Field(text, required=True),
    "masthead": Field(text_list),  # the masthead's lines; by default the layout splits `name`
    "slogan": Field(text),
    "number": Field(positive_int, required=True),
    "date": Field(iso_date, required=True),
    "publisher": Field(text, required=True),
    "layout": Field(text, default="bulletin"),
    "paper": Field(text, default="A4"),
    "binding": Field(choice(*BINDINGS), default="saddle"),  # pads the print PDF's page count
    "page_numbers": Field(text),  # one of the layout's page-number styles; default: the layout's
    "colophon": Field(fields=COLOPHON_SCHEMA, required=False),
    "typography": Field(fields=SETTINGS_SCHEMA),  # overrides the layout's, rule by rule
    "sections": Field(required=True, items=SECTION_SCHEMA),
}


@dataclass(frozen=True)
class ArticleRef:
    """An article as the manifest lists it: where the file is and where it was named."""

    path: Path
    manifest: Path
    key: KeyPath
    line: int | None

    def problem(self, message: str) -> Problem:
        return Problem(message, self.manifest, self.line, self.key)


@dataclass(frozen=True)
class Photo:
    """A gallery photo: its path relative to the issue folder, and its caption."""

    file: str
    caption: str | None
    key: KeyPath = ()  # where the manifest lists it: sections[i].photos[j]
    line: int | None = None


@dataclass(frozen=True)
class Section:
    title: str
    articles: tuple[ArticleRef, ...]
    untitled_articles: bool
    new_page_per_article: bool
    anchor: str
    kind: str = "articles"
    photos: tuple[Photo, ...] = ()
    columns: int = 2
    key: KeyPath = ()  # sections[i] in the manifest
    listed: int = 0  # entries the manifest lists (articles or photos), found or not

    @property
    def noun(self) -> str:
        """What the section lists, in words."""
        return "照片" if self.kind == "gallery" else "文章"


@dataclass(frozen=True)
class Colophon:
    """The 版记 at the end of an issue: who receives it, who printed it, how many."""

    submit_to: tuple[str, ...]
    copy_to: tuple[str, ...]
    distribute_to: tuple[str, ...]
    printed_by: str
    printed_on: datetime.date
    copies: int | None


@dataclass(frozen=True)
class Issue:
    folder: Path
    manifest: Path
    name: str
    masthead: tuple[str, ...]  # lines as the editor split them; () = the layout decides
    slogan: str | None
    number: int
    date: datetime.date
    publisher: str
    layout: str
    paper: str
    binding: str
    colophon: Colophon | None
    typography: dict  # this issue's typography overrides (None = the layout's)
    sections: tuple[Section, ...]
    page_numbers: str | None = None  # a page-number style of the layout; None: its default
    # The parsed manifest with the place of every value (for the glyph coverage check).
    document: YamlDocument | None = field(default=None, compare=False, repr=False)

    @property
    def slug(self) -> str:
        """The issue's folder name: names the output files (`build/<slug>.pdf`)."""
        return self.folder.name

    def problem(self, message: str, key: KeyPath) -> Problem:
        """A problem with one of the manifest's keys, at that key's line (for later stages)."""
        line = self.document.line(key) if self.document else None
        return Problem(message, self.manifest, line, key)


def load_issue(folder: Path) -> Issue:
    """Read and validate an issue folder's manifest; raise every problem found."""
    problems = Problems()
    issue = load_issue_collecting(folder, problems)
    problems.raise_if_any()
    return issue


def load_issue_collecting(folder: Path, files: Problems) -> Issue:
    """The issue, unless its manifest itself is broken (then raise).

    Problems with the files it lists (missing, duplicated or unreadable articles and
    photos) go to `files`, those entries left out, so the other checks still run.
    """
    folder = folder.resolve()
    manifest = folder / MANIFEST_NAME
    if not folder.is_dir():
        raise BulletinError([Problem("期刊文件夹不存在", folder)])
    if not manifest.is_file():
        raise BulletinError([Problem(f"期刊文件夹中没有 {MANIFEST_NAME}", folder)])
    document = load_yaml_file(manifest)
    problems = Problems()
    values = validate(document, ISSUE_SCHEMA, problems)
    if values is None:
        problems.raise_if_any()
    listed = Problems()
    sections = _sections(document, values["sections"] or [], folder, listed)
    if values["sections"] is not None and not values["sections"]:
        problems.report(document.problem("至少需要一个栏目", ("sections",)))
    if problems:
        raise BulletinError([*problems, *listed])
    files.extend(listed)
    return Issue(
        folder=folder,
        manifest=manifest,
        name=values["name"],
        masthead=values["masthead"] or (),
        slogan=values["slogan"],
        number=values["number"],
        date=values["date"],
        publisher=values["publisher"],
        layout=values["layout"],
        paper=values["paper"],
        binding=values["binding"],
        colophon=_colophon(document, values),
        typography=values["typography"] or {},
        sections=sections,
        page_numbers=values["page_numbers"],
        document=document,
    )


def _colophon(document: YamlDocument, values: dict) -> Colophon | None:
    """The 版记, when the manifest has one; its unit and date default to the issue's."""
    if "colophon" not in (document.data or {}) or not values["colophon"]:
        return None
    raw = values["colophon"]
    return Colophon(
        submit_to=raw["submit_to"] or (),
        copy_to=raw["copy_to"] or (),
        distribute_to=raw["distribute_to"] or (),
        printed_by=raw["printed_by"] or values["publisher"],
        printed_on=raw["printed_on"] or values["date"],
        copies=raw["copies"],
    )


def _sections(document: YamlDocument, raw_sections: list[dict], folder: Path,
              problems: Problems) -> tuple[Section, ...]:
    seen: dict[Path, KeyPath] = {}
    sections = []
    for index, raw in enumerate(raw_sections):
        _check_section_kind(document, raw, index, problems)
        refs = []
        for position, name in enumerate(raw["articles"] or ()):
            key = ("sections", index, "articles", position)
            ref = ArticleRef(folder / name, document.file, key, document.line(key))
            problem = _check_article_path(ref, name, folder, seen)
            if problem:
                problems.report(problem)
                continue
            seen[ref.path.resolve()] = key
            refs.append(ref)
        sections.append(Section(
            title=raw["title"],
            articles=tuple(refs),
            untitled_articles=raw["untitled_articles"],
            new_page_per_article=raw["new_page_per_article"],
            anchor=f"section-{index + 1}",
            kind=raw["kind"],
            photos=_photos(document, raw["photos"] or [], index, folder, problems),
            columns=raw["columns"],
            key=("sections", index),
            listed=len(raw["articles"] or raw["photos"] or ()),
        ))
    return tuple(sections)


def _check_section_kind(document: YamlDocument, raw: dict, index: int, problems: Problems) -> None:
    """An articles section lists articles; a gallery lists photos, and nothing else.

    A section that lists nothing yet (`articles: []` as `bulletin-pdf new` writes it,
    an empty `articles:`, or none at all) is allowed here: the issue is being filled;
    `printable` leaves such a section out of the PDF, with a warning.
    """
    key = ("sections", index)
    if raw["kind"] == "gallery":
        if raw["articles"]:
            problems.report(document.problem("图片栏目不能列 articles", (*key, "articles")))
    elif raw["photos"]:
        problems.report(document.problem("photos 只用于图片栏目：请加 kind: gallery", (*key, "photos")))


def _photos(document: YamlDocument, raw_photos: list[dict], index: int, folder: Path,
            problems: Problems) -> tuple[Photo, ...]:
    photos = []
    for position, raw in enumerate(raw_photos):
        key = ("sections", index, "photos", position, "file")
        if raw["file"] is None:
            continue
        if problem := file_problem(raw["file"], folder, folder, GALLERY_PHOTO):
            problems.report(document.problem(problem, key))
        elif problem := image_problem(folder / raw["file"]):
            problems.report(document.problem(f"图片 “{raw['file']}” {problem}", key))
        else:
            photo_key = key[:-1]
            photos.append(Photo(Path(raw["file"]).as_posix(), raw["caption"], photo_key,
                                document.line(photo_key)))
    return tuple(photos)


def _check_article_path(ref: ArticleRef, name: str, folder: Path,
                        seen: dict[Path, KeyPath]) -> Problem | None:
    if problem := file_problem(name, folder, folder, ARTICLE_FILE):
        return ref.problem(problem)
    if ref.path.suffix.lower() != ".md":
        return ref.problem(f"文章文件 “{name}” 应为 Markdown（.md）文件")
    first = seen.get(ref.path.resolve())
    if first is not None:
        return ref.problem(f"文章 “{name}” 重复列出：已见于 {describe_key_path(first)}")
    return None


@dataclass(frozen=True)
class Printable:
    """An issue as it can be printed: its empty sections left out."""

    issue: Issue
    warnings: tuple[Problem, ...]  # a section left out, each
    problems: tuple[Problem, ...]  # what stops the build: nothing to print, a placeholder left


def printable(issue: Issue) -> Printable:
    """`issue` without the sections that list nothing yet, which would print as a bare
    heading; an issue with nothing listed at all, or with a value of `new`'s template
    still unchanged, cannot be printed."""
    empty = [section for section in issue.sections if not section.listed]
    folder = display_path(issue.folder)
    warnings = tuple(issue.problem(
        f"栏目 “{section.title}” 还没有{section.noun}，本期不排这个栏目；{_how_to_fill(section, folder)}",
        section.key) for section in empty) + tuple(issue.problem(
            f"照片 “{photo.file}” 没有图注，印出时不带图注：要加时在此写 caption", photo.key)
        for section in issue.sections for photo in section.photos if photo.caption is None)
    problems = [issue.problem(f"“{value}” 是模板中的占位文字：请改成实际内容", key)
                for key, value in _strings(issue.document.data if issue.document else None, ())
                if PLACEHOLDER in value]
    if len(empty) == len(issue.sections):
        titles = "、".join(section.title for section in issue.sections)
        problems.append(issue.problem(
            f"本期的栏目（{titles}）都还没有文章或照片：用 bulletin-pdf import {folder} "
            "稿件.docx --section 栏目名 导入 Word 稿件，或在各栏目的 articles 中列出 Markdown 文章、"
            "在图片栏目的 photos 中列出照片", ("sections",)))
        return Printable(issue, (), tuple(problems))
    kept = tuple(section for section in issue.sections if section.listed)
    return Printable(replace(issue, sections=kept), warnings, tuple(problems))


def _how_to_fill(section: Section, folder: str) -> str:
    if section.kind == "gallery":
        return (f"要排入时，用 bulletin-pdf import {folder} 照片文件夹/ 导入照片，"
                "或在 photos 中列出照片（每张写 file 与 caption）")
    return (f"要排入时，用 bulletin-pdf import {folder} 稿件.docx --section {section.title} 导入，"
            "或在 articles 中列出文章")


def _strings(data: Any, key: KeyPath) -> Iterator[tuple[KeyPath, str]]:
    """Every text value of `data` with its key path."""
    if isinstance(data, str):
        yield key, data
    elif isinstance(data, dict):
        for name, value in data.items():
            yield from _strings(value, (*key, str(name)))
    elif isinstance(data, list):
        for index, value in enumerate(data):
            yield from _strings(value, (*key, index))
