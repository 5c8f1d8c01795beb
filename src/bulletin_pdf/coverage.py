"""Glyph coverage, checked before layout: every character against its role's fonts.

A character no configured font has would come out as a missing-glyph box or,
worse, silently in a fallback font the print shop never saw. We read the
fonts' cmaps (fontTools) and report each such character with the file, line
and column where an editor can fix it (a rare name character such as 堃 or 𠮷
with a GB2312-only licensed font is the usual case).
"""

from __future__ import annotations

import hashlib
import os
import re
import unicodedata
from array import array
from collections.abc import Iterator
from functools import cache, partial
from pathlib import Path

from fontTools.ttLib import TTFont

from .articles import SectionArticles
from .errors import BulletinError, Problem, Problems
from .fonts import FontSet
from .manifest import Issue
from .yamlfile import body_start, read_text

# The kind of text each source key holds; the layout's `text_roles` says which
# font roles print each kind (the header, for one, repeats section titles).
MANIFEST_KINDS = {
    "name": "name", "masthead": "name", "slogan": "slogan", "publisher": "publisher",
    "title": "section_title", "submit_to": "colophon", "copy_to": "colophon",
    "distribute_to": "colophon", "printed_by": "colophon",
}
FRONT_MATTER_KINDS = {
    "title": "title", "toc_title": "toc_title", "subtitle": "subtitle",
    "authors": "byline", "photographers": "byline", "byline": "byline",
}
HEADING = re.compile(r"^(#{1,6})\s")
HEADING_KINDS = {1: "heading_1", 2: "heading_2"}

# (line number, column where `text` starts, text, kind of text)
KindedLines = Iterator[tuple[int, int, str, str]]


def check_coverage(issue: Issue, sections: tuple[SectionArticles, ...], fonts: FontSet,
                   text_roles: dict[str, tuple[str, ...]], cache: Path | None = None) -> None:
    """Raise a problem for every character a role's fonts cannot draw."""
    problems = Problems()
    check = partial(_check_file, fonts=fonts, text_roles=text_roles, problems=problems,
                    cache=cache)
    check(issue.manifest, _manifest_lines)
    for entry in sections:
        for article in entry.articles:
            check(article.source, _article_lines)
    problems.raise_if_any()


def _check_file(path: Path, kinded_lines, fonts: FontSet, text_roles: dict[str, tuple[str, ...]],
                problems: Problems, cache: Path | None) -> None:
    """Report each (character, role) gap once, at its first occurrence in `path`."""
    first_seen: dict[tuple[str, str], tuple[int, int]] = {}
    for number, start, line, kind in kinded_lines(read_text(path).split("\n")):
        for role in text_roles.get(kind, ()):
            for column, char in enumerate(line, start):
                first_seen.setdefault((char, role), (number, column))
    for (char, role), (number, column) in first_seen.items():
        if role not in fonts.roles or char.isspace() or unicodedata.category(char) in ("Cc", "Cf"):
            continue
        font = fonts.roles[role]
        if not any(ord(char) in _cmap(file.path, file.index, cache) for file in font.files):
            problems.report(Problem(
                f"第 {column} 列的字符 “{char}”（U+{ord(char):04X}）不在{font.label}字体"
                f" {'、'.join(font.families)} 中：请换用含此字的字体，"
                "或在 fonts/fonts.yaml 中为该角色加后备字体", path, number))


def _manifest_lines(lines: list[str]) -> KindedLines:
    """The manifest's lines, each with the kind of text its value is."""
    key = None
    for number, line in enumerate(lines, 1):
        text = line.split(" #", 1)[0]
        match = re.match(r"^\s*(?:-\s+)?([A-Za-z_]+):", text)
        start = match.end() if match else 0
        if match:
            key = match.group(1)
        elif not text.strip().startswith("-"):
            continue
        yield number, start + 1, text[start:], MANIFEST_KINDS.get(key or "", "")


def _article_lines(lines: list[str]) -> KindedLines:
    """An article's lines with their kind: front matter by key, Markdown by block."""
    start_of_body = body_start(lines)
    key = None
    for number, line in enumerate(lines, 1):
        if number < start_of_body:
            if number == 1 or number == start_of_body - 1:
                continue  # the --- lines
            match = re.match(r"^([A-Za-z_]+):", line)
            start = match.end() if match else 0
            if match:
                key = match.group(1)
            yield number, start + 1, line[start:], FRONT_MATTER_KINDS.get(key or "", "")
            continue
        heading = HEADING.match(line)
        start = heading.end() if heading else 0
        kind = HEADING_KINDS.get(len(heading.group(1)), "body") if heading else "body"
        yield number, start + 1, line[start:], kind


@cache
def _cmap(path: Path, index: int, cache_dir: Path | None) -> frozenset[int]:
    """The code points a font face covers; cached on disk (a CJK cmap takes ~0.1 s to read)."""
    if cache_dir is None:
        return _read_cmap(path, index)
    stat = path.stat()
    key = hashlib.sha256(f"{path}|{index}|{stat.st_size}|{stat.st_mtime_ns}".encode()).hexdigest()
    cached = cache_dir / "cmaps" / f"{key}.bin"
    if cached.is_file():
        return frozenset(array("I", cached.read_bytes()))
    codes = _read_cmap(path, index)
    cached.parent.mkdir(parents=True, exist_ok=True)
    temporary = cached.with_suffix(f".{os.getpid()}.tmp")
    temporary.write_bytes(array("I", sorted(codes)).tobytes())
    os.replace(temporary, cached)
    return codes


@cache
def _read_cmap(path: Path, index: int) -> frozenset[int]:
    try:
        with TTFont(path, fontNumber=index, lazy=True) as font:
            return frozenset(font.getBestCmap() or ())
    except Exception as error:  # fontTools raises many kinds for a broken file
        raise BulletinError([Problem(f"无法读取字体的字符表：{error}", path)]) from None
