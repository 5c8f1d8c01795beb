"""Several issues in one `build`: `build issues/2025-001 issues/2025-002`, or `build issues/`.

Each issue is built as `build` builds one (unchanged ones are skipped by the build
record); issues are built side by side when the machine has cores to spare (each
build already lays out its screen and print PDFs at once). One issue's problems
do not stop the others: every issue gets its outcome, and the caller exits
non-zero naming the ones that failed.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from functools import partial
from pathlib import Path

from .build import build, can_fork
from .errors import Problem, display_path
from .forked import run_jobs
from .request import BuildOptions, Made

CORES_PER_BUILD = 2  # a build's own processes: screen and print


@dataclass(frozen=True)
class IssueBuild:
    """What building one issue came to: its outputs, or its problems."""

    issue: Path
    made: tuple[Made, ...] = ()
    problems: tuple[Problem, ...] = ()
    seconds: float = 0.0
    warnings: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        return not self.problems


def build_issues(folders: list[Path], options: BuildOptions,
                 say: Callable[[Path, str], None]) -> list[IssueBuild]:
    """Build every issue in `folders` with `options` (its `issue` replaced by each)."""
    at_once = max(1, (os.cpu_count() or 1) // CORES_PER_BUILD)
    outcomes: list[IssueBuild] = []
    for start in range(0, len(folders), at_once):
        batch = folders[start:start + at_once]
        jobs = [(display_path(folder), partial(_timed_build, replace(options, issue=folder),
                                               partial(say, folder)))
                for folder in batch]
        for folder, outcome in zip(batch, run_jobs(jobs, fork=len(jobs) > 1 and can_fork()),
                                   strict=True):
            if outcome.problems:
                outcomes.append(IssueBuild(folder, problems=outcome.problems))
            else:
                made, seconds, warnings = outcome.value
                outcomes.append(IssueBuild(folder, tuple(made), seconds=seconds,
                                           warnings=tuple(warnings)))
    return outcomes


def _timed_build(options: BuildOptions, say: Callable[[str], None]
                 ) -> tuple[list[Made], float, list[str]]:
    """The build's outputs, its time, and its warnings (told with the issue's outcome)."""
    started = time.monotonic()
    warnings: list[str] = []
    made = build(options, say, warnings.append)
    return made, time.monotonic() - started, warnings


def summary(outcomes: list[IssueBuild]) -> dict:
    """The outcomes for machines (`build --json`): files, pages, sizes, times, problems."""
    return {
        "ok": all(outcome.ok for outcome in outcomes),
        "issues": [{
            "issue": display_path(outcome.issue),
            "ok": outcome.ok,
            "seconds": round(outcome.seconds, 2),
            "outputs": [{
                "profile": made.profile,
                "path": display_path(made.path),
                "skipped": made.unchanged,
                "pages": made.pages if not made.unchanged else None,
                "bytes": made.path.stat().st_size if made.path.is_file() else None,
                "seconds": round(made.seconds, 2),
                "pdfx": made.pdfx,
                "notes": list(made.notes),
            } for made in outcome.made],
            "warnings": list(outcome.warnings),
            "problems": [{
                "file": display_path(problem.file) if problem.file else None,
                "line": problem.line,
                "key": list(problem.key),
                "message": problem.message,
                "text": str(problem),
            } for problem in outcome.problems],
        } for outcome in outcomes],
    }
