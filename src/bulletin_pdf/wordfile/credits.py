"""Signatures as contributors type them: `（文/徐文震、赵丹阳 图/张 炜）`, `执笔：钱 堃`, `（第三小组）`.

A credit line names who wrote (`authors`), who took the photos
(`photographers`), or a unit that sent the article (`byline`). The labels and
the shape of names are `normalize`'s (the same ones `lint` keeps the spaces
of); a name keeps its inner space (`张 炜`), which the layout prints as a
full-width space.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from ..normalize import CREDIT_LABEL, CREDIT_NAMES, HAN

AUTHOR_LABELS = ("文", "撰文", "撰稿", "执笔", "作者", "记者", "通讯员")
PHOTOGRAPHER_LABELS = ("图", "摄影")
BOTH_LABELS = ("图文",)
UNIT_LABELS = ("供稿",)
# A bracketed line at the start or end of an article that names a unit, not a sentence.
UNIT_ENDINGS = ("组", "部", "局", "委", "办", "处", "科", "室", "所", "站", "队", "中心", "校",
                "院", "会", "公司", "集团", "街道", "镇", "乡", "村", "社区", "班", "支部",
                "单位", "政府", "馆", "厅")
BRACKETED = re.compile(r"^[（(]\s*(.+?)\s*[）)]$")
TRAILING_BRACKETED = re.compile(r"[（(]([^（）()]+)[）)]\s*$")
SENTENCE_MARKS = re.compile(r"[。，；！？,;!?]")
NAME_SEPARATORS = re.compile(r"[、，,；;]")
SPACES = re.compile(r"[ \u3000\xa0\t]+")
PERSON = re.compile(rf"^[{HAN}·]{{2,4}}$|^[{HAN}] [{HAN}]$")


@dataclass
class Credits:
    authors: list[str] = field(default_factory=list)
    photographers: list[str] = field(default_factory=list)
    byline: str | None = None  # printed as is, in brackets, instead of the names

    def __bool__(self) -> bool:
        return bool(self.authors or self.photographers or self.byline)

    def add(self, other: Credits) -> None:
        self.authors += [name for name in other.authors if name not in self.authors]
        self.photographers += [name for name in other.photographers
                               if name not in self.photographers]
        if other.byline:
            self.byline = f"{self.byline} {other.byline}" if self.byline else other.byline


def parse_credits(text: str, bare: bool = True) -> Credits | None:
    """The credits a whole line gives, or None when it is not a credit line.

    `bare`: also a bracketed line without labels, `（王维平）` or `（第三小组）`.
    """
    text = text.strip()
    inner = match.group(1) if (match := BRACKETED.match(text)) else text
    if (labelled := _labelled(inner)) is not None:
        return labelled
    if not bare or match is None or SENTENCE_MARKS.search(inner):
        return None
    if _is_unit(inner):
        return Credits(byline=inner)
    names = person_names(inner)
    if names and all(PERSON.match(name) for name in names):
        return Credits(authors=names)
    return None


def _is_unit(text: str) -> bool:
    """`第三小组`, `区委党校`: a unit's name (a name of two or three characters is a person's)."""
    return len(text) <= 20 and text.endswith(UNIT_ENDINGS) and (len(text) >= 4 or
                                                                 text.startswith("第"))


def trailing_credits(text: str) -> tuple[Credits, int] | None:
    """Credits in brackets at the end of a paragraph (`……力量。（文/徐文震）`), with where they start.

    Only labelled ones: a bracketed remark ending a paragraph is usually text.
    """
    match = TRAILING_BRACKETED.search(text)
    if match is None or match.start() == 0:
        return None
    credits = _labelled(match.group(1).strip())
    return (credits, match.start()) if credits else None


def _labelled(text: str) -> Credits | None:
    """`文/徐文震、赵丹阳 图/张 炜`, `执笔：钱 堃 摄影：吴 𠮷`, `供稿：第三小组`: every part labelled."""
    credits, position, other = Credits(), 0, False
    while position < len(text):
        label = CREDIT_LABEL.match(text, position)
        if label is None:
            return None
        word = label.group()[:-1]
        if word in UNIT_LABELS:
            unit = CREDIT_LABEL.search(text, label.end())
            end = unit.start() if unit else len(text)
            credits.add(Credits(byline=text[label.end():end].strip()))
            position = end
            continue
        names = CREDIT_NAMES.match(text, label.end())
        if names is None:
            return None
        found = person_names(names.group())
        if word in AUTHOR_LABELS or word in BOTH_LABELS:
            credits.add(Credits(authors=found))
        if word in PHOTOGRAPHER_LABELS or word in BOTH_LABELS:
            credits.add(Credits(photographers=found))
        other = other or not (word in AUTHOR_LABELS or word in PHOTOGRAPHER_LABELS
                              or word in BOTH_LABELS)
        position = names.end()
    if other:  # 审核：, 编辑：… are not ours to name: the whole line is printed as written
        credits.byline = " ".join(text.split())
    return credits if credits else None


def person_names(text: str) -> list[str]:
    """`徐文震、赵丹阳` → two names; `王 芳 沈 超` → `王 芳`, `沈 超` (a spaced two-character name)."""
    names = []
    for group in NAME_SEPARATORS.split(text):
        tokens = SPACES.split(group.strip())
        index = 0
        while index < len(tokens):
            token = tokens[index]
            if not token:
                index += 1
                continue
            following = tokens[index + 1] if index + 1 < len(tokens) else ""
            if len(token) == 1 and len(following) == 1:
                names.append(f"{token} {following}")
                index += 2
            else:
                names.append(token)
                index += 1
    return names
