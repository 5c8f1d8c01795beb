"""Images for print: RGB photos converted to CMYK with the output profile, once.

WeasyPrint embeds images as it finds them, so an RGB photo would land in a
PDF/X file as DeviceRGB. For print we hand WeasyPrint a CMYK JPEG made with
LittleCMS (Pillow's ImageCms) and the print shop's ICC profile, cached by the
content hash of the image and the profile so rebuilds stay fast.
"""

from __future__ import annotations

import hashlib
import io
import os
import tempfile
from pathlib import Path

from PIL import Image, ImageCms, ImageOps

RASTER_SUFFIXES = (".jpg", ".jpeg", ".png", ".gif", ".tif", ".tiff", ".webp", ".bmp")
# Bump when the conversion changes, so old cache entries are not reused.
CONVERSION_VERSION = b"cmyk-1"


def is_raster(path: Path) -> bool:
    return path.suffix.lower() in RASTER_SUFFIXES


def cmyk_jpeg(path: Path, icc_profile: Path, cache: Path) -> bytes:
    """`path` as a CMYK JPEG in the output profile's colour space (cached)."""
    source = path.read_bytes()
    profile = icc_profile.read_bytes()
    key = hashlib.sha256(CONVERSION_VERSION + hashlib.sha256(profile).digest() + source)
    cached = cache / f"{key.hexdigest()}.jpg"
    if cached.is_file():
        return cached.read_bytes()
    converted = _convert(source, profile)
    cache.mkdir(parents=True, exist_ok=True)
    descriptor, name = tempfile.mkstemp(dir=cache, suffix=".tmp")
    with os.fdopen(descriptor, "wb") as file:
        file.write(converted)
    os.replace(name, cached)
    return converted


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
