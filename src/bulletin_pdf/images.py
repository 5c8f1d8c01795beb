"""Images: checked before layout, prepared once per profile and cached.

WeasyPrint embeds images as it finds them, so an RGB photo would land in a
PDF/X file as DeviceRGB. For print we hand WeasyPrint a CMYK JPEG made with
LittleCMS (Pillow's ImageCms) and the print shop's ICC profile; for screen, a
copy no larger than the text block needs (WeasyPrint then resamples it to
about 150 dpi at its placed size). Both are cached by content hash, so a
rebuild decodes no 6-megapixel photo twice.
"""

from __future__ import annotations

import hashlib
import io
import multiprocessing
import os
import tempfile
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from xml.etree import ElementTree

from PIL import Image, ImageCms, ImageOps

RASTER_SUFFIXES = (".jpg", ".jpeg", ".png", ".gif", ".tif", ".tiff", ".webp", ".bmp")
IMAGE_SUFFIXES = (*RASTER_SUFFIXES, ".svg")
# Bump when a conversion changes, so old cache entries are not reused.
CONVERSION_VERSION = b"cmyk-1"
SCREEN_VERSION = b"screen-2"
# The longest side a screen image needs: the 156 mm text block at 150 dpi. A photo
# set full width then needs no further resampling by WeasyPrint; smaller ones do.
SCREEN_MAX_PIXELS = 920


def is_raster(path: Path) -> bool:
    return path.suffix.lower() in RASTER_SUFFIXES


def image_problem(path: Path) -> str | None:
    """Why the file at `path` cannot be used as an image, or None."""
    suffix = path.suffix.lower()
    if suffix not in IMAGE_SUFFIXES:
        return f"不支持的图片格式 “{suffix}”：请用 JPEG、PNG 或 SVG"
    try:
        if suffix == ".svg":
            root = ElementTree.parse(path).getroot()
            if not root.tag.endswith("svg"):
                return "不是有效的 SVG 图片"
            return None
        with Image.open(path) as image:
            image.verify()
    except (OSError, SyntaxError, ValueError, ElementTree.ParseError,
            Image.DecompressionBombError):
        return "无法读取：不是有效的图片文件"
    return None


def original_size(path: Path) -> tuple[int, int]:
    """Pixel width and height of the photo as shown (EXIF rotation applied)."""
    with Image.open(path) as image:
        width, height = image.size
        rotated = image.getexif().get(0x0112, 1) in (5, 6, 7, 8)
    return (height, width) if rotated else (width, height)


def warm_cache(paths: list[Path], icc_profile: Path | None, screen: bool, cache: Path,
               workers: int) -> None:
    """Prepare every photo's print and screen versions up front, on all cores.

    Worker processes rather than threads: their decoded 6-megapixel images are
    returned to the system when they exit, not kept in this process's heap for
    the builds to inherit. The builds then find everything in the cache.
    """
    jobs = [(cmyk_jpeg, path, icc_profile, cache) for path in paths if icc_profile is not None
            and not _cached_path(path, cache, _cmyk_variant(icc_profile), ".jpg").is_file()]
    jobs += [(screen_image, path, cache) for path in paths if screen
             and not _cached_path(path, cache, SCREEN_VERSION, _screen_suffix(path)).is_file()]
    if not jobs:
        return
    context = multiprocessing.get_context("fork") if hasattr(os, "fork") else None
    with ProcessPoolExecutor(max_workers=min(workers, len(jobs)), mp_context=context) as pool:
        for future in [pool.submit(function, *arguments) for function, *arguments in jobs]:
            future.result()


def cmyk_jpeg(path: Path, icc_profile: Path, cache: Path) -> bytes:
    """`path` as a CMYK JPEG in the output profile's colour space (cached)."""
    profile = icc_profile.read_bytes()
    return _cached(path, cache, _cmyk_variant(icc_profile), ".jpg",
                   lambda source: _convert(source, profile))


def screen_image(path: Path, cache: Path) -> tuple[bytes, str]:
    """`path` no larger than the screen PDF needs, upright, in its own format (cached)."""
    suffix = _screen_suffix(path)
    data = _cached(path, cache, SCREEN_VERSION, suffix, _shrink)
    return data, "image/png" if suffix == ".png" else "image/jpeg"


def _cmyk_variant(icc_profile: Path) -> bytes:
    return CONVERSION_VERSION + hashlib.sha256(icc_profile.read_bytes()).digest()


def _screen_suffix(path: Path) -> str:
    return ".png" if path.suffix.lower() == ".png" else ".jpg"


def _cached_path(path: Path, cache: Path, variant: bytes, suffix: str) -> Path:
    return cache / f"{hashlib.sha256(variant + path.read_bytes()).hexdigest()}{suffix}"


def _cached(path: Path, cache: Path, variant: bytes, suffix: str, make) -> bytes:
    cached = _cached_path(path, cache, variant, suffix)
    if cached.is_file():
        return cached.read_bytes()
    result = make(path.read_bytes())
    cache.mkdir(parents=True, exist_ok=True)
    descriptor, name = tempfile.mkstemp(dir=cache, suffix=".tmp")
    with os.fdopen(descriptor, "wb") as file:
        file.write(result)
    os.replace(name, cached)
    return result


def _shrink(source: bytes) -> bytes:
    with Image.open(io.BytesIO(source)) as original:
        if original.format == "JPEG":
            # Decode at a reduced scale where the size allows: several times faster.
            original.draft(original.mode, (SCREEN_MAX_PIXELS, SCREEN_MAX_PIXELS))
        image = ImageOps.exif_transpose(original)
        if max(image.size) <= SCREEN_MAX_PIXELS and image is original:
            return source
        image.thumbnail((SCREEN_MAX_PIXELS, SCREEN_MAX_PIXELS), Image.Resampling.LANCZOS)
        output = io.BytesIO()
        if original.format == "PNG":
            image.save(output, "PNG", optimize=True)
        else:
            if image.mode not in ("RGB", "L", "CMYK"):
                image = image.convert("RGB")
            image.save(output, "JPEG", quality=82,
                       **({"icc_profile": original.info["icc_profile"]}
                          if "icc_profile" in original.info else {}))
        return output.getvalue()


def _convert(source: bytes, profile: bytes) -> bytes:
    with Image.open(io.BytesIO(source)) as original:
        upright = ImageOps.exif_transpose(original)
        if upright is original and original.mode == "CMYK" and original.format == "JPEG":
            return source  # already what the printer wants: keep it untouched
        dpi = original.info.get("dpi")
        embedded = original.info.get("icc_profile")
        image = _flatten(upright)
        if image.mode != "CMYK":
            source_profile = (ImageCms.ImageCmsProfile(io.BytesIO(embedded)) if embedded
                              else ImageCms.createProfile("sRGB"))
            image = ImageCms.profileToProfile(
                image, source_profile, ImageCms.ImageCmsProfile(io.BytesIO(profile)),
                renderingIntent=ImageCms.Intent.RELATIVE_COLORIMETRIC, outputMode="CMYK",
                flags=ImageCms.Flags.BLACKPOINTCOMPENSATION)
        output = io.BytesIO()
        image.save(output, "JPEG", quality=95, subsampling=0, **({"dpi": dpi} if dpi else {}))
        return output.getvalue()


def _flatten(image: Image.Image) -> Image.Image:
    """Transparency is not allowed in PDF/X-1a: composite onto white paper."""
    if image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        paper = Image.new("RGB", rgba.size, "white")
        paper.paste(rgba, mask=rgba.getchannel("A"))
        return paper
    if image.mode not in ("RGB", "CMYK"):
        return image.convert("RGB")
    return image
