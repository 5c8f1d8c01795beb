"""User-facing problems: one type for every mistake in the user's files.

Stages collect every problem they can find (like MkDocs' config validation)
and raise them together, so an editor fixes a whole issue in one pass.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

KeyPath = tuple[str | int, ...]


def format_key_path(path: KeyPath) -> str:
    """`sections[2].articles[0]` — the notation editors see in messages."""
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else part)
    return text


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
            where += f"{'：' if where else ''}{format_key_path(self.key)}"
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


def display_path(path: Path) -> str:
    """Paths relative to the working directory when possible: shorter and clickable."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)
