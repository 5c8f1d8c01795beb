"""Jobs run in forked processes that die with their parent and report back through a pipe.

The build lays out its outputs on several cores at once by forking. A child
must never outlive the run that made it: killed with `kill -9`, the parent
cannot stop it, so the child asks the kernel to kill it when its parent goes
(Linux `prctl(PR_SET_PDEATHSIG)`). What a child did — its result, the problems
it found, or the error it hit — comes back pickled through a pipe; a child
that ends any other way (a signal, the OOM killer) fails the run.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import pickle
import select
import signal
import sys
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .errors import BulletinError, Problem

PR_SET_PDEATHSIG = 1  # <linux/prctl.h>


class ChildDied(Exception):
    """A forked job ended without reporting: killed by a signal, or exited on its own."""

    def __init__(self, label: str, status: int):
        self.label = label
        self.status = status
        code = os.waitstatus_to_exitcode(status)
        if code < 0:
            name = signal.Signals(-code).name if -code in signal.valid_signals() else str(-code)
            how = f"被信号 {-code}（{name}）终止"
        else:
            how = f"意外退出（退出码 {code}）"
        super().__init__(f"{label}的进程{how}")


class _RemoteTraceback(Exception):
    """The child's traceback, shown under `--debug` as the cause of the error."""

    def __init__(self, text: str):
        super().__init__(text)

    def __str__(self) -> str:
        return f"\n子进程中的调用栈：\n{self.args[0]}"


class ChildError(Exception):
    """An unexpected exception in a forked job, carried over as its name and message."""


@dataclass(frozen=True)
class Outcome:
    """What one job did: its value, or the problems it found (a BulletinError's)."""

    value: Any = None
    problems: tuple[Problem, ...] = ()


def die_with_parent(parent: int) -> None:
    """In a forked child: be killed when `parent` ends, even by `kill -9`.

    The kernel sends the signal when the parent dies; if it died before we
    asked, our parent is no longer `parent`, and we leave at once.
    """
    if sys.platform.startswith("linux"):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    if os.getppid() != parent:
        os._exit(1)


def run_jobs(jobs: list[tuple[str, Callable[[], Any]]], fork: bool) -> list[Outcome]:
    """Run every `(label, job)`, all but the first in forked children when `fork`.

    Problems (BulletinError) are outcomes, so every job's are reported. Any other
    exception is raised, a child's as `ChildError` or `ChildDied`; the children still
    running are then killed.
    """
    if not fork or len(jobs) < 2:
        return [_outcome(job) for _, job in jobs]
    sys.stdout.flush()
    sys.stderr.flush()
    children = {_fork(job): label for label, job in jobs[1:]}
    try:
        outcomes = [_outcome(jobs[0][1])]
        for (pid, reader), label in list(children.items()):
            report = _read_all(reader)
            status = os.waitpid(pid, 0)[1]
            del children[pid, reader]  # reaped: its pid may be reused from now on
            os.close(reader)
            outcomes.append(_outcome_of(label, status, report))
        return outcomes
    finally:
        for pid, reader in children:  # interrupted, or a child failed: stop the others
            with contextlib.suppress(ProcessLookupError, ChildProcessError):
                os.kill(pid, signal.SIGKILL)
                os.waitpid(pid, 0)
            os.close(reader)


def run_pool(jobs: list[tuple[str, Callable[[], Any]]], workers: int) -> list[Outcome]:
    """Run every `(label, job)` in forked children, at most `workers` at once; the
    outcomes in the jobs' order. Errors as `run_jobs`."""
    if workers < 2 or len(jobs) < 2:
        return [_outcome(job) for _, job in jobs]
    sys.stdout.flush()
    sys.stderr.flush()
    waiting = list(enumerate(jobs))
    running: dict[int, tuple[int, int, str, list[bytes]]] = {}  # reader → pid, job, label, data
    outcomes: dict[int, Outcome] = {}
    try:
        while waiting or running:
            while waiting and len(running) < workers:
                number, (label, job) = waiting.pop(0)
                pid, reader = _fork(job)
                running[reader] = (pid, number, label, [])
            ready, _, _ = select.select(list(running), [], [])
            for reader in ready:
                pid, number, label, chunks = running[reader]
                if chunk := os.read(reader, 1 << 16):
                    chunks.append(chunk)
                    continue
                status = os.waitpid(pid, 0)[1]
                del running[reader]
                os.close(reader)
                outcomes[number] = _outcome_of(label, status, b"".join(chunks))
        return [outcomes[number] for number in range(len(jobs))]
    finally:
        for reader, (pid, *_) in running.items():
            with contextlib.suppress(ProcessLookupError, ChildProcessError):
                os.kill(pid, signal.SIGKILL)
                os.waitpid(pid, 0)
            os.close(reader)


def _outcome(job: Callable[[], Any]) -> Outcome:
    try:
        return Outcome(job())
    except BulletinError as error:
        return Outcome(problems=tuple(error.problems))


def _fork(job: Callable[[], Any]) -> tuple[int, int]:
    parent = os.getpid()
    reader, writer = os.pipe()
    pid = os.fork()
    if pid:
        os.close(writer)
        return pid, reader
    code = 1  # unless it reports
    try:  # the child: never return into the caller's code
        os.close(reader)
        die_with_parent(parent)
        try:
            report = pickle.dumps(("outcome", _outcome(job)))
        except BaseException as error:  # everything, even Ctrl-C, goes back to the parent
            report = pickle.dumps(("error", f"{type(error).__name__}: {error}",
                                   traceback.format_exc()))
        with os.fdopen(writer, "wb") as pipe:
            pipe.write(report)
        sys.stdout.flush()
        sys.stderr.flush()
        code = 0
    finally:
        os._exit(code)


def _read_all(reader: int) -> bytes:
    chunks = []
    while chunk := os.read(reader, 1 << 16):
        chunks.append(chunk)
    return b"".join(chunks)


def _outcome_of(label: str, status: int, report: bytes) -> Outcome:
    if os.waitstatus_to_exitcode(status) != 0 or not report:
        raise ChildDied(label, status)
    kind, *details = pickle.loads(report)
    if kind == "error":
        raise ChildError(f"{label}：{details[0]}") from _RemoteTraceback(details[1])
    return details[0]
