"""Stage 4: HTML document → PDF file, with WeasyPrint.

Only local files under the document's allowed roots can be read, and the PDF
is written to a temporary file that replaces the target only when complete,
so a failed build never leaves a broken PDF where a good one was.
"""

from __future__ import annotations

import ctypes.util
import logging
import os
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlsplit

import weasyprint
from weasyprint.urls import FatalURLFetchingError, URLFetcher

from .errors import BulletinError, Problem
from .layout import HtmlDocument


@dataclass(frozen=True)
class PdfResult:
    path: Path
    pages: int
    size: int
    warnings: tuple[str, ...]


class ForbiddenResource(FatalURLFetchingError):
    """A stylesheet, image or font outside the allowed folders: stop rendering."""

    def __init__(self, url: str):
        super().__init__(url)
        self.url = url


class LocalFetcher(URLFetcher):
    """Fetch `file:` URLs under the allowed roots; refuse everything else."""

    def __init__(self, allowed_roots: tuple[Path, ...]):
        super().__init__(allowed_protocols={"file"})
        self.allowed_roots = tuple(root.resolve() for root in allowed_roots)

    def fetch(self, url: str, headers: dict | None = None):
        parts = urlsplit(url)
        path = Path(unquote(parts.path)).resolve() if parts.scheme == "file" else None
        if path is None or not any(path == root or path.is_relative_to(root)
                                   for root in self.allowed_roots):
            raise ForbiddenResource(url)
        return super().fetch(url, headers)


def harfbuzz_subset_available() -> bool:
    """Without libharfbuzz-subset WeasyPrint subsets CJK fonts with fontTools, ~20× slower."""
    return ctypes.util.find_library("harfbuzz-subset") is not None


def write_pdf(document: HtmlDocument, output: Path,
              progress: Callable[[str], None] = lambda message: None,
              strict: bool = False) -> PdfResult:
    """Lay out `document` and write it to `output` atomically.

    WeasyPrint's errors (unreadable stylesheets or images) stop the build
    before anything is written; with `strict`, so do its warnings.
    """
    fetcher = LocalFetcher(document.allowed_roots)
    html = weasyprint.HTML(string=document.html, base_url=document.base_url,
                           url_fetcher=fetcher)
    with _weasyprint_messages() as messages:
        try:
            progress("排版中（WeasyPrint）…")
            rendered = html.render()
        except ForbiddenResource as error:
            raise BulletinError([Problem(
                f"排版时试图读取不允许的资源 “{error.url}”：只能使用本期文件夹、版式文件夹和已配置的字体")]
            ) from None
        threshold = logging.WARNING if strict else logging.ERROR
        errors = [message for level, message in messages if level >= threshold]
        if errors:
            raise BulletinError([Problem(f"排版错误：{message}") for message in errors])
        progress(f"已排 {len(rendered.pages)} 页，正在写入 PDF…")
        output.parent.mkdir(parents=True, exist_ok=True)
        with _replace_when_done(output) as temporary:
            rendered.write_pdf(temporary)
    warnings = tuple(message for level, message in messages if level < logging.ERROR)
    return PdfResult(output, len(rendered.pages), output.stat().st_size, warnings)


@contextmanager
def _replace_when_done(target: Path) -> Iterator[Path]:
    """A temporary path next to `target`, renamed over it only if the block succeeds."""
    descriptor, name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp",
                                        dir=target.parent)
    os.close(descriptor)
    temporary = Path(name)
    try:
        yield temporary
        os.chmod(temporary, 0o644)
        os.replace(temporary, target)
    finally:
        temporary.unlink(missing_ok=True)


class _ListHandler(logging.Handler):
    def __init__(self, records: list[tuple[int, str]]):
        super().__init__(logging.WARNING)
        self.records = records

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append((record.levelno, record.getMessage()))


@contextmanager
def _weasyprint_messages() -> Iterator[list[tuple[int, str]]]:
    """Collect WeasyPrint's warnings and errors (bad CSS, unreadable images) as (level, text)."""
    logger = logging.getLogger("weasyprint")
    records: list[tuple[int, str]] = []
    handler = _ListHandler(records)
    logger.addHandler(handler)
    propagate, logger.propagate = logger.propagate, False
    try:
        yield records
    finally:
        logger.removeHandler(handler)
        logger.propagate = propagate
