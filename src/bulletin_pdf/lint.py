"""`bulletin-pdf lint`: the normalisation of the build, reported per file, line and column.

With `--fix` the Markdown files are rewritten in place — each only if it has
not changed on disk since it was read — so the sources say what the PDF says.
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from .articles import NORMALISED_KEYS
from .normalize import Edit, Finding, normalize, normalize_markdown
from .yamlfile import body_start, read_text

FRONT_MATTER_LINE = re.compile(rf"^(?P<key>{'|'.join(NORMALISED_KEYS)}):[ \t]*(?P<value>.*?)[ \t]*$")


@dataclass(frozen=True)
class LintEntry:
    path: Path
    line: int
    column: int
    rule: str
    before: str
    after: str | None  # None: found, not fixable automatically (the message is in `before`)

    def format(self, shown_path: str) -> str:
        where = f"{shown_path}:{self.line}:{self.column}"
        if self.after is None:
            return f"{where}  {self.rule}  {self.before}"
        return f"{where}  {self.rule}  {_show(self.before)} → {_show(self.after)}"


@dataclass
class FileLint:
    path: Path
    entries: list[LintEntry]
    fixed_text: str
    original_digest: str

    @property
    def fixable(self) -> bool:
        return any(entry.after is not None for entry in self.entries)


def lint_file(path: Path, rules: frozenset[str]) -> FileLint:
    raw = path.read_bytes()
    lines = read_text(path).split("\n")
    entries: list[LintEntry] = []
    start = body_start(lines)
    for number in range(1, start - 1):  # front matter lines, between the two ---
        lines[number] = _lint_front_matter_line(path, number, lines[number], rules, entries)
    body = "\n".join(lines[start:])
    fixed_body, edits, findings = normalize_markdown(body, rules)
    entries += _located(path, body, start + 1, edits, findings)
    fixed = "\n".join([*lines[:start], fixed_body])
    entries.sort(key=lambda entry: (entry.line, entry.column))
    return FileLint(path, entries, fixed, hashlib.sha256(raw).hexdigest())


def _lint_front_matter_line(path: Path, index: int, line: str, rules: frozenset[str],
                            entries: list[LintEntry]) -> str:
    match = FRONT_MATTER_LINE.match(line)
    if not match or not match.group("value"):
        return line
    start, value = match.start("value"), match.group("value")
    quote = value[0] if value[0] in "'\"" and value[-1] == value[0] and len(value) > 1 else ""
    if quote:
        start, value = start + 1, value[1:-1]
        if (quote == "'" and "''" in value) or (quote == '"' and "\\" in value):
            return line  # escapes: the text is not the value character for character
    elif value[0] in "[{|>&*!%@`":
        return line  # not a plain one-line text
    state = normalize(value, rules, title=True)
    for edit in state.edits:
        entries.append(LintEntry(path, index + 1, start + edit.start + 1, edit.rule, edit.before,
                                 edit.after))
    for finding in state.findings:
        entries.append(LintEntry(path, index + 1, start + finding.position + 1, finding.rule,
                                 finding.message, None))
    return line[:start] + state.text + line[start + len(value):]


def _located(path: Path, body: str, first_line: int, edits: list[Edit],
             findings: list[Finding]) -> list[LintEntry]:
    starts = [0] + [index + 1 for index, char in enumerate(body) if char == "\n"]

    def position(offset: int) -> tuple[int, int]:
        line = max(number for number, start in enumerate(starts) if start <= offset)
        return first_line + line, offset - starts[line] + 1

    located = [LintEntry(path, *position(edit.start), edit.rule, edit.before, edit.after)
               for edit in edits]
    located += [LintEntry(path, *position(finding.position), finding.rule, finding.message, None)
                for finding in findings]
    return located


def write_fix(result: FileLint) -> bool:
    """Write the fixed text if the file is still as it was read; False if it changed."""
    if hashlib.sha256(result.path.read_bytes()).hexdigest() != result.original_digest:
        return False
    descriptor, name = tempfile.mkstemp(prefix=f".{result.path.name}.", dir=result.path.parent)
    with os.fdopen(descriptor, "w", encoding="utf-8", newline="\n") as file:
        file.write(result.fixed_text)
    os.chmod(name, result.path.stat().st_mode & 0o777)
    os.replace(name, result.path)
    return True


def count_by_rule(results: list[FileLint]) -> Counter[str]:
    return Counter(entry.rule for result in results for entry in result.entries
                   if entry.after is not None)


def _show(text: str) -> str:
    """Spaces made visible: `␣`, and an empty replacement as `（删除）`."""
    return text.replace(" ", "␣").replace("\t", "⇥") if text else "（删除）"
