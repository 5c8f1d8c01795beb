"""`bulletin-pdf lint`: the normalisation of the build, reported per file, line and column.

It reads each article exactly as the build does (`articles.read_article`:
Markdown parsed first, then its text normalised), so it lists the very edits
the build applies. With `--fix` they are written back into the Markdown files
— each only if it has not changed on disk since it was read — so the sources
say what the PDF says. An edit the source does not spell character for
character (an escape, an entity, a folded YAML value) is listed for a person.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from .articles import read_article
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
