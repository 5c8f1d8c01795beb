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
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import partial
from typing import Any

from .errors import BulletinError, Problem

PR_SET_PDEATHSIG = 1  # <linux/prctl.h>
PR_SET_NAME = 15
# A child's name in `ps` and /proc/PID/comm (at most 15 bytes), set once its death
# signal is armed: a process by this name cannot outlive its parent.
CHILD_NAME = "bulletin-worker"


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
    asked, our parent is no longer `parent`, and we leave at once. The new name
    marks the child as armed (and tells it from its parent in `ps`).
    """
    if sys.platform.startswith("linux"):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
        libc.prctl(PR_SET_NAME, CHILD_NAME.encode(), 0, 0, 0)
    if os.getppid() != parent:
        os._exit(1)


def can_fork() -> bool:
    """Fork only when output goes to real files (not to a test's captured streams)."""
    try:
        sys.stdout.fileno()
        sys.stderr.fileno()
    except (AttributeError, OSError, ValueError):
        return False
    return hasattr(os, "fork")


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


# ---- Jobs that ask the parent on the way -----------------------------------------

Ask = Callable[[Any], Any]  # in a job: send a question to the parent, wait for its answer


class Conversations:
    """Forked jobs that may stop to ask the parent something only it can answer later
    (where a layout unit falls depends on the units before it).

    `submit(key, label, job)`: `job(ask)` runs in a child, at most `workers` at once
    working; a child waiting for an answer does not count, but at most `alive` children
    exist. `events()` yields ("question", key, payload) and ("done", key, Outcome);
    `answer(key, reply)` lets a waiting child go on. With `workers` 0 the jobs run here,
    in order, and a question must be answerable at once (`answer_now`).
    """

    def __init__(self, workers: int, alive: int, answer_now: Callable[[str, Any], Any]):
        self.workers = workers
        self.alive = max(alive, workers)
        self.answer_now = answer_now
        self.queued: list[tuple[str, str, Callable[[Ask], Any]]] = []
        self.children: dict[int, _Child] = {}  # by the reader of its messages

    def submit(self, key: str, label: str, job: Callable[[Ask], Any]) -> None:
        self.queued.append((key, label, job))

    def answer(self, key: str, reply: Any) -> None:
        child = next(child for child in self.children.values() if child.key == key)
        child.waiting = False
        _write_frame(child.replies, pickle.dumps(reply))

    @property
    def busy(self) -> bool:
        return bool(self.queued or self.children)

    def events(self) -> Iterator[tuple[str, str, Any]]:
        """What happened since the last call: at least one event, unless nothing runs."""
        if self.workers == 0:
            yield from self._run_here()
            return
        self._start()
        if not self.children:
            return
        ready, _, _ = select.select(list(self.children), [], [])
        for reader in ready:
            child = self.children[reader]
            chunk = os.read(reader, 1 << 16)
            if chunk:
                child.buffer += chunk
                for frame in child.frames():
                    kind, *details = pickle.loads(frame)
                    if kind == "ask":
                        child.waiting = True
                        yield "question", child.key, details[0]
                    elif kind == "outcome":
                        child.outcome = details[0]
                    else:
                        child.error = details
                continue
            yield "done", child.key, self._reap(reader)

    def close(self) -> None:
        """Stop every child still running (an error, Ctrl-C)."""
        for child in self.children.values():
            with contextlib.suppress(ProcessLookupError, ChildProcessError):
                os.kill(child.pid, signal.SIGKILL)
                os.waitpid(child.pid, 0)
            os.close(child.reader)
            os.close(child.replies)
        self.children.clear()

    def _run_here(self) -> Iterator[tuple[str, str, Any]]:
        while self.queued:
            key, _, job = self.queued.pop(0)
            yield "done", key, _outcome(partial(job, partial(self.answer_now, key)))

    def _start(self) -> None:
        working = sum(not child.waiting for child in self.children.values())
        while self.queued and working < self.workers and len(self.children) < self.alive:
            key, label, job = self.queued.pop(0)
            child = _fork_conversation(key, label, job)
            self.children[child.reader] = child
            working += 1

    def _reap(self, reader: int) -> Outcome:
        child = self.children.pop(reader)
        status = os.waitpid(child.pid, 0)[1]
        os.close(reader)
        os.close(child.replies)
        if child.error is not None:
            raise ChildError(f"{child.label}：{child.error[0]}") from _RemoteTraceback(child.error[1])
        if child.outcome is None or os.waitstatus_to_exitcode(status) != 0:
            raise ChildDied(child.label, status)
        return child.outcome


@dataclass
class _Child:
    key: str
    label: str
    pid: int
    reader: int  # its messages
    replies: int  # our answers
    waiting: bool = False
    buffer: bytes = b""
    outcome: Outcome | None = None
    error: list | None = None

    def frames(self) -> Iterator[bytes]:
        while len(self.buffer) >= 8:
            size = int.from_bytes(self.buffer[:8], "big")
            if len(self.buffer) < 8 + size:
                return
            frame, self.buffer = self.buffer[8:8 + size], self.buffer[8 + size:]
            yield frame


def _write_frame(descriptor: int, data: bytes) -> None:
    view = memoryview(len(data).to_bytes(8, "big") + data)
    while view:
        view = view[os.write(descriptor, view):]


def _read_frame(descriptor: int) -> bytes:
    def exactly(count: int) -> bytes:
        data = b""
        while len(data) < count:
            chunk = os.read(descriptor, count - len(data))
            if not chunk:
                raise EOFError("the parent is gone")
            data += chunk
        return data
    return exactly(int.from_bytes(exactly(8), "big"))


def _fork_conversation(key: str, label: str, job: Callable[[Ask], Any]) -> _Child:
    parent = os.getpid()
    reader, writer = os.pipe()
    replies_reader, replies = os.pipe()
    pid = os.fork()
    if pid:
        os.close(writer)
        os.close(replies_reader)
        return _Child(key, label, pid, reader, replies)
    code = 1
    try:  # the child: never return into the caller's code
        os.close(reader)
        os.close(replies)
        die_with_parent(parent)

        def ask(question: Any) -> Any:
            _write_frame(writer, pickle.dumps(("ask", question)))
            return pickle.loads(_read_frame(replies_reader))

        try:
            report = pickle.dumps(("outcome", _outcome(partial(job, ask))))
        except BaseException as error:  # everything, even Ctrl-C, goes back to the parent
            report = pickle.dumps(("error", f"{type(error).__name__}: {error}",
                                   traceback.format_exc()))
        _write_frame(writer, report)
        sys.stdout.flush()
        sys.stderr.flush()
        code = 0
    finally:
        os._exit(code)
