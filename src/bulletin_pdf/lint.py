"""`bulletin-pdf lint`: the normalisation of the build, reported per file, line and column.

It reads each article exactly as the build does (`articles.read_article`:
Markdown parsed first, then its text normalised), so it lists the very edits
the build applies. With `--fix` they are written back into the Markdown files
— all of them, or none if any changed on disk since it was read or may not be
written — so the sources say what the PDF says. An edit the source does not
spell character for character (an escape, an entity, a folded YAML value) is
listed for a person.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
from collections import Counter
from collections.abc import Iterable
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

from .articles import read_article
from .errors import BulletinError, Problem
from .files import replace_when_done, system_refusals_as_problems, writable
from .normalize import RULE_NAMES
from .sourcetext import apply_fixes

BY_HAND = "（须手工修改：源文件中此处的写法与印出的文字不同，如转义、实体或分行写的 YAML 值）"


@dataclass(frozen=True)
class LintEntry:
    path: Path
    line: int
    column: int | None
    rule: str
    before: str
    after: str | None  # None: a finding, the message is in `before`
    fixable: bool = True  # `--fix` writes it back

    @property
    def automatic(self) -> bool:
        return self.after is not None and self.fixable

    def format(self, shown_path: str) -> str:
        where = f"{shown_path}:{self.line}" + (f":{self.column}" if self.column else "")
        rule = RULE_NAMES.get(self.rule, self.rule)
        if self.after is None:
            return f"{where}  {rule}  {self.before}"
        change = f"{where}  {rule}  {_show(self.before)} → {_show(self.after)}"
        return change if self.fixable else change + BY_HAND


@dataclass
class FileLint:
    path: Path
    entries: list[LintEntry]
    fixed_text: str
    original_digest: str

    @property
    def fixable(self) -> bool:
        return any(entry.automatic for entry in self.entries)


def lint_file(path: Path, rules: Iterable[str]) -> FileLint:
    raw = path.read_bytes()
    article = read_article(path, rules)
    entries = [LintEntry(path, *change.place, change.rule, change.before, change.after,
                         change.fixable) for change in article.changes]
    entries += [LintEntry(path, *note.place, note.rule, note.message, None)
                for note in article.notes]
    entries.sort(key=lambda entry: (entry.line, entry.column or 0))
    fixed = apply_fixes(article.file.text, article.fixes)
    return FileLint(path, entries, fixed, hashlib.sha256(raw).hexdigest())


def write_fixes(results: list[FileLint]) -> list[FileLint]:
    """Write the fixes of every file that has some, or of none; return those written.

    Nothing is written if any of them changed on disk since it was read, or is a
    file the user may not write (read-only, or in a read-only folder). Each file is
    written beside itself and renamed over it once all are written, so a failure
    (a full disk) leaves every file as it was and no temporary file behind.
    """
    fixable = [result for result in results if result.fixable]
    problems = [problem for result in fixable if (problem := _cannot_fix(result))]
    if problems:
        raise BulletinError(problems)
    with system_refusals_as_problems(), ExitStack() as renames:
        for result in fixable:
            status = result.path.stat()
            temporary = renames.enter_context(replace_when_done(result.path, status.st_mode & 0o7777))
            temporary.write_text(result.fixed_text, encoding="utf-8", newline="\n")
            with contextlib.suppress(OSError):  # root fixing another user's file keeps it theirs
                os.chown(temporary, status.st_uid, status.st_gid)
    return fixable


def _cannot_fix(result: FileLint) -> Problem | None:
    if hashlib.sha256(result.path.read_bytes()).hexdigest() != result.original_digest:
        return Problem("检查后文件又被改动过，未写入任何文件：请重新运行 lint --fix", result.path)
    if not writable(result.path):
        return Problem("文件是只读的，未写入任何文件：请取消只读后重新运行 lint --fix", result.path)
    if not writable(result.path.parent):
        return Problem("文件所在的文件夹不可写，未写入任何文件：请检查权限后重新运行 lint --fix",
                       result.path.parent)
    return None


def count_by_rule(results: list[FileLint]) -> Counter[str]:
    """How many edits of each rule `--fix` writes back."""
    return Counter(entry.rule for result in results for entry in result.entries
                   if entry.automatic)


def count_summary(counts: Counter[str]) -> str:
    """`标点 3，引号 2`: how many edits of each rule, the most first."""
    return "，".join(f"{RULE_NAMES.get(rule, rule)} {count}"
                    for rule, count in counts.most_common()) or "无"


def _show(text: str) -> str:
    """Spaces made visible: `␣`, and an empty replacement as `（删除）`."""
    return text.replace(" ", "␣").replace("\t", "⇥") if text else "（删除）"
