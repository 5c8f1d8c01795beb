"""`bulletin-pdf import`: Word files into articles of an issue, listed in its issue.yaml.

Every file is converted first, in memory; if any of them cannot be (or would
overwrite an existing article without `--force`), nothing is written. Then the
articles and their pictures are written and listed in the section
(`manifest_edit.append_articles`, which keeps the manifest's comments and
order); should that fail, the files written are taken back. Old Word (.doc) and
WPS files are converted to .docx by LibreOffice when it is installed.
"""

from __future__ import annotations

import contextlib
import re
import shutil
import subprocess
import tempfile
import unicodedata
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from ..errors import BulletinError, Problem, Problems
from ..files import system_refusals_as_problems, write_atomically
from ..manifest import MANIFEST_NAME
from ..manifest_edit import append_articles, articles_section
from ..new_issue import ARTICLES_FOLDER
from . import ImportedArticle, ImportReport, convert
from .package import ENCRYPTED_MARK, OLE_SIGNATURE

IMAGES_FOLDER = "images"  # inside the articles folder, as in the sample issue
WORD_SUFFIXES = (".docx", ".docm")
CONVERTED_SUFFIXES = (".doc", ".wps")  # by LibreOffice, when it is installed
LIBREOFFICE = ("soffice", "libreoffice")
LIBREOFFICE_PACKAGE = "libreoffice-writer"
CONVERSION_SECONDS = 180
STEM_LENGTH = 60


@dataclass(frozen=True)
class ImportedFile:
    """One Word file made an article."""

    source: Path
    article: Path  # the article file written
    images: tuple[Path, ...]  # the pictures written
    report: ImportReport
    overwritten: bool  # it replaced an article of that name (--force)
    already_listed: bool  # issue.yaml listed it already


@dataclass(frozen=True)
class ImportResult:
    section: str  # the title of the section the articles were appended to
    files: tuple[ImportedFile, ...]


def import_files(issue: Path, sources: list[Path], section: str | None = None,
                 force: bool = False) -> ImportResult:
    """Convert `sources` into articles of `issue` and list them in `section` (all or none)."""
    manifest = issue / MANIFEST_NAME
    if not manifest.is_file():
        raise BulletinError([Problem("不是期刊文件夹（没有 issue.yaml）：新的一期请先用 "
                                     f"bulletin-pdf new {issue} 创建", issue)])
    title = articles_section(manifest, section)  # an unknown section is refused before any work
    articles_folder = issue / ARTICLES_FOLDER
    stems = article_stems(sources)
    problems = Problems()
    converted: list[tuple[Path, ImportedArticle]] = []
    for source, stem in zip(sources, stems, strict=True):
        try:
            converted.append((source, _convert(source, stem)))
        except BulletinError as error:
            problems.extend(error.problems)
    problems.raise_if_any()
    writes = [_planned(articles_folder, stem, article) for stem, (_, article)
              in zip(stems, converted, strict=True)]
    if not force:
        for planned in writes:
            problems.extend(_existing(planned))
        problems.raise_if_any()
    overwritten = [planned[0][0].exists() for planned in writes]
    with system_refusals_as_problems(), _all_or_none([file for planned in writes
                                                      for file in planned]):
        for path, data in (file for planned in writes for file in planned):
            write_atomically(path, data)
        appended = append_articles(manifest, section, [
            f"{ARTICLES_FOLDER}/{stem}.md" for stem in stems])
    return ImportResult(title, tuple(
        ImportedFile(source, planned[0][0], tuple(path for path, _ in planned[1:]), article.report,
                     was_there, f"{ARTICLES_FOLDER}/{stem}.md" in appended.already_listed)
        for (source, article), planned, stem, was_there
        in zip(converted, writes, stems, overwritten, strict=True)))


def article_stems(sources: list[Path]) -> list[str]:
    """A file name for each article: the Word file's, made safe, unique among them."""
    stems: list[str] = []
    for source in sources:
        stem = safe_stem(source.stem)
        candidate, number = stem, 2
        while candidate.lower() in (taken.lower() for taken in stems):
            candidate, number = f"{stem}-{number}", number + 1
        stems.append(candidate)
    return stems


def safe_stem(name: str) -> str:
    """`第1期 稿件（定稿）` → `第1期-稿件-定稿`: letters, digits and Chinese kept, spaces → `-`."""
    name = unicodedata.normalize("NFKC", name)
    stem = re.sub(r"[^\w.-]+", "-", name).strip("-._")
    stem = re.sub(r"-{2,}", "-", stem)[:STEM_LENGTH].strip("-._")
    return stem or "article"


def _convert(source: Path, stem: str) -> ImportedArticle:
    """The Word file as an article; old formats through LibreOffice; others refused."""
    suffix = source.suffix.lower()
    if not source.is_file():
        raise BulletinError([Problem("找不到此文件" if not source.exists() else "不是文件", source)])
    if suffix not in WORD_SUFFIXES + CONVERTED_SUFFIXES:
        raise BulletinError([Problem(_refusal(suffix), source)])
    with system_refusals_as_problems():
        data = source.read_bytes()
    if not data.startswith(OLE_SIGNATURE) or ENCRYPTED_MARK in data:
        return convert(source, stem, IMAGES_FOLDER)  # a .docx (whatever its name), or refused
    with tempfile.TemporaryDirectory(prefix="bulletin-pdf-import-") as folder:
        return convert(_converted_by_libreoffice(source, Path(folder)), stem, IMAGES_FOLDER)


def _refusal(suffix: str) -> str:
    what = {".pdf": "PDF 文件不能导入为文章：请向作者要 Word 原稿，或把文字复制到 Word 中另存为 .docx",
            ".md": "Markdown 文章不必导入：放入 articles/ 文件夹，再在 issue.yaml 中列出即可"}
    return what.get(suffix, f"不能导入 “{suffix or '无扩展名'}” 文件：只能导入 Word 文件（.docx；"
                            "装有 LibreOffice 时也可导入 .doc 与 WPS 的 .wps）")


def _converted_by_libreoffice(source: Path, folder: Path) -> Path:
    """An old Word or WPS file saved as .docx by LibreOffice (in `folder`)."""
    program = next((found for name in LIBREOFFICE if (found := shutil.which(name))), None)
    if program is None:
        raise BulletinError([Problem(
            f"这是旧版 Word（.doc）或 WPS 格式的文件：须先转换为 .docx。请安装 LibreOffice"
            f"（sudo apt-get install {LIBREOFFICE_PACKAGE}）后重新导入，或在 Word/WPS 中“另存为” .docx",
            source)])
    profile = (folder / "profile").as_uri()  # its own settings: works beside an open LibreOffice
    command = [program, f"-env:UserInstallation={profile}", "--headless", "--convert-to", "docx",
               "--outdir", str(folder), str(source.resolve())]
    try:
        finished = subprocess.run(command, capture_output=True, text=True, timeout=CONVERSION_SECONDS,
                                  check=False)
    except subprocess.TimeoutExpired:
        raise BulletinError([Problem(f"LibreOffice 在 {CONVERSION_SECONDS} 秒内未能转换此文件",
                                     source)]) from None
    converted = folder / f"{source.stem}.docx"
    if finished.returncode != 0 or not converted.is_file():
        said = " ".join((finished.stderr or finished.stdout).split())[:200]
        raise BulletinError([Problem(f"LibreOffice 未能把此文件转换为 .docx（{said or '没有说明原因'}）：请在"
                                     " Word 或 WPS 中“另存为” .docx 后导入", source)])
    return converted


Planned = list[tuple[Path, bytes]]  # the article first, then its pictures


def _planned(articles_folder: Path, stem: str, article: ImportedArticle) -> Planned:
    return [(articles_folder / f"{stem}.md", article.markdown.encode("utf-8")),
            *((articles_folder / IMAGES_FOLDER / image.name, image.data)
              for image in article.images)]


def _existing(planned: Planned) -> list[Problem]:
    """Files the import would overwrite: refused unless --force."""
    (article, _), *images = planned
    if article.exists():
        return [Problem("已有同名文章，不会覆盖：确要用 Word 稿件替换它（及其图片）时加 --force",
                        article)]
    return [Problem("已有同名图片，不会覆盖：确要替换时加 --force", path)
            for path, _ in images if path.exists()]


@contextmanager
def _all_or_none(files: Planned) -> Iterator[None]:
    """Inside: files written; on any failure each is put back as it was, or removed."""
    before = {path: path.read_bytes() if path.is_file() else None for path, _ in files}
    folders = {folder for path, _ in files for folder in (path.parent, *path.parent.parents)
               if not folder.exists()}
    try:
        yield
    except BaseException:
        for path, data in before.items():
            with contextlib.suppress(OSError):  # the failure being raised says more
                if data is None:
                    path.unlink(missing_ok=True)
                else:
                    write_atomically(path, data)
        for folder in sorted(folders, key=lambda folder: len(folder.parts), reverse=True):
            with contextlib.suppress(OSError):
                folder.rmdir()
        raise
