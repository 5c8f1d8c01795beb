"""Writing files whole or not at all, and saying in Chinese why the system refused.

A failed run changes nothing. A file is written to a temporary name beside
its target and renamed over it only when complete (`replace_when_done`); a
build's outputs wait in a hidden staging folder until every one of them has
passed (`StagingFolder`). A staging folder is locked while any process of its
run lives, so a later run removes what a killed one left and nothing else.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import hashlib
import os
import shutil
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from .errors import BulletinError, Problem

STAGING_PREFIX = ".bulletin-pdf-"
STAGING_SUFFIX = ".tmp"

# What the system says when a write or read fails for reasons outside the program.
SYSTEM_REFUSALS = {
    errno.ENOSPC: "磁盘已满，无法写入：请腾出空间后重新运行",
    errno.EDQUOT: "超出磁盘配额，无法写入：请腾出空间后重新运行",
    errno.EFBIG: "文件超出系统允许的大小，无法写入",
    errno.EROFS: "所在的磁盘或文件夹是只读的，无法写入：请换一个位置（如用 -o 指定输出文件）",
    errno.EACCES: "没有权限读写此文件或文件夹：请检查权限，或换一个位置",
    errno.EPERM: "系统不允许修改此文件或文件夹（可能被设为只读或不可更改）：请检查权限，或换一个位置",
    errno.EISDIR: "这是一个文件夹，不是文件：请写出文件名",
    errno.ENOTDIR: "路径中有一部分是文件而不是文件夹",
    errno.EIO: "磁盘读写出错：请检查磁盘后重新运行",
}


def system_refusal(error: OSError) -> Problem | None:
    """A user-facing problem for an OSError that is the system's refusal, not a bug."""
    message = SYSTEM_REFUSALS.get(error.errno) if error.errno is not None else None
    if message is None:
        return None
    filename = error.filename2 if error.errno == errno.EISDIR and error.filename2 else error.filename
    return Problem(message, Path(os.fsdecode(filename)) if filename else None)


@contextmanager
def system_refusals_as_problems() -> Iterator[None]:
    """Inside: an OSError that is the system's refusal (disk full, read-only…) is the
    user's problem to solve (exit 2, in Chinese), not a bug in bulletin-pdf."""
    try:
        yield
    except OSError as error:
        problem = system_refusal(error)
        if problem is None:
            raise
        raise BulletinError([problem]) from None


def writable(path: Path) -> bool:
    """Whether the user may write `path` (a file or a folder).

    Both the system's answer and the mode bits count: root may write anything,
    but a file nobody may write (mode 444, say) was made read-only on purpose.
    """
    try:
        mode = path.stat().st_mode
    except OSError:
        return False
    return bool(mode & 0o222) and os.access(path, os.W_OK | (os.X_OK if path.is_dir() else 0))


@contextmanager
def replace_when_done(target: Path, mode: int = 0o644) -> Iterator[Path]:
    """A temporary path beside `target`, renamed over it only if the block succeeds.

    A failed write therefore never leaves a broken file where a good one was,
    nor a temporary file beside it.
    """
    descriptor, name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=STAGING_SUFFIX,
                                        dir=target.parent)
    os.close(descriptor)
    temporary = Path(name)
    try:
        yield temporary
        os.chmod(temporary, mode)
        os.replace(temporary, target)
    finally:
        temporary.unlink(missing_ok=True)


def write_atomically(target: Path, data: bytes, mode: int = 0o644) -> None:
    """`target` holds either its old content or all of `data`, never a part."""
    target.parent.mkdir(parents=True, exist_ok=True)
    with replace_when_done(target, mode) as temporary:
        temporary.write_bytes(data)


class StagingFolder:
    """A hidden folder beside a build's outputs, where they wait until all of them passed.

    It holds an exclusive `flock` for as long as any process of the build has it open
    (forked children inherit the lock), so the next run can tell a folder left by a
    killed build (unlocked: removed) from one a running build uses (locked: left alone).
    """

    def __init__(self, folder: Path):
        self.folder = folder
        self.path = folder  # set on entering
        self._descriptor = -1
        self._created_folders: list[Path] = []

    def __enter__(self) -> StagingFolder:
        missing = [self.folder, *self.folder.parents]
        self._created_folders = [path for path in missing if not path.exists()]
        self.folder.mkdir(parents=True, exist_ok=True)
        remove_stale_staging(self.folder)
        while True:
            path = Path(tempfile.mkdtemp(prefix=STAGING_PREFIX, suffix=STAGING_SUFFIX,
                                         dir=self.folder))
            descriptor = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
            fcntl.flock(descriptor, fcntl.LOCK_EX)
            if _is_same_folder(descriptor, path):
                break
            os.close(descriptor)  # removed by another run's clean-up before we locked it
        self.path, self._descriptor = path, descriptor
        return self

    def __exit__(self, *exc_info: object) -> None:
        shutil.rmtree(self.path, ignore_errors=True)
        os.close(self._descriptor)
        if exc_info[0] is not None:  # a failed run leaves no folder it made behind
            for folder in self._created_folders:
                with contextlib.suppress(OSError):
                    folder.rmdir()

    def file(self, target: Path) -> Path:
        """Where `target` is staged."""
        return self.path / target.name

    def commit(self, targets: list[Path]) -> None:
        """Rename every staged file over its target (each rename is atomic)."""
        for target in targets:
            os.replace(self.file(target), target)


def remove_stale_staging(folder: Path) -> None:
    """Remove the staging folders of runs that were killed before they could."""
    for path in folder.glob(f"{STAGING_PREFIX}*{STAGING_SUFFIX}"):
        try:
            descriptor = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
        except OSError:
            continue
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(descriptor)  # a running build's
            continue
        try:
            shutil.rmtree(path, ignore_errors=True)
        finally:
            os.close(descriptor)


def _is_same_folder(descriptor: int, path: Path) -> bool:
    try:
        return os.path.samestat(os.fstat(descriptor), os.stat(path))
    except FileNotFoundError:
        return False


def file_identity(path: Path) -> tuple[int, int, int]:
    """Size, modification time and inode: what changes when a file is edited or replaced
    (`mv` keeps a file's time, not its inode). For caches kept within one process."""
    stat = path.stat()
    return stat.st_size, stat.st_mtime_ns, stat.st_ino


def add_files(digest: hashlib._Hash, folders: tuple[Path, ...]) -> None:
    """Every file under `folders`, by name and content, into `digest`."""
    for folder in folders:
        for path in sorted(p for p in folder.rglob("*") if p.is_file() and _counts(p)):
            digest.update(str(path.relative_to(folder)).encode())
            digest.update(hashlib.sha256(path.read_bytes()).digest())


def _counts(path: Path) -> bool:
    return "__pycache__" not in path.parts and path.suffix not in (".pyc", ".tmp")


def remove_unused(folder: Path, max_age: float) -> None:
    """Remove the files of a cache folder not used (touched) for `max_age` seconds."""
    now = time.time()
    with contextlib.suppress(OSError):
        for path in folder.iterdir():
            with contextlib.suppress(OSError):
                if now - path.stat().st_mtime > max_age:
                    path.unlink()
