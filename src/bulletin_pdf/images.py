"""Images: checked before layout, prepared once per profile and cached.

WeasyPrint embeds images as it finds them, so an RGB photo would land in a
PDF/X file as DeviceRGB. For print we hand WeasyPrint a CMYK JPEG made with
LittleCMS (Pillow's ImageCms) and the print shop's ICC profile; for screen, a
copy no larger than the text block needs (WeasyPrint then resamples it to
about 150 dpi at its placed size). Both are files in the cache, named by the
content hash of the original, so a rebuild decodes no 6-megapixel photo twice.

Each prepared version is a file, and the PDF stage serves that file's own
`file:` URL: WeasyPrint 70 re-reads the file behind a response's URL when it
writes the PDF, so the bytes it embeds must be the file's bytes.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import multiprocessing
import os
import tempfile
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from xml.etree import ElementTree

from PIL import Image, ImageCms, ImageOps

from .forked import die_with_parent

RASTER_SUFFIXES = (".jpg", ".jpeg", ".png", ".gif", ".tif", ".tiff", ".webp", ".bmp")
IMAGE_SUFFIXES = (*RASTER_SUFFIXES, ".svg")
# Bump when a conversion changes, so old cache entries are not reused.
CONVERSION_VERSION = b"print-2"
SCREEN_VERSION = b"screen-3"
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
    jobs = [(print_image, path, icc_profile, cache) for path in paths if icc_profile is not None
            and not _print_path(path, icc_profile, cache).is_file()]
    jobs += [(screen_image, path, cache) for path in paths
             if screen and not _screen_path(path, cache).is_file()]
    if not jobs:
        return
    context = multiprocessing.get_context("fork") if hasattr(os, "fork") else None
    with ProcessPoolExecutor(max_workers=min(workers, len(jobs)), mp_context=context,
                             initializer=die_with_parent, initargs=(os.getpid(),)) as pool:
        for future in [pool.submit(function, *arguments) for function, *arguments in jobs]:
            future.result()


def print_image(path: Path, icc_profile: Path, cache: Path) -> Path:
    """The cached file of `path` as printed: upright, flattened on white, 8 bits per
    channel, colour in the output profile's CMYK (greyscale stays grey: black ink only)."""
    profile = icc_profile.read_bytes()
    return _cached(_print_path(path, icc_profile, cache), path,
                   lambda source: _convert(source, profile))


def screen_image(path: Path, cache: Path) -> Path:
    """The cached file of `path` for the screen PDF: no larger than it needs, upright,
    8 bits per channel, in its own format (PNG keeps its transparency)."""
    return _cached(_screen_path(path, cache), path, _shrink)


def _print_path(path: Path, icc_profile: Path, cache: Path) -> Path:
    variant = CONVERSION_VERSION + hashlib.sha256(icc_profile.read_bytes()).digest()
    return _cached_path(path, cache, variant, ".jpg")


def _screen_path(path: Path, cache: Path) -> Path:
    suffix = ".jpg" if path.suffix.lower() in (".jpg", ".jpeg") else ".png"
    return _cached_path(path, cache, SCREEN_VERSION, suffix)


def _cached_path(path: Path, cache: Path, variant: bytes, suffix: str) -> Path:
    return cache / f"{hashlib.sha256(variant + path.read_bytes()).hexdigest()}{suffix}"


def _cached(cached: Path, path: Path, make: Callable[[bytes], bytes]) -> Path:
    """`cached`, made from the bytes of `path` by `make` unless it exists (written atomically)."""
    if cached.is_file():
        return cached
    result = make(path.read_bytes())
    cached.parent.mkdir(parents=True, exist_ok=True)
    descriptor, name = tempfile.mkstemp(dir=cached.parent, suffix=".tmp")
    with os.fdopen(descriptor, "wb") as file:
        file.write(result)
    os.replace(name, cached)
    return cached


def _shrink(source: bytes) -> bytes:
    with Image.open(io.BytesIO(source)) as original:
        if original.format == "JPEG":
            # Decode at a reduced scale where the size allows: several times faster.
            original.draft(original.mode, (SCREEN_MAX_PIXELS, SCREEN_MAX_PIXELS))
        image = _eight_bit(ImageOps.exif_transpose(original))
        if (max(image.size) <= SCREEN_MAX_PIXELS and image is original
                and original.format in ("JPEG", "PNG")):
            return source
        image.thumbnail((SCREEN_MAX_PIXELS, SCREEN_MAX_PIXELS), Image.Resampling.LANCZOS)
        output = io.BytesIO()
        if original.format != "JPEG":  # PNG, GIF, TIFF…: lossless, transparency kept
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
        if upright is original and original.format == "JPEG" and original.mode in ("CMYK", "L"):
            return source  # already what the printer wants: keep it untouched
        dpi = original.info.get("dpi")
        image = _flatten(_eight_bit(upright))
        if image.mode == "RGB":
            image = rgb_to_cmyk(image, _rgb_profile(original.info.get("icc_profile")),
                                ImageCms.ImageCmsProfile(io.BytesIO(profile)))
        output = io.BytesIO()
        image.save(output, "JPEG", quality=95, subsampling=0, **({"dpi": dpi} if dpi else {}))
        return output.getvalue()


def rgb_to_cmyk(image: Image.Image, source: ImageCms.ImageCmsProfile,
                output: ImageCms.ImageCmsProfile) -> Image.Image:
    """RGB pixels in the output profile's CMYK: relative colorimetric, black point compensation."""
    transform = ImageCms.buildTransform(
        source, output, "RGB", "CMYK", renderingIntent=ImageCms.Intent.RELATIVE_COLORIMETRIC,
        flags=ImageCms.Flags.BLACKPOINTCOMPENSATION)
    converted = Image.new("CMYK", image.size)
    # Pillow writes the pixels, then tags the result by re-serialising the output profile,
    # which LittleCMS cannot do for some valid profiles (Ghostscript's ps_cmyk.icc).
    with contextlib.suppress(OSError):
        transform.apply(image, converted)
    return converted


def _rgb_profile(embedded: bytes | None) -> ImageCms.ImageCmsProfile:
    """The photo's own RGB profile (Adobe RGB, Display P3…), else sRGB."""
    if embedded:
        try:
            profile = ImageCms.ImageCmsProfile(io.BytesIO(embedded))
            if profile.profile.xcolor_space.strip() == "RGB":
                return profile
        except (OSError, ImageCms.PyCMSError):
            pass  # a broken embedded profile: the photo is most likely sRGB
    return ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB"))


def _eight_bit(image: Image.Image) -> Image.Image:
    """16-bit greyscale (PNG from scanners) scaled to 8 bits, not clipped at 255."""
    if image.mode in ("I", "I;16", "I;16B", "I;16L", "I;16N"):
        return image.convert("I").point(lambda value: value / 256).convert("L")
    return image


def _flatten(image: Image.Image) -> Image.Image:
    """Transparency is not allowed in PDF/X-1a: composite onto white paper.

    What is left is greyscale, RGB or CMYK.
    """
    if image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        paper = Image.new("RGB", rgba.size, "white")
        paper.paste(rgba, mask=rgba.getchannel("A"))
        return paper.convert("L") if image.mode == "LA" else paper
    if image.mode not in ("RGB", "CMYK", "L"):
        return image.convert("RGB")
    return image
