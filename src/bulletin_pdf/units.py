"""Layout units: the parts of an issue that can be laid out on their own.

An article that starts on a new page does not move anything before it, so it
is a unit; a flowing section (articles running on, 【学习感悟】) and a gallery
are one unit each; the 版记 is one. The cover with the 目录 is laid out last,
when every unit's page numbers are known: body page 1 follows it, so its
length never moves them. Each unit is rendered from the same templates as the
whole issue (`document.html.j2` with `unit`), numbered on from the pages before
it and starting on its side of the sheet.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from .articles import SectionArticles

# Below this many units an issue is laid out whole: each unit costs about 0.2 s of its own
# (parsing the stylesheets, a process, its share of the merge), which a small issue's
# parallel layout does not win back (4 units: 1.8 s by units, 1.0 s whole; the sample's
# 19: 9.7 s by units, 13 s whole).
MIN_UNITS = 8
HREF = re.compile(r'href="#([^"]+)"')
ID = re.compile(r'\bid="([^"]+)"')


@dataclass(frozen=True)
class UnitPlan:
    """One unit: the part of each section it holds (in order), or the cover or 版记."""

    key: str  # stable name: the anchor it starts with ("cover", "colophon")
    sections: tuple[SectionArticles, ...] = ()
    continued: frozenset[str] = frozenset()  # sections begun in an earlier unit
    cover: bool = False
    colophon: bool = False

    @property
    def label(self) -> str:
        """For progress messages: the unit's first title."""
        if self.cover:
            return "封面和目录"
        if self.colophon:
            return "版记"
        entry = self.sections[0]
        if entry.articles and entry.articles[0].title:
            return entry.articles[0].title
        return f"【{entry.section.title}】"


@dataclass(frozen=True)
class UnitView:
    """What the templates see of a unit (`unit` in document.html.j2)."""

    sections: tuple[SectionArticles, ...]
    continued: frozenset[str]
    cover: bool
    colophon: bool
    stubs: tuple[str, ...] = ()  # anchors its links lead to in other units


def plan_units(sections: tuple[SectionArticles, ...], has_colophon: bool) -> list[UnitPlan]:
    """The body's units in page order, then the cover (laid out last)."""
    units: list[UnitPlan] = []
    for entry in sections:
        anchor = entry.section.anchor
        if entry.section.kind == "gallery" or not entry.section.new_page_per_article \
                or len(entry.articles) < 2:
            units.append(UnitPlan(anchor, (entry,)))
            continue
        for position, article in enumerate(entry.articles):
            part = replace(entry, articles=(article,))
            units.append(UnitPlan(article.anchor if position else anchor, (part,),
                                  frozenset({anchor}) if position else frozenset()))
    if has_colophon:
        units.append(UnitPlan("colophon", colophon=True))
    return [*units, UnitPlan("cover", cover=True)]


def worth_units(sections: tuple[SectionArticles, ...], has_colophon: bool) -> bool:
    return len(plan_units(sections, has_colophon)) >= MIN_UNITS


def body_view(plan: UnitPlan) -> UnitView:
    return UnitView(plan.sections, plan.continued, False, plan.colophon)


def cover_view() -> UnitView:
    return UnitView((), frozenset(), True, False)


def with_stubs(view: UnitView, html: str) -> UnitView | None:
    """The view again with stubs for the anchors its HTML links to but lacks; None if none."""
    missing = tuple(sorted(set(HREF.findall(html)) - set(ID.findall(html))))
    return replace(view, stubs=missing) if missing else None
