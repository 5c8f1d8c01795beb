"""`bulletin-pdf import`: Word files into articles, phone photos into the gallery.

Word files (.docx; .doc and WPS through LibreOffice when it is installed) become
articles of an articles section; photos (JPEG, HEIC, PNG…) are copied into the issue's
`gallery/` folder and listed in its gallery section, each captioned by its file name
when the name is one (`开班式现场.jpg`; not `IMG_0001.HEIC`). A folder stands for the
Word files and photos in it. Everything is converted and checked first; if any file
cannot be imported (or would overwrite one without `--force`), nothing is written.
Then the files are written and listed (`manifest_edit`, which keeps the manifest's
comments and order); should that fail, every file written, issue.yaml included, is
put back as it was.
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

from .errors import BulletinError, Problem, Problems
from .files import replace_when_done, system_refusals_as_problems, write_atomically
from .images import IMAGE_SUFFIXES, image_problem
from .manifest_edit import ARTICLES, GALLERY, append_articles, append_photos, section_title
from .names import MANIFEST_NAME
from .new_issue import ARTICLES_FOLDER
from .wordfile import ImportedArticle, ImportReport, convert
from .wordfile.package import ENCRYPTED_MARK, OLE_SIGNATURE

IMAGES_FOLDER = "images"  # inside the articles folder, as in the sample issue
GALLERY_FOLDER = "gallery"  # inside the issue folder, as in the sample issue
WORD_SUFFIXES = (".docx", ".docm")
CONVERTED_SUFFIXES = (".doc", ".wps")  # by LibreOffice, when it is installed
LIBREOFFICE = ("soffice", "libreoffice")
LIBREOFFICE_PACKAGE = "libreoffice-writer"
CONVERSION_SECONDS = 180
STEM_LENGTH = 60
# Names phones, cameras and chat apps give: not captions. `微信图片_20250412`, `IMG_0001`,
# `DSC01234`, `PXL_20250412_0930`, `Screenshot_2025…`, `屏幕截图 2025-04-12`.
MACHINE_NAME = re.compile(
    r"(img|dsc[nf]?|dcim|pxl|mvimg|photo|image|screenshot|mmexport|wx_camera|wechat|"
    r"微信图片|微信截图|屏幕截图|截屏|截图|图片|照片|相片|未命名)[\W_]*[\d_\W]*[a-z]?\d*$", re.IGNORECASE)
ORDER_PREFIX = re.compile(r"^\d{1,3}[\s._、-]+")  # `01-开班式` is numbered to keep its place


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
class ImportedPhoto:
    """One photo copied into the gallery."""

    source: Path
    target: Path  # in the issue's gallery folder
    caption: str | None  # from the file name; None: the name is not a caption
    copied: bool  # False: the same photo was there already
    already_listed: bool


@dataclass(frozen=True)
class ImportResult:
    section: str | None  # the title of the section the articles were appended to
    files: tuple[ImportedFile, ...]
    gallery: str | None = None  # the title of the gallery section the photos went to
    photos: tuple[ImportedPhoto, ...] = ()
    skipped: tuple[Path, ...] = ()  # files in a folder given that are neither


Planned = list[tuple[Path, bytes | Path]]  # a file to write: its data, or the file to copy


def import_files(issue: Path, sources: list[Path], section: str | None = None,
                 force: bool = False) -> ImportResult:
    """Word files of `sources` into articles of `issue`, photos into its gallery, each
    listed in `section` when given (all of one kind then), else in the first section of
    its kind; all or none."""
    manifest = issue / MANIFEST_NAME
    if not manifest.is_file():
        raise BulletinError([Problem("不是期刊文件夹（没有 issue.yaml）：新的一期请先用 "
                                     f"bulletin-pdf new {issue} 创建", issue)])
    words, photos, skipped = sort_sources(sources)
    # An unknown section, or one of the wrong kind, is refused before any work.
    title = section_title(manifest, section, ARTICLES) if words else None
    gallery = section_title(manifest, section, GALLERY) if photos else None
    problems = Problems()
    stems = article_stems(words)
    converted: list[ImportedArticle] = []
    for source, stem in zip(words, stems, strict=True):
        try:
            converted.append(_convert(source, stem))
        except BulletinError as error:
            problems.extend(error.problems)
    for photo in photos:
        if unusable := image_problem(photo):
            problems.add(f"照片{unusable}", photo)
    problems.raise_if_any()
    writes = [_planned(issue / ARTICLES_FOLDER, stem, article)
              for stem, article in zip(stems, converted, strict=True)]
    targets = [issue / GALLERY_FOLDER / name for name in photo_names(photos)]
    copies = [[(target, photo)] for photo, target in zip(photos, targets, strict=True)
              if not _same_file(target, photo)]
    if not force:
        for planned in writes:
            problems.extend(_existing(planned))
        for [(target, _)] in copies:
            problems.extend(_existing_photo(target))
        problems.raise_if_any()
    overwritten = [planned[0][0].exists() for planned in writes]
    copied = {target for [(target, _)] in copies}
    entries = [_gallery_entry(target.relative_to(issue).as_posix(), photo_caption(photo))
               for photo, target in zip(photos, targets, strict=True)]
    everything = [file for planned in writes + copies for file in planned]
    with system_refusals_as_problems(), _all_or_none([*everything, (manifest, b"")]):
        for path, data in everything:
            _write(path, data)
        articles = append_articles(manifest, section, [f"{ARTICLES_FOLDER}/{stem}.md" for stem in stems]) \
            if words else None
        listed = append_photos(manifest, section, entries) if photos else None
    return ImportResult(
        title,
        tuple(ImportedFile(source, planned[0][0], tuple(path for path, _ in planned[1:]), article.report,
                           was_there, articles is not None
                           and f"{ARTICLES_FOLDER}/{stem}.md" in articles.already_listed)
              for source, article, planned, stem, was_there
              in zip(words, converted, writes, stems, overwritten, strict=True)),
        gallery,
        tuple(ImportedPhoto(photo, target, entry.get("caption"), target in copied,
                            listed is not None and entry["file"] in listed.already_listed)
              for photo, target, entry in zip(photos, targets, entries, strict=True)),
        tuple(skipped))


def sort_sources(sources: list[Path]) -> tuple[list[Path], list[Path], list[Path]]:
    """(Word files, photos, files skipped): a folder stands for the files in it (by name,
    numbers in order), where anything else is skipped; a file given by name is never
    skipped (what is not a photo is taken as a Word file, and refused if it is not one)."""
    words: list[Path] = []
    photos: list[Path] = []
    skipped: list[Path] = []
    problems = Problems()
    for source in sources:
        if not source.is_dir():
            (photos if source.suffix.lower() in IMAGE_SUFFIXES else words).append(source)
            continue
        with system_refusals_as_problems():
            inside = sorted((path for path in source.iterdir() if path.is_file()), key=natural_order)
        found = False
        for path in inside:
            suffix = path.suffix.lower()
            if path.name.startswith((".", "~$")) or path.name.lower() in ("thumbs.db", "desktop.ini"):
                continue  # hidden files, Word's lock files, Windows' folder files
            if suffix in IMAGE_SUFFIXES:
                photos.append(path)
            elif suffix in WORD_SUFFIXES + CONVERTED_SUFFIXES:
                words.append(path)
            else:
                skipped.append(path)
                continue
            found = True
        if not found:
            problems.add("文件夹中没有可导入的 Word 稿件或照片", source)
    problems.raise_if_any()
    return words, photos, skipped


def natural_order(path: Path) -> list[tuple[int, int | str]]:
    """`IMG_2.jpg` before `IMG_10.jpg`: digits compared as numbers."""
    return [(0, int(part)) if part.isdigit() else (1, part.lower())
            for part in re.split(r"(\d+)", path.name) if part]


def photo_caption(photo: Path) -> str | None:
    """The caption a photo's file name gives (`01-开班式现场.jpg` → 开班式现场), or None
    when the name is a phone's or an app's (`IMG_0001`, `微信图片_2025…`) or has no Chinese."""
    name = unicodedata.normalize("NFC", photo.stem).replace("_", " ").strip()
    name = ORDER_PREFIX.sub("", name).strip()
    if not name or MACHINE_NAME.match(photo.stem.strip()) or not re.search(r"[\u3400-\u9fff]", name):
        return None
    return name


def photo_names(photos: list[Path]) -> list[str]:
    """Each photo's file name in the gallery folder: its own, made safe, unique among them."""
    return [f"{stem}{photo.suffix.lower()}"
            for stem, photo in zip(article_stems(photos), photos, strict=True)]


def _gallery_entry(file: str, caption: str | None) -> dict[str, str]:
    return {"file": file} if caption is None else {"file": file, "caption": caption}


def _same_file(target: Path, source: Path) -> bool:
    """True when `target` holds `source`'s bytes (imported before: nothing to copy)."""
    with contextlib.suppress(OSError):
        return target.resolve() == source.resolve() or (
            target.is_file() and target.stat().st_size == source.stat().st_size
            and target.read_bytes() == source.read_bytes())
    return False


def _existing_photo(target: Path) -> list[Problem]:
    if target.exists():
        return [Problem("图片栏目的文件夹中已有同名的另一张照片，不会覆盖：确要替换时加 --force", target)]
    return []


def _write(path: Path, data: bytes | Path) -> None:
    if isinstance(data, bytes):
        write_atomically(path, data)
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    with replace_when_done(path, 0o644) as temporary:
        shutil.copyfile(data, temporary)


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
                            "装有 LibreOffice 时也可导入 .doc 与 WPS 的 .wps）和照片（JPEG、HEIC、PNG 等）")


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


def _planned(articles_folder: Path, stem: str, article: ImportedArticle) -> Planned:
    """The article first, then its pictures."""
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
