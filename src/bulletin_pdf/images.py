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

Phone photos in HEIC/HEIF (iPhone) are decoded by pillow-heif, which applies the
rotation the file carries (and then reports the EXIF orientation as upright). No PDF
reader needs to know HEIC: both prepared versions are JPEG, made once and cached.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import multiprocessing
import os
import re
import tempfile
from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from functools import cache, lru_cache
from pathlib import Path
from xml.etree import ElementTree

import pillow_heif
from PIL import Image, ImageCms, ImageFile

from .errors import BulletinError, Problem
from .files import file_identity, write_atomically
from .forked import die_with_parent

# Pillow's own guard warns in English (DecompressionBombWarning) and refuses at a fixed
# size; `photo_problem` applies the layout's limit before anything decodes a photo.
Image.MAX_IMAGE_PIXELS = None
pillow_heif.register_heif_opener()  # Image.open reads HEIC/HEIF, rotated as the file says

RASTER_SUFFIXES = (".jpg", ".jpeg", ".png", ".gif", ".tif", ".tiff", ".webp", ".bmp", ".heic",
                   ".heif")
IMAGE_SUFFIXES = (*RASTER_SUFFIXES, ".svg")
ACCEPTED_FORMATS = "JPEG、PNG、HEIC/HEIF（iPhone 照片）、WebP、GIF、TIFF、BMP 或 SVG"
# Photographs, lossily compressed: their screen copies are JPEG (other formats: PNG).
PHOTO_FORMATS = ("JPEG", "HEIF")
PHOTO_SUFFIXES = (".jpg", ".jpeg", ".heic", ".heif")
# Bump when a conversion changes, so old cache entries are not reused.
CONVERSION_VERSION = b"print-3"
SCREEN_VERSION = b"screen-4"
# The longest side a screen image needs: the 156 mm text block at 150 dpi. A photo
# set full width then needs no further resampling by WeasyPrint; smaller ones do.
SCREEN_MAX_PIXELS = 920
# A print photo larger than four times this is decoded at 1/2, 1/4 or 1/8 scale, keeping
# at least this many pixels: 4243×2828, 300 dpi over 36×24 cm, more than a bulletin's page.
# Memory then stays bounded by this, not by the photo.
PRINT_DECODE_PIXELS = 12_000_000
EXIF_ORIENTATION = 0x0112
# Photo conversions run side by side while the memory they need together stays under this
# (one runs alone whatever it needs; the pixel limit bounds that).
CONVERSION_MEMORY = 400_000_000


def is_raster(path: Path) -> bool:
    return path.suffix.lower() in RASTER_SUFFIXES


def image_problem(path: Path) -> str | None:
    """Why the file at `path` cannot be used as an image, or None."""
    suffix = path.suffix.lower()
    if suffix not in IMAGE_SUFFIXES:
        return f"不支持的图片格式 “{suffix}”：可用 {ACCEPTED_FORMATS}"
    try:
        if suffix == ".svg":
            root = ElementTree.parse(path).getroot()
            if not root.tag.endswith("svg"):
                return "不是有效的 SVG 图片"
            return None
        with Image.open(path) as image:
            image.verify()
    except (OSError, SyntaxError, ValueError, ElementTree.ParseError):
        return "无法读取：不是有效的图片文件"
    return None


UNREADABLE = "无法完整读取：文件不完整或已损坏（可能复制时被截断），请重新导出或复制原图"


def photo_problem(path: Path, max_pixels: int, cache: Path | None = None) -> str | None:
    """Why the raster photo at `path` cannot be printed whole, or None. Remembered while
    the file is unchanged: in this process (`watch` checks every photo again on each
    save) and, with `cache` (a folder), between builds (decoding the sample's 31 photos
    takes 0.2 s of every build)."""
    identity = file_identity(path)
    if cache is None:
        return _photo_problem(path, max_pixels, *identity)
    key = repr((str(path.resolve()), identity, max_pixels, _checks_digest()))
    record = cache / f"{hashlib.sha256(key.encode()).hexdigest()}.json"
    with contextlib.suppress(OSError, ValueError, KeyError):
        problem = json.loads(record.read_text(encoding="utf-8"))["problem"]
        os.utime(record)  # used: kept by the cache's pruning (build.py)
        return problem
    problem = _photo_problem(path, max_pixels, *identity)
    write_atomically(record, json.dumps({"problem": problem}, ensure_ascii=False).encode())
    return problem


@cache
def _checks_digest() -> str:
    """This module's code: a check or its message changed, photos are checked again."""
    return hashlib.sha256(Path(__file__).read_bytes()).hexdigest()


@lru_cache(maxsize=4096)
def _photo_problem(path: Path, max_pixels: int, *_identity: int) -> str | None:
    """Why the raster photo at `path` cannot be printed whole, or None.

    More than `max_pixels` is refused before decoding (a 12000×12000 PNG takes
    over 400 MB to decode). Below it the photo is read to the end, as the build
    will: a truncated file would print with its lower part grey. A JPEG is
    decoded at 1/8 scale, which still reads every byte of it; a PNG's chunks are
    checked against their checksums up to the end marker, without decoding.
    """
    try:
        with _whole_images_only(), Image.open(path) as image:
            width, height = image.size
            if width * height > max_pixels:
                return (f"有 {width}×{height} 像素（{_megapixels(width * height)}），超过上限 "
                        f"{_megapixels(max_pixels)}：请缩小后再用（上限由版式 layout.yaml 的 "
                        "max_image_megapixels 设定）")
            if image.format == "PNG":
                image.verify()
            else:
                if image.format == "JPEG":
                    image.draft(image.mode, (max(1, width // 8), max(1, height // 8)))
                image.load()
    except (OSError, SyntaxError, ValueError, EOFError):
        return UNREADABLE
    return None


@contextlib.contextmanager
def _whole_images_only() -> Iterator[None]:
    """Let Pillow raise on an image that ends early (WeasyPrint, once imported, tells it to
    fill the rest with grey: ImageFile.LOAD_TRUNCATED_IMAGES)."""
    allowed, ImageFile.LOAD_TRUNCATED_IMAGES = ImageFile.LOAD_TRUNCATED_IMAGES, False
    try:
        yield
    finally:
        ImageFile.LOAD_TRUNCATED_IMAGES = allowed


def _megapixels(pixels: int) -> str:
    return f"{pixels / 1_000_000:.4g} 百万像素"


XLINK_HREF = "{http://www.w3.org/1999/xlink}href"
CSS_URL = re.compile(r"""url\(\s*(["']?)(.*?)\1\s*\)""", re.DOTALL)
CSS_IMPORT = re.compile(r"@import[^;]*;?")
# Elements that are nothing but a reference: without it WeasyPrint fails on the whole SVG.
SVG_LINKING_ELEMENTS = ("image", "use", "feImage")


def svg_references(path: Path) -> list[str]:
    """What an SVG photo would read besides itself: links (`href`, `xlink:href` of `<image>`,
    `<use>`…), `url()` in attributes and styles, `@import`. The build drops them all
    (`svg_without_references`): a photo is one file, nothing is fetched from outside."""
    references: list[str] = []
    for element in ElementTree.parse(path).getroot().iter():
        for name, value in element.attrib.items():
            if name in ("href", XLINK_HREF):
                references += [value] if _outside(value) else []
            else:
                references += [url for _, url in CSS_URL.findall(value) if _outside(url)]
        if _local_name(element) == "style":
            references += [url for _, url in CSS_URL.findall(element.text or "") if _outside(url)]
            references += [rule.strip() for rule in CSS_IMPORT.findall(element.text or "")]
    return list(dict.fromkeys(references))


def svg_without_references(data: bytes) -> bytes:
    """The SVG without what `svg_references` finds: an `<image>` or `<use>` of another file
    is removed, another element keeps all but the link, and `url()` becomes `none`."""
    root = ElementTree.fromstring(data)
    for parent in root.iter():
        for element in list(parent):
            if _local_name(element) in SVG_LINKING_ELEMENTS and any(
                    _outside(element.get(name, "#")) for name in ("href", XLINK_HREF)):
                parent.remove(element)
    for element in root.iter():
        for name, value in list(element.attrib.items()):
            if name in ("href", XLINK_HREF):
                if _outside(value):
                    del element.attrib[name]
            else:
                element.set(name, CSS_URL.sub(_internal_url, value))
        if _local_name(element) == "style" and element.text:
            element.text = CSS_IMPORT.sub("", CSS_URL.sub(_internal_url, element.text))
    return ElementTree.tostring(root)


def _outside(reference: str) -> bool:
    """Anything but a fragment of the SVG itself (`#gradient`)."""
    return not reference.strip().startswith("#")


def _internal_url(match: re.Match) -> str:
    return "none" if _outside(match.group(2)) else match.group(0)


def _local_name(element: ElementTree.Element) -> str:
    return str(element.tag).rsplit("}", 1)[-1]


def original_size(path: Path) -> tuple[int, int]:
    """Pixel width and height of the photo as shown (EXIF rotation applied); remembered
    while the file is unchanged (every unit's HTML asks for the gallery's)."""
    return _original_size(path, *file_identity(path))


@lru_cache(maxsize=4096)
def _original_size(path: Path, *_identity: int) -> tuple[int, int]:
    with Image.open(path) as image:
        width, height = image.size
        rotated = _orientation(image) in (5, 6, 7, 8)
    return (height, width) if rotated else (width, height)


def warm_cache(paths: list[Path], icc_profile: Path | None, screen: bool, cache: Path,
               workers: int) -> None:
    """Prepare every photo's print and screen versions up front, on all cores.

    Worker processes rather than threads: their decoded 6-megapixel images are
    returned to the system when they exit, not kept in this process's heap for
    the builds to inherit. The builds then find everything in the cache. Large
    photos wait for each other (CONVERSION_MEMORY), however many cores there are.
    """
    jobs = [(_print_memory(path), print_image, path, icc_profile, cache) for path in paths
            if icc_profile is not None and not _print_path(path, icc_profile, cache).is_file()]
    jobs += [(_screen_memory(path), screen_image, path, cache) for path in paths
             if screen and not _screen_path(path, cache).is_file()]
    if not jobs:
        return
    context = multiprocessing.get_context("fork") if hasattr(os, "fork") else None
    with ProcessPoolExecutor(max_workers=min(workers, len(jobs)), mp_context=context,
                             initializer=die_with_parent, initargs=(os.getpid(),)) as pool:
        running: dict[Future, tuple[int, Path]] = {}
        for memory, function, path, *arguments in sorted(jobs, key=lambda job: -job[0]):
            while running and sum(need for need, _ in running.values()) + memory > CONVERSION_MEMORY:
                done, _ = wait(running, return_when=FIRST_COMPLETED)
                for future in done:
                    _finished(future, running.pop(future)[1])
            running[pool.submit(function, path, *arguments)] = (memory, path)
        for future, (_, path) in running.items():
            _finished(future, path)


def _finished(future: Future, path: Path) -> None:
    """The result of a conversion; a photo that stops decoding halfway is the user's problem."""
    try:
        future.result()
    except UnreadableImage:
        raise BulletinError([Problem(f"图片{UNREADABLE}", path)]) from None


class UnreadableImage(ValueError):
    """A photo that stopped decoding halfway (changed since it was checked, or crafted)."""


def _print_memory(path: Path) -> int:
    """Bytes a print conversion of `path` holds at once: the decode, its reduction, the CMYK."""
    with Image.open(path) as image:
        pixels = image.width * image.height
        reduced = pixels // _print_scale(image.size) ** 2
        return (pixels * 4 if image.format != "JPEG" else 0) + reduced * 8


def _screen_memory(path: Path) -> int:
    """Bytes a screen copy of `path` holds at once: a JPEG is decoded at reduced scale."""
    with Image.open(path) as image:
        return image.width * image.height * (4 if image.format != "JPEG" else 1)


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
    suffix = ".jpg" if path.suffix.lower() in PHOTO_SUFFIXES else ".png"
    return _cached_path(path, cache, SCREEN_VERSION, suffix)


def _cached_path(path: Path, cache: Path, variant: bytes, suffix: str) -> Path:
    return cache / f"{hashlib.sha256(variant + path.read_bytes()).hexdigest()}{suffix}"


def _cached(cached: Path, path: Path, make: Callable[[bytes], bytes]) -> Path:
    """`cached`, made from the bytes of `path` by `make` unless it exists (written atomically)."""
    if cached.is_file():
        return cached
    source = path.read_bytes()
    try:
        with _whole_images_only():
            result = make(source)
    except (OSError, SyntaxError, ValueError, EOFError):
        raise UnreadableImage(str(path)) from None
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
        image = _eight_bit(_upright(original, _orientation(original)))
        if (max(image.size) <= SCREEN_MAX_PIXELS and image is original
                and original.format in ("JPEG", "PNG")):
            return source  # what WeasyPrint embeds as it is (never HEIC)
        image.thumbnail((SCREEN_MAX_PIXELS, SCREEN_MAX_PIXELS), Image.Resampling.LANCZOS)
        output = io.BytesIO()
        if original.format not in PHOTO_FORMATS:  # PNG, GIF, TIFF…: lossless, transparency kept
            image.save(output, "PNG", optimize=True)
        else:
            image = _flatten(image)  # a HEIC may have transparency; JPEG has none
            image.save(output, "JPEG", quality=82,
                       **({"icc_profile": original.info["icc_profile"]}
                          if "icc_profile" in original.info else {}))
        return output.getvalue()


def _convert(source: bytes, profile: bytes) -> bytes:
    with Image.open(io.BytesIO(source)) as original:
        scale, orientation = _print_scale(original.size), _orientation(original)
        if (scale == 1 and orientation == 1 and original.format == "JPEG"
                and original.mode in ("CMYK", "L")):
            return source  # already what the printer wants: keep it untouched
        dpi = original.info.get("dpi")
        if dpi and scale > 1:
            dpi = (dpi[0] / scale, dpi[1] / scale)
        embedded = original.info.get("icc_profile")
        image = _reduced(original, scale)
        if image is not original:
            original.close()  # the full-size decode is no longer needed: free it now
        image = _flatten(_eight_bit(_upright(image, orientation)))
        if image.mode == "RGB":
            image = rgb_to_cmyk(image, _rgb_profile(embedded),
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


def _print_scale(size: tuple[int, int]) -> int:
    """1, 2, 4 or 8: the most a photo of `size` can shrink and keep PRINT_DECODE_PIXELS."""
    pixels = size[0] * size[1]
    return max(scale for scale in (1, 2, 4, 8)
               if scale == 1 or pixels / scale / scale >= PRINT_DECODE_PIXELS)


def _reduced(image: Image.Image, scale: int) -> Image.Image:
    """`image` at 1/`scale`: a JPEG decoded at that scale, any other shrunk once decoded."""
    if scale == 1:
        return image
    if image.format == "JPEG":
        image.draft(image.mode, (image.width // scale, image.height // scale))
        return image
    return image.reduce(scale)


def _orientation(image: Image.Image) -> int:
    """The EXIF orientation, read without decoding the pixels.

    Pillow decodes a whole PNG to look for EXIF after its pixel data; a PNG
    whose EXIF comes only there counts as upright, everywhere alike.
    """
    if image.format == "PNG" and "exif" not in image.info:
        return 1
    return image.getexif().get(EXIF_ORIENTATION, 1)


# How to turn a photo of each EXIF orientation upright (as ImageOps.exif_transpose does).
UPRIGHT = {2: Image.Transpose.FLIP_LEFT_RIGHT, 3: Image.Transpose.ROTATE_180,
           4: Image.Transpose.FLIP_TOP_BOTTOM, 5: Image.Transpose.TRANSPOSE,
           6: Image.Transpose.ROTATE_270, 7: Image.Transpose.TRANSVERSE,
           8: Image.Transpose.ROTATE_90}


def _upright(image: Image.Image, orientation: int) -> Image.Image:
    """`image` turned as its original's EXIF `orientation` says; itself when upright (no copy)."""
    return image.transpose(UPRIGHT[orientation]) if orientation in UPRIGHT else image


def _eight_bit(image: Image.Image) -> Image.Image:
    """16-bit greyscale (PNG from scanners) scaled to 8 bits, not clipped at 255."""
    if image.mode.startswith("I;16") or image.mode == "I":
        # Scaled in its own mode (no 32-bit copy of a 16-bit image), then narrowed.
        return image.point(lambda value: value / 256).convert("L")
    return image


def _flatten(image: Image.Image) -> Image.Image:
    """Transparency is not allowed in PDF/X-1a: composite onto white paper.

    What is left is greyscale, RGB or CMYK.
    """
    if image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info):
        rgba = image if image.mode == "RGBA" else image.convert("RGBA")
        paper = Image.new("RGB", rgba.size, "white")
        paper.paste(rgba, mask=rgba.getchannel("A"))
        return paper.convert("L") if image.mode == "LA" else paper
    if image.mode not in ("RGB", "CMYK", "L"):
        return image.convert("RGB")
    return image
