"""Files an editor names (articles, photos): inside the issue folder, or a message saying what to write.

Issues travel between Windows PCs, mail attachments and cameras: names change
case (`IMG_4521.JPG`), paths get backslashes (`images\\a.jpg`), typos creep in.
A missing file is reported with the nearest file that does exist, written as the
editor would write it ("是否想写 …"); nothing outside the issue folder is listed.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

WINDOWS_DRIVE = re.compile(r"^[A-Za-z]:[\\/]")
NETWORK_SCHEMES = ("http", "https", "ftp")
SIMILAR = 0.8  # difflib ratio for a likely typo: `kaibna.jpg` for `kaiban.jpg`, not `a.md` for `b.md`


@dataclass(frozen=True)
class FileKind:
    """What the editor points at, for messages: `图片 “…” 不存在`."""

    noun: str  # 图片, 文章文件
    relative_to: str  # where a relative path starts, in words
    example: str  # a path of the right form


def file_problem(written: str, base: Path, issue_folder: Path, kind: FileKind,
                 path: str | None = None) -> str | None:
    """Why `written` does not name a file inside the issue folder, or None when it does.

    `base`: the folder the path is relative to; `path`: the path as a file name when it
    differs from what was written (a Markdown image's `%20` decoded).
    """
    path = written if path is None else path
    shown = f"{kind.noun} “{written}”"
    advice = f"请写相对于{kind.relative_to}的路径，如 {kind.example}"
    scheme = urlsplit(written).scheme.lower()
    if WINDOWS_DRIVE.match(written):  # before the scheme: `C:\…` reads as scheme `c`
        return f"{shown} 是绝对路径：{advice}"
    if scheme in NETWORK_SCHEMES:
        return f"{shown} 是网络地址：简报只使用本期文件夹内的文件，请把文件放进期刊文件夹，{advice}"
    if scheme:
        return f"{shown} 是 {scheme}: 地址，不是本期文件夹内的文件：{advice}"
    if path.startswith(("/", "\\")):
        return f"{shown} 是绝对路径：{advice}"
    target = (base / path).resolve()
    if not target.is_relative_to(issue_folder):
        return f"{shown} 在期刊文件夹之外：只能使用本期文件夹内的文件，{advice}"
    if target.is_file():
        return None
    if target.is_dir():
        return f"{shown} 是文件夹，不是文件"
    return f"{shown} 不存在{_did_you_mean(path, base, issue_folder)}"


def _did_you_mean(path: str, base: Path, issue_folder: Path) -> str:
    wanted = path.replace("\\", "/")
    suggestion = nearest_file(wanted, base, issue_folder)
    backslash = "\\" in path
    if suggestion is None or suggestion == path:
        return "；路径中的 “\\” 请改为 “/”" if backslash else ""
    why = ("路径中的 “\\” 应为 “/”" if backslash
           else "文件名区分大小写" if suggestion.casefold() == wanted.casefold() else "")
    return f"，是否想写 “{suggestion}”？" + (f"（{why}）" if why else "")


def nearest_file(path: str, base: Path, issue_folder: Path) -> str | None:
    """The existing file whose path (relative to `base`) is closest to `path`, part by part."""
    folder, chosen = base, []
    parts = [part for part in path.split("/") if part not in ("", ".")]
    for position, part in enumerate(parts):
        if part == "..":
            folder, chosen = folder.parent, [*chosen, part]
            continue
        if not folder.resolve().is_relative_to(issue_folder):
            return None
        last = position == len(parts) - 1
        try:
            names = [entry.name for entry in folder.iterdir()
                     if not entry.name.startswith(".") and (entry.is_file() if last else entry.is_dir())]
        except OSError:
            return None
        match = _closest(part, names)
        if match is None:
            return None
        folder, chosen = folder / match, [*chosen, match]
    return "/".join(chosen) if chosen else None


def _closest(name: str, names: list[str]) -> str | None:
    """`name` itself, the same name in another case, or a likely typo of it."""
    if name in names:
        return name
    by_folded = {candidate.casefold(): candidate for candidate in names}
    if name.casefold() in by_folded:
        return by_folded[name.casefold()]
    close = difflib.get_close_matches(name.casefold(), list(by_folded), n=1, cutoff=SIMILAR)
    return by_folded[close[0]] if close else None
