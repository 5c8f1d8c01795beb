"""Glyph coverage, checked before layout: every printed character against its role's fonts.

A character no configured font has would come out as a missing-glyph box or,
worse, silently in a fallback font the print shop never saw. We read the
fonts' cmaps (fontTools) and check the text exactly as it will be printed —
the articles' normalised text (`——`, `“”`) and front matter as
`articles.read_article` placed them, the manifest's values as parsed — and
report every missing character of the run, each once per file at its first
place, with how often else it occurs.

A person's name must never be printed in two typefaces: the characters of
names (bylines, the authors in the 目录) must all be in the role's *first*
font, since Pango would take a missing one from the next font of the stack
(a rare name character such as 堃 or 𠮷 with a GB2312-only licensed 楷体).
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from .articles import SectionArticles
from .errors import Problem, Problems
from .fonts import FontFile, FontSet, RoleFont, face_codes
from .manifest import Issue
from .sourcetext import Place, PrintedText
from .yamlfile import YamlDocument

# The kind of text each manifest key holds; the layout's `text_roles` says which
# font roles print each kind (the header, for one, repeats section titles).
MANIFEST_KINDS = {
    "name": "name", "masthead": "name", "slogan": "slogan", "publisher": "publisher",
    "title": "section_title", "caption": "caption", "submit_to": "colophon",
    "copy_to": "colophon", "distribute_to": "colophon", "printed_by": "colophon",
}
# Kinds of text that are names of people: one typeface for every character.
NAME_KINDS = ("byline",)


@dataclass(frozen=True)
class _Gap:
    file: Path
    char: str
    role: str
    name: str | None  # the name it is in, when only the role's first font lacks it


def check_coverage(issue: Issue, sections: tuple[SectionArticles, ...], fonts: FontSet,
                   text_roles: dict[str, tuple[str, ...]]) -> None:
    """Raise a problem for every character a role's fonts cannot print as required."""
    texts = [*manifest_texts(issue.document, issue.manifest)] if issue.document else []
    texts += [text for entry in sections for article in entry.articles for text in article.printed]
    gaps: dict[_Gap, list[Place]] = {}
    for text in texts:
        for role in text_roles.get(text.kind, ()):
            if role in fonts.roles:
                for gap, place in _gaps(text, fonts.roles[role]):
                    gaps.setdefault(gap, []).append(place)
    problems = Problems()
    for gap, places in gaps.items():
        problems.report(_problem(gap, places, fonts.roles[gap.role]))
    problems.raise_if_any()


def _gaps(text: PrintedText, font: RoleFont) -> Iterator[tuple[_Gap, Place]]:
    if set(map(ord, text.text)) <= _cmap(font.files[0]):
        return  # the common case, found at C speed: the role's first font has every character
    is_name = text.kind in NAME_KINDS
    for char, place in zip(text.text, text.places, strict=True):
        if char.isspace() or unicodedata.category(char) in ("Cc", "Cf"):
            continue
        code = ord(char)
        if not any(code in _cmap(file) for file in font.files):
            yield _Gap(text.file, char, font.role, None), place
        elif is_name and code not in _cmap(font.files[0]):
            yield _Gap(text.file, char, font.role, text.text), place


def _problem(gap: _Gap, places: list[Place], font: RoleFont) -> Problem:
    (line, column), others = places[0], places[1:]
    where = f"第 {column} 列的" if column else ""
    code = f"“{gap.char}”（U+{ord(gap.char):04X}）"
    if gap.name is None:
        message = (f"{where}字符 {code}不在{font.label}字体 {'、'.join(font.families)} 中：请换用含此字"
                   "的字体，或在 fonts/fonts.yaml 中为该角色加后备字体")
    else:
        first, fallbacks = font.families[0], "、".join(font.families[1:])
        message = (f"{where}人名 “{gap.name}” 中的 {code}不在{font.label}的首选字体 {first} 中：后备字体"
                   f" {fallbacks} 虽有此字，但一个名字会印成两种字体：请在 fonts/fonts.yaml 中把含此字的"
                   f"字体（如 GBK 或 GB18030 字库）写在 {font.role} 角色的最前面")
    if others:
        lines = "、".join(dict.fromkeys(str(other[0]) for other in others))
        message += f"（本文件另有 {len(others)} 处，在第 {lines} 行）"
    return Problem(message, gap.file, line)


def manifest_texts(document: YamlDocument, file: Path) -> Iterator[PrintedText]:
    """The manifest's printed values, each with its kind and places, as parsed."""
    for key, scalar in document.scalars.items():
        names = [part for part in key if isinstance(part, str)]
        kind = MANIFEST_KINDS.get(names[-1]) if names else None
        value = _value_at(document.data, key)
        if kind is None or isinstance(value, bool) or not isinstance(value, str | int | float):
            continue
        text = str(value)
        places = tuple((scalar.line, scalar.column + index if scalar.exact else None)
                       for index in range(len(text)))
        yield PrintedText(kind, text, file, places)
        if key == ("publisher",) and _prints_publisher_in_colophon(document.data):
            yield PrintedText("colophon", text, file, places)


def _prints_publisher_in_colophon(data: object) -> bool:
    """The 版记 names the publisher as its printer unless it names another."""
    colophon = data.get("colophon") if isinstance(data, dict) else None
    return isinstance(colophon, dict) and not colophon.get("printed_by")


def _value_at(data: object, key: tuple[str | int, ...]) -> object:
    for part in key:
        try:
            data = data[part]  # type: ignore[index]
        except (KeyError, IndexError, TypeError):
            return None
    return data


def _cmap(file: FontFile) -> frozenset[int]:
    return face_codes(file.path, file.index)
