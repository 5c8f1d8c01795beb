"""User-facing problems: one type for every mistake in the user's files.

Stages collect every problem they can find (like MkDocs' config validation)
and raise them together, so an editor fixes a whole issue in one pass.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

KeyPath = tuple[str | int, ...]


# What the items of a list are called, to count them in words: 第 2 篇文章.
ITEM_NOUNS = {
    "sections": "个栏目", "articles": "篇文章", "photos": "张照片", "masthead": "行报头",
    "authors": "位作者", "photographers": "位摄影者", "fonts": "个候选字体",
    "submit_to": "个单位", "copy_to": "个单位", "distribute_to": "个单位",
}


def format_key_path(path: KeyPath) -> str:
    """`sections[2].articles[0]` — the notation editors see in messages."""
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else part)
    return text


def describe_key_path(path: KeyPath) -> str:
    """`sections[3].articles[0]（第 4 个栏目的第 1 篇文章）`: the notation, and in words.

    Indexes count from 0 in the notation; an office worker counts from 1.
    """
    counted = [f"第 {part + 1} {ITEM_NOUNS.get(str(parent), '项')}"
               for parent, part in zip((None, *path)[:-1], path, strict=True)
               if isinstance(part, int)]
    words = f"（{'的'.join(counted)}）" if counted else ""
    return format_key_path(path) + words


@dataclass(frozen=True)
class Problem:
    """One mistake, located as precisely as we know: file, line, key path."""

    message: str
    file: Path | None = None
    line: int | None = None
    key: KeyPath = ()

    def __str__(self) -> str:
        where = ""
        if self.file is not None:
            where = display_path(self.file)
            if self.line is not None:
                where += f":{self.line}"
        if self.key:
            where += f"{'：' if where else ''}{describe_key_path(self.key)}"
        return f"{where}：{self.message}" if where else self.message


class BulletinError(Exception):
    """Raised with every problem a stage found; the CLI prints them and exits 2."""

    def __init__(self, problems: Iterable[Problem]):
        self.problems = list(problems)
        super().__init__("\n".join(str(problem) for problem in self.problems))


@dataclass
class Problems:
    """Collects problems during a stage; `raise_if_any` ends the stage."""

    items: list[Problem] = field(default_factory=list)

    def add(self, message: str, file: Path | None = None, line: int | None = None,
            key: KeyPath = ()) -> None:
        self.items.append(Problem(message, file, line, key))

    def report(self, problem: Problem) -> None:
        self.items.append(problem)

    def extend(self, problems: Iterable[Problem]) -> None:
        self.items.extend(problems)

    def raise_if_any(self) -> None:
        if self.items:
            raise BulletinError(self.items)

    def __bool__(self) -> bool:
        return bool(self.items)

    def __iter__(self) -> Iterator[Problem]:
        return iter(self.items)


def did_you_mean(word: str, options: Iterable[str], cutoff: float = 0.6) -> str:
    """`，是否想写 “title”？` with the option closest to `word`; "" when none is close."""
    close = difflib.get_close_matches(word, list(options), n=1, cutoff=cutoff)
    return f"，是否想写 “{close[0]}”？" if close else ""


def display_path(path: Path) -> str:
    """Paths relative to the working directory when possible: shorter and clickable."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)
