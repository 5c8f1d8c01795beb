"""Does an image's data agree with its dictionary? (for preflight)

A viewer trusts the image dictionary (/Filter, /ColorSpace, /Width, /Height,
/BitsPerComponent) and draws garbage when the bytes say otherwise: RGB JPEG
bytes labelled DeviceCMYK, PNG bytes labelled DCTDecode. So this reads the
data itself, as a prepress tool does: a JPEG's markers (SOI, the SOF frame
header, Adobe APP14, the scans up to EOI), a JPEG 2000 signature and size,
and the decoded length of everything else.

JPEG scans are checked for completeness (EOI after the last scan) but not
entropy-decoded: a full decode of the sample's 31 print photos takes about
0.8 s (1.5-2 s for real photos), the marker walk under 1 ms, and libjpeg
only warns about corrupt entropy data anyway.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import pikepdf

from .textscan import colour_components

# Filters that end a chain and leave image-specific data (not decoded here).
IMAGE_FILTERS = ("/DCTDecode", "/JPXDecode", "/CCITTFaxDecode", "/JBIG2Decode")
SOF_MARKERS = {*range(0xC0, 0xC4), *range(0xC5, 0xC8), *range(0xC9, 0xCC), *range(0xCD, 0xD0)}
STANDALONE_MARKERS = {0x01, *range(0xD0, 0xD8)}  # TEM, RST0-7: no length field
SOS, EOI, APP14 = 0xDA, 0xD9, 0xEE
ADOBE_TRANSFORMS = {1: ("YCbCr", 3), 2: ("YCCK", 4)}
JP2_SIGNATURE = b"\x00\x00\x00\x0cjP  \r\n\x87\n"
JPX_CODESTREAM = b"\xff\x4f\xff\x51"  # SOC then SIZ
SIGNATURES = {b"\x89PNG": "PNG", b"\xff\xd8\xff": "JPEG", JP2_SIGNATURE: "JPEG 2000",
              JPX_CODESTREAM: "JPEG 2000", b"GIF8": "GIF", b"II*\0": "TIFF", b"MM\0*": "TIFF",
              b"%PDF": "PDF", b"BM": "BMP"}


class ImageDataError(ValueError):
    """The data contradicts the dictionary; the message says how (in Chinese)."""


@dataclass(frozen=True)
class JpegFrame:
    width: int
    height: int  # 0: given later by a DNL marker
    components: int
    precision: int
    adobe_transform: int | None  # APP14 colour transform: 0 none, 1 YCbCr, 2 YCCK


def image_data_problems(image: pikepdf.Object, raw: bytes, resources=None) -> list[str]:
    """What is wrong with `raw`, the encoded data of `image` (an XObject or inline image dict).

    `resources` resolve an inline image's named colour space.
    """
    width, height = _positive_int(image, "/Width"), _positive_int(image, "/Height")
    if width is None or height is None:
        return ["的字典缺少有效的 /Width 或 /Height"]
    filters = _names(image.get("/Filter"))
    components = _components(image, resources)
    bits = 1 if _is_mask(image) else _positive_int(image, "/BitsPerComponent")
    final = filters[-1] if filters and filters[-1] in IMAGE_FILTERS else None
    try:
        data = _decode_general(image, raw, filters[:-1] if final else filters)
    except (pikepdf.PdfError, ValueError) as error:
        shown = "、".join(name[1:] for name in filters)
        return [f"的数据无法按 {shown} 解码：{error}"]
    if final == "/DCTDecode":
        return _jpeg_problems(data, width, height, components, bits, image)
    if final == "/JPXDecode":
        return _jpx_problems(data, width, height)
    if final is not None:
        return [] if data else [f"的数据为空（{final[1:]}）"]
    if components is None or bits is None:
        return []
    needed = math.ceil(width * components * bits / 8) * height
    if len(data) < needed:
        return [f"的数据解码后只有 {len(data)} 字节，{width}×{height} 像素、{components} 通道、"
                f"每通道 {bits} 位需要 {needed} 字节"]
    return []


def read_jpeg_frame(data: bytes) -> JpegFrame:
    """The frame header of a JPEG, after checking its marker structure; ImageDataError if broken."""
    if not data.startswith(b"\xff\xd8"):
        kind = sniff(data)
        actual = f"（实为 {kind} 数据）" if kind else "（缺少 SOI 起始标记）"
        raise ImageDataError(f"的数据不是 JPEG{actual}，但字典声明 DCTDecode")
    position, frame, transform = 2, None, None
    while True:
        marker, position = _next_marker(data, position)
        if marker in STANDALONE_MARKERS:
            continue
        if marker == EOI:
            raise ImageDataError("的 JPEG 数据在图像扫描之前就结束了（EOI）")
        if position + 2 > len(data):
            raise ImageDataError("的 JPEG 数据不完整：在图像扫描之前被截断")
        length = int.from_bytes(data[position:position + 2], "big")
        segment = data[position + 2:position + length]
        if length < 2:
            raise ImageDataError(f"的 JPEG 数据已损坏：标记 FF{marker:02X} 的段长度为 {length}")
        if position + length > len(data):
            raise ImageDataError(f"的 JPEG 数据不完整：标记 FF{marker:02X} 的段超出数据末尾，数据被截断")
        position += length
        if marker in SOF_MARKERS:
            frame = _frame(segment, marker)
        elif marker == APP14 and segment.startswith(b"Adobe") and len(segment) >= 12:
            transform = segment[11]
        elif marker == SOS:
            break
    if frame is None:
        raise ImageDataError("的 JPEG 数据缺少帧头（SOF）")
    # Entropy-coded data never holds FF D9 (an FF there is followed by 00 or RSTn).
    if data.find(b"\xff\xd9", position) < 0:
        raise ImageDataError("的 JPEG 数据不完整：缺少结束标记（EOI），数据被截断")
    return JpegFrame(frame[0], frame[1], frame[2], frame[3], transform)


def sniff(data: bytes) -> str | None:
    """The file format `data` starts like, if a known one."""
    return next((kind for signature, kind in SIGNATURES.items() if data.startswith(signature)),
                None)


def _next_marker(data: bytes, position: int) -> tuple[int, int]:
    if position >= len(data) or data[position] != 0xFF:
        raise ImageDataError(f"的 JPEG 数据已损坏：第 {position} 字节处应为标记")
    while position < len(data) and data[position] == 0xFF:  # fill bytes
        position += 1
    if position >= len(data):
        raise ImageDataError("的 JPEG 数据不完整：在图像扫描之前被截断")
    return data[position], position + 1


def _frame(segment: bytes, marker: int) -> tuple[int, int, int, int]:
    if len(segment) < 6 or len(segment) < 6 + 3 * segment[5]:
        raise ImageDataError(f"的 JPEG 帧头（SOF FF{marker:02X}）不完整")
    precision = segment[0]
    height = int.from_bytes(segment[1:3], "big")
    width = int.from_bytes(segment[3:5], "big")
    return width, height, segment[5], precision


def _jpeg_problems(data: bytes, width: int, height: int, components: int | None,
                   bits: int | None, image) -> list[str]:
    try:
        frame = read_jpeg_frame(data)
    except ImageDataError as error:
        return [str(error)]
    problems = []
    if frame.width != width or frame.height not in (0, height):
        problems.append(f"的 JPEG 数据为 {frame.width}×{frame.height} 像素，"
                        f"但字典声明 {width}×{height}")
    if components is not None and frame.components != components:
        problems.append(f"的 JPEG 数据为 {frame.components} 通道，但字典声明 "
                        f"{_space_label(image)}（{components} 通道）")
    if bits is not None and frame.precision != bits:
        problems.append(f"的 JPEG 数据为每通道 {frame.precision} 位，"
                        f"但字典声明 BitsPerComponent {bits}")
    if frame.adobe_transform in ADOBE_TRANSFORMS:
        name, needed = ADOBE_TRANSFORMS[frame.adobe_transform]
        if frame.components != needed:
            problems.append(f"的 JPEG 数据中 Adobe 标记的颜色变换为 {name}（{frame.adobe_transform}），"
                            f"只适用于 {needed} 通道，但数据为 {frame.components} 通道")
    return problems


def _jpx_problems(data: bytes, width: int, height: int) -> list[str]:
    if not (data.startswith(JP2_SIGNATURE) or data.startswith(JPX_CODESTREAM)):
        kind = sniff(data)
        actual = f"（实为 {kind} 数据）" if kind else "（缺少 JP2 签名）"
        return [f"的数据不是 JPEG 2000{actual}，但字典声明 JPXDecode"]
    siz = data.find(JPX_CODESTREAM)
    if siz < 0 or siz + 24 > len(data):
        return ["的 JPEG 2000 数据不完整：缺少码流的 SIZ 头"]
    x, y, x_offset, y_offset = (int.from_bytes(data[siz + 8 + 4 * i:siz + 12 + 4 * i], "big")
                                for i in range(4))
    if (x - x_offset, y - y_offset) != (width, height):
        return [f"的 JPEG 2000 数据为 {x - x_offset}×{y - y_offset} 像素，"
                f"但字典声明 {width}×{height}"]
    return []


def _decode_general(image, raw: bytes, filters: list[str]) -> bytes:
    """`raw` with the general filters (Flate, LZW, ASCII85…) undone."""
    if not filters:
        return raw
    parms = image.get("/DecodeParms")
    if isinstance(parms, pikepdf.Array):
        parms = pikepdf.Array(list(parms)[:len(filters)])
    if isinstance(image, pikepdf.Stream) and len(filters) == len(_names(image.get("/Filter"))):
        return image.read_bytes()
    scratch = pikepdf.new()  # kept alive until read: its streams die with it
    stream = scratch.make_stream(raw, Filter=pikepdf.Array([pikepdf.Name(f) for f in filters]))
    if parms is not None:
        stream.DecodeParms = _detached(parms)
    return stream.read_bytes()


def _detached(value):
    """A copy owned by no Pdf: objects of one Pdf cannot go into another."""
    if isinstance(value, pikepdf.Dictionary):
        return pikepdf.Dictionary({key: _detached(item) for key, item in value.items()})
    if isinstance(value, pikepdf.Array):
        return pikepdf.Array([_detached(item) for item in value])
    return pikepdf.Object.parse(value.unparse()) if isinstance(value, pikepdf.Object) else value


def _names(value) -> list[str]:
    if value is None:
        return []
    if isinstance(value, pikepdf.Array):
        return [str(item) for item in value]
    return [str(value)]


def _components(image, resources) -> int | None:
    if _is_mask(image):
        return 1
    space = image.get("/ColorSpace")
    return None if space is None else colour_components(space, resources)


def _is_mask(image) -> bool:
    return bool(image.get("/ImageMask", False))


def _space_label(image) -> str:
    space = image.get("/ColorSpace")
    if isinstance(space, pikepdf.Array) and len(space) > 0:
        space = space[0]
    return str(space)[1:]


def _positive_int(image, key: str) -> int | None:
    value = image.get(key)
    try:
        number = int(value)
    except (TypeError, ValueError):
        return None
    return number if number > 0 else None
