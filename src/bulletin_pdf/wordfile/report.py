"""What an import made of a Word file, told in Chinese: the editor checks it at a glance."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from ..articles import byline_groups
from .package import Dropped

LEVEL_NAMES = {1: "一级", 2: "二级", 3: "三级", 4: "四级"}
DETAILS_SHOWN = 3
UNITS = {"批注": "条", "文本框": "个", "修订中删除的文字": "处", "公式": "个", "隐藏文字": "处"}


@dataclass(frozen=True)
class Figure:
    file: str  # relative to the article
    caption: str


@dataclass(frozen=True)
class ImportReport:
    source: Path
    title: str | None
    subtitle: str | None
    authors: tuple[str, ...]
    photographers: tuple[str, ...]
    byline: str | None
    headings: tuple[tuple[int, str], ...]  # (level, text)
    figures: tuple[Figure, ...]
    tables: tuple[tuple[int, int], ...]  # (rows, columns)
    lists: int
    footnotes: int
    endnotes: int
    insertions: int  # tracked insertions, kept
    dropped: tuple[Dropped, ...]
    remarks: tuple[str, ...]  # what the editor should look at

    def lines(self) -> list[str]:
        """The report, one fact a line."""
        lines = [f"标题：{self.title}" if self.title else "标题：（无）"]
        if self.subtitle:
            lines.append(f"副标题：{self.subtitle}")
        lines.append(f"署名：{self.signature()}")
        if self.headings:
            counts = Counter(level for level, _ in self.headings)
            lines.append("小标题：" + "、".join(f"{LEVEL_NAMES[level]} {count} 个"
                                             for level, count in sorted(counts.items())))
            lines += [f"  {'#' * level} {text}" for level, text in self.headings]
        if self.figures:
            lines.append(f"图片：{len(self.figures)} 张")
            lines += [f"  {figure.file}" + (f"（图注：{figure.caption}）" if figure.caption
                                            else "（无图注）") for figure in self.figures]
        if self.tables:
            lines.append(f"表格：{len(self.tables)} 个（"
                         + "；".join(f"{rows} 行 × {columns} 列" for rows, columns in self.tables)
                         + "，第一行为表头）")
        if self.lists:
            lines.append(f"列表：{self.lists} 个")
        if self.footnotes or self.endnotes:
            lines.append("注释：" + "，".join(part for part in (
                f"脚注 {self.footnotes} 条" if self.footnotes else "",
                f"尾注 {self.endnotes} 条" if self.endnotes else "") if part)
                + "（排在文末）")
        if self.insertions:
            lines.append(f"修订：插入的文字已保留（{self.insertions} 处）")
        lines += [f"已去掉：{entry}" for entry in _dropped_entries(self.dropped)]
        lines += [f"请注意：{remark}" for remark in self.remarks]
        return lines

    def signature(self) -> str:
        """The signature as the article will print it."""
        if self.byline:
            return f"（{self.byline}）"
        groups = byline_groups(self.authors, self.photographers)
        if not groups:
            return "（无）"
        return "（" + " ".join((f"{group.label}/" if group.label else "") + "、".join(group.names)
                              for group in groups) + "）"


def _dropped_entries(dropped: tuple[Dropped, ...]) -> list[str]:
    """One entry per kind: how many, and the first few of them."""
    kinds: dict[str, list[str]] = {}
    for item in dropped:
        kinds.setdefault(item.kind, []).append(item.detail)
    entries = []
    for kind, details in kinds.items():
        shown = [f"“{detail}”" for detail in details if detail][:DETAILS_SHOWN]
        more = "等" if len([detail for detail in details if detail]) > DETAILS_SHOWN else ""
        entries.append(f"{kind} {len(details)} {UNITS.get(kind, '处')}"
                       + (f"（{'；'.join(shown)}{more}）" if shown else ""))
    return entries
