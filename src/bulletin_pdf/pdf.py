"""Stage 4: HTML document → PDF file, with WeasyPrint.

Only local files under the document's allowed roots can be read. For print,
raster images reach WeasyPrint already converted to CMYK (see `images`).
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
from weasyprint.urls import FatalURLFetchingError, URLFetcher, URLFetcherResponse

from . import justify
from .errors import BulletinError, Problem
from .images import cmyk_jpeg, is_raster
from .layout import HtmlDocument, Profile

justify.install()  # inter-character justification of Chinese lines (see justify.py)

PDFX_VARIANTS = {"4": "pdf/x-4", "1a": "pdf/x-1a"}


@dataclass(frozen=True)
class RenderResult:
    pages: int
    warnings: tuple[str, ...]


class ForbiddenResource(FatalURLFetchingError):
    """A stylesheet, image or font outside the allowed folders: stop rendering."""

    def __init__(self, url: str):
        super().__init__(url)
        self.url = url


class LocalFetcher(URLFetcher):
    """Fetch `file:` URLs under the allowed roots; refuse everything else.

    `convert` may replace a raster image's bytes (CMYK for print).
    """

    def __init__(self, allowed_roots: tuple[Path, ...],
                 convert: Callable[[Path], bytes] | None = None):
        super().__init__(allowed_protocols={"file"})
        self.allowed_roots = tuple(root.resolve() for root in allowed_roots)
        self.convert = convert

    def fetch(self, url: str, headers: dict | None = None):
        parts = urlsplit(url)
        path = Path(unquote(parts.path)).resolve() if parts.scheme == "file" else None
        if path is None or not any(path == root or path.is_relative_to(root)
                                   for root in self.allowed_roots):
            raise ForbiddenResource(url)
        if self.convert is not None and is_raster(path) and path.is_file():
            return URLFetcherResponse(url, self.convert(path), {"Content-Type": "image/jpeg"})
        return super().fetch(url, headers)


def harfbuzz_subset_available() -> bool:
    """Without libharfbuzz-subset WeasyPrint subsets CJK fonts with fontTools, ~20× slower."""
    return ctypes.util.find_library("harfbuzz-subset") is not None


def write_pdf(document: HtmlDocument, target: Path, profile: Profile, cache: Path,
              progress: Callable[[str], None] = lambda message: None,
              strict: bool = False) -> RenderResult:
    """Lay out `document` for `profile` and write the PDF to `target`.

    WeasyPrint's errors (unreadable stylesheets or images) stop the build
    before anything is written; with `strict`, so do its warnings.
    """
    convert = None
    if profile.is_print and profile.icc_profile is not None:
        icc = profile.icc_profile
        convert = lambda path: cmyk_jpeg(path, icc, cache / "images")  # noqa: E731
    fetcher = LocalFetcher(document.allowed_roots, convert)
    html = weasyprint.HTML(string=document.html, base_url=document.base_url, url_fetcher=fetcher)
    with _weasyprint_messages() as messages:
        try:
            progress(f"排版中（{profile.name}，WeasyPrint）…")
            # Image options act when images are laid out, so render() needs them too.
            rendered = html.render(**_pdf_options(profile))
        except ForbiddenResource as error:
            raise BulletinError([Problem(
                f"排版时试图读取不允许的资源 “{error.url}”：只能使用本期文件夹、版式文件夹和已配置的字体")]
            ) from None
        threshold = logging.WARNING if strict else logging.ERROR
        errors = [message for level, message in messages if level >= threshold]
        if errors:
            raise BulletinError([Problem(f"排版错误：{message}") for message in errors])
        progress(f"已排 {len(rendered.pages)} 页，正在写入 PDF…")
        rendered.write_pdf(target, **_pdf_options(profile))
    warnings = tuple(message for level, message in messages if level < logging.ERROR)
    return RenderResult(len(rendered.pages), warnings)


def _pdf_options(profile: Profile) -> dict:
    if profile.is_print:
        return {"pdf_variant": PDFX_VARIANTS[profile.pdfx or "4"]}
    # Screen: downsample and recompress images, the file travels by e-mail.
    return {"dpi": profile.image_dpi, "optimize_images": True, "jpeg_quality": 85}


@contextmanager
def replace_when_done(target: Path) -> Iterator[Path]:
    """A temporary path next to `target`, renamed over it only if the block succeeds.

    A failed build therefore never leaves a broken PDF where a good one was.
    """
    target.parent.mkdir(parents=True, exist_ok=True)
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
