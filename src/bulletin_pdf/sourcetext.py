"""Text as printed, tied to where the author wrote it.

The build normalises the *parsed* text of an issue (Markdown text tokens,
front-matter values), never its syntax. Each character of such a text keeps
the offset in its source file it came from, so one normalisation serves all:
the build prints its result, `lint` reports each edit at file:line:column and
`--fix` writes back exactly those edits (where the source spells the text
character for character; an escape or entity is reported for a person), and
the glyph coverage check names the place of every printed character.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable
from dataclasses import dataclass, field
from itertools import pairwise
from pathlib import Path

from .normalize import Edit, normalize

# (line, column), both 1-based; column None where only the line is known.
Place = tuple[int, int | None]


@dataclass(frozen=True)
class SourceFile:
    """A text file as read (BOM and CR removed), with its line starts."""

    path: Path
    text: str
    line_starts: tuple[int, ...]

    @classmethod
    def of(cls, path: Path, text: str) -> SourceFile:
        starts = [0] + [index + 1 for index, char in enumerate(text) if char == "\n"]
        return cls(path, text, tuple(starts))

    def line(self, number: int) -> str:
        """The text of 1-based line `number`, without its line end."""
        start = self.line_starts[number - 1]
        end = self.line_starts[number] - 1 if number < len(self.line_starts) else len(self.text)
        return self.text[start:end]

    def offset(self, line: int, column: int = 1) -> int:
        return self.line_starts[line - 1] + column - 1

    def place(self, offset: int) -> Place:
        line = bisect.bisect_right(self.line_starts, offset)
        return line, offset - self.line_starts[line - 1] + 1


@dataclass
class SourceText:
    """Characters to normalise, each with its source offset.

    `offsets`: where each character is written, None where that is not known
    (then `fallback`, the start of its block or key, gives the line).
    `exact`: the character is written as itself at its offset, so a fix may
    replace it there (not so for an escape, an entity or a folded YAML line).
    `locked`: never changed (code, URLs, the place of an image).
    """

    fallback: int
    text: str = ""
    offsets: list[int | None] = field(default_factory=list)
    exact: list[bool] = field(default_factory=list)
    locked: list[bool] = field(default_factory=list)

    def add(self, text: str, offsets: Iterable[int | None], exact: bool,
            locked: bool = False) -> None:
        offsets = list(offsets)
        self.text += text
        self.offsets += offsets
        self.exact += [exact and offset is not None for offset in offsets]
        self.locked += [locked] * len(text)

    def place(self, index: int, file: SourceFile) -> Place:
        offset = self.offsets[index] if index < len(self.offsets) else None
        if offset is None:
            return file.place(self.fallback)[0], None
        return file.place(offset)

    def protected(self) -> list[tuple[int, int]]:
        spans, start = [], None
        for index, locked in enumerate([*self.locked, False]):
            if locked and start is None:
                start = index
            elif not locked and start is not None:
                spans.append((start, index))
                start = None
        return spans


@dataclass(frozen=True)
class Change:
    """One edit of a normalisation rule, at its place in the source."""

    place: Place
    rule: str
    before: str
    after: str
    fixable: bool  # `lint --fix` can write it back


@dataclass(frozen=True)
class Note:
    """Something a rule could not fix on its own, at its place in the source."""

    place: Place
    rule: str
    message: str


@dataclass(frozen=True)
class Fix:
    """Replace the source's characters [start, end) with `text`."""

    start: int
    end: int
    text: str


@dataclass
class Normalised:
    text: str
    origin: list[int]  # the index in the source text each character of `text` came from
    changes: list[Change]
    notes: list[Note]
    fixes: list[Fix]


@dataclass(frozen=True)
class PrintedText:
    """A text as it will be printed, the kind of text it is, and each character's place."""

    kind: str  # which font roles print it: the layout's `text_roles`
    text: str
    file: Path
    places: tuple[Place, ...]


def normalise_source(source: SourceText, file: SourceFile, rules: Iterable[str],
                     title: bool = False) -> Normalised:
    """Normalise `source`, placing every edit and finding in the source file."""
    state = normalize(source.text, rules, source.protected(), title)
    origin = state.origin[:len(state.text)]  # without the entry for the end of the text
    hunks = _hunks(state.edits)
    fixes: list[Fix] = []
    fixable_hunks = set()
    for start, end in hunks:
        if _writable(source, start, end):
            text = "".join(char for char, index in zip(state.text, origin, strict=True)
                           if start <= index < end)
            first, last = source.offsets[start], source.offsets[end - 1]
            assert first is not None and last is not None
            fixes.append(Fix(first, last + 1, text))
            fixable_hunks.add((start, end))
    changes = [Change(source.place(edit.start, file), edit.rule, edit.before, edit.after,
                      _hunk_of(edit, hunks) in fixable_hunks) for edit in state.edits]
    notes = [Note(source.place(finding.position, file), finding.rule, finding.message)
             for finding in state.findings]
    return Normalised(state.text, origin, changes, notes, fixes)


def _hunks(edits: list[Edit]) -> list[tuple[int, int]]:
    """Overlapping edits (a rule changing what another rule wrote) as one span each."""
    hunks: list[list[int]] = []
    for edit in sorted((edit for edit in edits if edit.end > edit.start),
                       key=lambda edit: edit.start):
        if hunks and edit.start < hunks[-1][1]:
            hunks[-1][1] = max(hunks[-1][1], edit.end)
        else:
            hunks.append([edit.start, edit.end])
    return [(start, end) for start, end in hunks]


def _hunk_of(edit: Edit, hunks: list[tuple[int, int]]) -> tuple[int, int] | None:
    # An edit of another rule's replacement is empty at that replacement's start.
    return next((hunk for hunk in hunks if hunk[0] <= edit.start < hunk[1]
                 or hunk[0] == edit.start), None)


def _writable(source: SourceText, start: int, end: int) -> bool:
    """The span is written in the source exactly and in one piece."""
    offsets = source.offsets[start:end]
    return all(source.exact[start:end]) and all(
        later == earlier + 1 for earlier, later in pairwise(offsets))  # type: ignore[operator]


def apply_fixes(text: str, fixes: Iterable[Fix]) -> str:
    pieces, last = [], 0
    for fix in sorted(fixes, key=lambda fix: fix.start):
        pieces += [text[last:fix.start], fix.text]
        last = fix.end
    pieces.append(text[last:])
    return "".join(pieces)


def printed(kind: str, normalised_text: str, origin: list[int], source: SourceText,
            file: SourceFile, keep: Iterable[bool] | None = None) -> PrintedText:
    """The printed characters of a normalised text with their places.

    `keep` (per source character) leaves out what is not printed as text.
    """
    kept = list(keep) if keep is not None else [True] * len(source.text)
    chars, places = [], []
    for char, index in zip(normalised_text, origin, strict=True):
        if kept[index]:
            chars.append(char)
            places.append(source.place(index, file))
    return PrintedText(kind, "".join(chars), file.path, tuple(places))
