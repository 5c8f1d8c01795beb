"""`bulletin-pdf watch`: rebuild the screen PDF on every save, and show it in a preview page.

One process stays up: WeasyPrint, the fonts and the templates are loaded once, and
every save of the issue, its layout or the fonts rebuilds the screen PDF through
the same `build` the command line uses (unchanged inputs: nothing is laid out). A
build with problems keeps the last good PDF — on disk, where `build` left it, and in
the preview, with the problems listed above it.
"""

from __future__ import annotations

import errno
import time
import webbrowser
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import watchfiles

from .build import build
from .errors import BulletinError, Problem, display_path
from .names import DEFAULT_PORT
from .preview import PreviewServer, PreviewState, find_pdfjs
from .request import BuildOptions, Made, Project, find_project

DEBOUNCE_MS = 150  # an editor's save is often several writes


@dataclass(frozen=True)
class Reporter:
    """Where the watcher tells what it does (the command line prints it)."""

    say: Callable[[str], None]  # a build's progress
    updated: Callable[[Made, float], None]  # a new PDF
    failed: Callable[[list[str]], None]  # a build's problems; the last PDF stays


def start_server(issue: Path, port: int | None) -> tuple[PreviewServer, Project]:
    """The preview server for `issue`, listening (on `port`, else on DEFAULT_PORT or any)."""
    project = find_project(issue)
    state = PreviewState(display_path(issue), find_pdfjs(project.root))
    for candidate in ([port] if port is not None else [DEFAULT_PORT, 0]):
        try:
            return PreviewServer(state, candidate), project
        except OSError as error:
            if error.errno != errno.EADDRINUSE or port is not None:
                raise BulletinError([Problem(
                    f"无法在 127.0.0.1:{candidate} 上提供预览（{error.strerror}）："
                    "换一个端口（--port），或不写 --port 自动选择", issue)]) from None
    raise AssertionError("port 0 is always free")


def watch(issue: Path, server: PreviewServer, project: Project, report: Reporter,
          open_browser: bool = False) -> None:
    """Build, serve, and rebuild on every change until Ctrl-C (KeyboardInterrupt)."""
    server.serve_in_background()
    try:
        if open_browser:
            webbrowser.open(server.url)
        _rebuild(issue, server.state, report, force=True)  # the first PDF, whatever is on disk
        watched = [path for path in (issue, project.layouts, project.fonts) if path.exists()]
        for _changes in watchfiles.watch(*watched, debounce=DEBOUNCE_MS, step=50):
            _rebuild(issue, server.state, report)
    finally:
        server.shutdown()
        server.server_close()


def _rebuild(issue: Path, state: PreviewState, report: Reporter, force: bool = False) -> None:
    state.building()
    warnings: list[str] = []
    started = time.monotonic()
    try:
        made = build(BuildOptions(issue, profile="screen", force=force), report.say, warnings.append)[0]
    except BulletinError as error:
        problems = [str(problem) for problem in error.problems]
        state.failed(problems, time.strftime("%H:%M:%S"))
        report.failed(problems)
        return
    seconds = time.monotonic() - started
    if made.unchanged and state.pdf() is not None:  # a save that changed nothing printed
        state.unchanged(time.strftime("%H:%M:%S"), warnings)
        return
    state.ready(made.path.read_bytes(), made.pages, seconds, time.strftime("%H:%M:%S"), warnings)
    report.updated(made, seconds)
