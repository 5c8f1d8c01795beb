"""Fonts subset once for the whole issue, when the units' PDFs are merged.

A unit laid out on its own (units.py) would embed its own subset of every font
it uses: the same face once per unit, and the time to subset it each time. So a
unit embeds no font program (`placeholders`): WeasyPrint writes its font
dictionaries as always (widths and ToUnicode for the glyphs it drew), with a
placeholder naming the face in place of the program. When the units are merged
(`embed_once`), each face is subset once, with HarfBuzz as WeasyPrint does it
(glyph ids kept, so every unit's text still points at the right glyphs), for the
union of the glyphs all units drew; every unit's font dictionaries for the face
become one (widths and ToUnicode the union), a text-layer twin (textlayer.py,
its halved widths) another over the same program.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import zlib
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import pikepdf
from pikepdf import Array, Dictionary, Name

from .files import write_atomically
from .textscan import cid_widths

MARKER = b"bulletin-pdf-face:"
FINGERPRINT_BYTES = 1 << 16  # read at each end of a font file to know it again
# As WeasyPrint's own subsetting (weasyprint/pdf/fonts.py, Font._harfbuzz_subset).
DROPPED_TABLES = ("BASE", "DSIG", "EBDT", "EBLC", "EBSC", "GPOS", "GSUB", "JSTF", "LTSH",
                  "PCLT", "SVG ")
BFCHAR = re.compile(rb"<([0-9a-fA-F]+)>\s*<([0-9a-fA-F]*)>")
SUBSET_COMPRESSION = 9  # zlib level: as the merged file's other streams (merge.py)


def fingerprint(content: bytes, index: int) -> str:
    """A font file (a collection's face: its index) known by its size and ends."""
    return _fingerprint(len(content), content[:FINGERPRINT_BYTES],
                        content[-FINGERPRINT_BYTES:], index)


def _fingerprint(size: int, head: bytes, tail: bytes, index: int) -> str:
    return f"{size}-{index}-{hashlib.sha256(head + tail).hexdigest()[:32]}"


def configured_faces(font_files: Sequence[tuple[Path, int]]) -> frozenset[str]:
    """The fingerprints of the faces `embed_once` can find again."""
    return frozenset(_files_by_fingerprint(tuple(font_files)))


@contextmanager
def placeholders(faces: frozenset[str]) -> Iterator[None]:
    """While laying out a unit: fonts of `faces` (`configured_faces`) embed a placeholder
    naming their face, not a subset. Any other (a face Pango chose itself for a character
    the configured ones lack), or one `embed_once` cannot subset as WeasyPrint would
    (variable, colour glyphs, missing glyphs), is subset here as always."""
    from weasyprint.pdf.fonts import Font

    subset = Font.subset

    def placeholder(font: Font, to_unicode: dict, hinting: bool) -> None:
        if not to_unicode or "fvar" in font.tables or font.png or font.svg or font.colr \
                or font.missing:
            return subset(font, to_unicode, hinting)
        name = fingerprint(font.file_content, font.index)
        if name not in faces:
            return subset(font, to_unicode, hinting)
        # The first bytes say which kind of program it is (OTTO: CFF), as a subset's do.
        font.file_content = (_face_version(font.file_content, font.index) + MARKER
                             + name.encode())
        return None

    Font.subset = placeholder
    try:
        yield
    finally:
        Font.subset = subset


def _face_version(content: bytes, index: int) -> bytes:
    """The sfnt version of the face (a collection's `index`th): what WeasyPrint reads to
    embed it as CFF (OTTO) or TrueType."""
    if content[:4] != b"ttcf":
        return content[:4]
    offset = int.from_bytes(content[12 + 4 * index:16 + 4 * index], "big")
    return content[offset:offset + 4]


@dataclass
class _Group:
    """Font dictionaries of one face whose widths agree: they become one."""

    fonts: list[Dictionary] = field(default_factory=list)
    widths: dict[int, float] = field(default_factory=dict)
    text: dict[int, bytes] = field(default_factory=dict)

    def agrees(self, widths: dict[int, float]) -> bool:
        return all(self.widths.get(glyph, width) == width for glyph, width in widths.items())


def embed_once(pdf: pikepdf.Pdf, font_files: Sequence[tuple[Path, int]],
               cache: Path | None = None) -> None:
    """Subset each face named by a placeholder once, for every glyph the pages draw; with
    `cache` (a folder), a subset made before for the same glyphs is taken from there."""
    faces: dict[str, list[Dictionary]] = {}  # fingerprint → its fonts (Type0)
    for font in _fonts(pdf):
        program = _program(font)
        if program is not None and (name := _placeholder(program)) is not None:
            faces.setdefault(name, []).append(font)
    if not faces:
        return
    files = _files_by_fingerprint(tuple(font_files))
    replaced: dict[tuple[int, int], Dictionary] = {}
    for name, fonts in faces.items():
        if name not in files:
            raise RuntimeError(f"font face {name} is none of the configured font files")
        groups = _groups(fonts)
        glyphs = sorted({glyph for group in groups for glyph in group.widths})
        length, compressed = _compressed_subset(name, *files[name], tuple(glyphs), cache)
        program = pdf.make_stream(b"")
        program.write(compressed, filter=Name.FlateDecode)
        kind = _program_key(fonts[0])
        if kind == "/FontFile2":
            program.Length1 = length
        else:
            program.Subtype = Name.OpenType
        # One descriptor (the program) and one ToUnicode per face: a twin shares them,
        # as in one WeasyPrint document.
        descriptor = _descriptor(pdf, groups, program, kind, glyphs)
        text = {glyph: value for group in groups for glyph, value in group.text.items()}
        cmap = pdf.make_stream(_cmap(text)) if text else None
        for group in groups:
            merged = _merged(pdf, group, descriptor, cmap)
            for font in group.fonts:
                replaced[font.objgen] = merged
    _point_resources(pdf, replaced)


def _fonts(pdf: pikepdf.Pdf) -> Iterator[Dictionary]:
    seen = set()
    for resources in _resources(pdf):
        for font in resources.get("/Font", {}).values():
            if font.objgen not in seen and font.get("/Subtype") == Name.Type0:
                seen.add(font.objgen)
                yield font


def _resources(pdf: pikepdf.Pdf) -> Iterator[Dictionary]:
    """Every resource dictionary of the pages and the form XObjects they draw."""
    seen = set()
    stack = [page.obj.get("/Resources") for page in pdf.pages]
    while stack:
        resources = stack.pop()
        if resources is None or (resources.is_indirect and resources.objgen in seen):
            continue
        if resources.is_indirect:
            seen.add(resources.objgen)
        yield resources
        for xobject in resources.get("/XObject", {}).values():
            if xobject.get("/Subtype") == Name.Form and xobject.objgen not in seen:
                seen.add(xobject.objgen)
                stack.append(xobject.get("/Resources"))


def _descendant(font: Dictionary) -> Dictionary:
    return font.DescendantFonts[0]


def _program_key(font: Dictionary) -> str:
    descriptor = _descendant(font).FontDescriptor
    return next(key for key in ("/FontFile2", "/FontFile3", "/FontFile") if key in descriptor)


def _program(font: Dictionary) -> pikepdf.Stream | None:
    descriptor = _descendant(font).get("/FontDescriptor")
    if descriptor is None:
        return None
    return next((descriptor[key] for key in ("/FontFile2", "/FontFile3", "/FontFile")
                 if key in descriptor), None)


def _placeholder(program: pikepdf.Stream) -> str | None:
    data = program.read_bytes()
    return data[4 + len(MARKER):].decode() if data[4:4 + len(MARKER)] == MARKER else None


def _groups(fonts: list[Dictionary]) -> list[_Group]:
    """The face's fonts, those whose widths agree together (a twin's halved widths apart)."""
    groups: list[_Group] = []
    for font in fonts:
        widths = cid_widths(_descendant(font).get("/W", Array()))
        group = next((group for group in groups if group.agrees(widths)), None)
        if group is None:
            group = _Group()
            groups.append(group)
        group.fonts.append(font)
        group.widths |= widths
        if "/ToUnicode" in font:
            group.text |= _to_unicode(font.ToUnicode.read_bytes())
    return groups


def _to_unicode(cmap: bytes) -> dict[int, bytes]:
    """Glyph → UTF-16BE hex of the bfchar entries (what WeasyPrint writes)."""
    return {int(glyph, 16): text for glyph, text in BFCHAR.findall(cmap)}


def _descriptor(pdf: pikepdf.Pdf, groups: list[_Group], program: pikepdf.Stream, kind: str,
                glyphs: list[int]) -> Dictionary:
    """The face's font descriptor: the first one's, with the shared program."""
    descriptor = Dictionary(_descendant(groups[0].fonts[0]).FontDescriptor)
    descriptor[kind] = program
    widest = max((width for group in groups for width in group.widths.values()), default=0)
    box = descriptor.FontBBox
    descriptor.FontBBox = Array([box[0], box[1], _number(widest), box[3]])
    if "/CIDSet" in descriptor:  # PDF 1.3/1.4 (PDF/X-1a): the glyphs the program holds
        descriptor.CIDSet = pdf.make_stream(_cid_set(glyphs))
    return pdf.make_indirect(descriptor)


def _merged(pdf: pikepdf.Pdf, group: _Group, descriptor: Dictionary,
            cmap: pikepdf.Stream | None) -> Dictionary:
    """One Type0 font for the group: the first one's dictionaries, the union's widths."""
    first = group.fonts[0]
    descendant = Dictionary(_descendant(first))
    descendant.FontDescriptor = descriptor
    descendant.W = _width_array(group.widths)
    font = Dictionary(first)
    font.DescendantFonts = Array([pdf.make_indirect(descendant)])
    if cmap is not None:
        font.ToUnicode = cmap
    return pdf.make_indirect(font)


def _width_array(widths: dict[int, float]) -> Array:
    """/W as WeasyPrint writes it: `first [w w …]` for each run of consecutive glyphs
    (built as lists first: a pikepdf Array grows slowly item by item)."""
    runs: list[tuple[int, list]] = []
    for glyph in sorted(widths):
        if glyph - 1 not in widths:
            runs.append((glyph, []))
        runs[-1][1].append(_number(widths[glyph]))
    return Array([item for first, run in runs for item in (first, Array(run))])


def _number(value: float) -> int | float:
    return int(value) if value == int(value) else value


def _cid_set(glyphs: list[int]) -> bytes:
    bits = bytearray((glyphs[-1] // 8) + 1 if glyphs else 1)
    for glyph in glyphs:
        bits[glyph // 8] |= 0x80 >> (glyph % 8)
    return bytes(bits)


def _cmap(text: dict[int, bytes]) -> bytes:
    """A ToUnicode CMap as WeasyPrint writes one."""
    lines = [b"/CIDInit /ProcSet findresource begin", b"12 dict begin", b"begincmap",
             b"/CIDSystemInfo", b"<< /Registry (Adobe)", b"/Ordering (UCS)", b"/Supplement 0",
             b">> def", b"/CMapName /Adobe-Identity-UCS def", b"/CMapType 2 def",
             b"1 begincodespacerange", b"<0000> <ffff>", b"endcodespacerange"]
    items = sorted(text.items())
    for start in range(0, len(items), 100):
        batch = items[start:start + 100]
        lines.append(f"{len(batch)} beginbfchar".encode())
        lines += [f"<{glyph:04x}> <".encode() + value + b">" for glyph, value in batch]
        lines.append(b"endbfchar")
    lines += [b"endcmap", b"CMapName currentdict /CMap defineresource pop", b"end", b"end"]
    return b"\n".join(lines)


def _point_resources(pdf: pikepdf.Pdf, replaced: dict[tuple[int, int], Dictionary]) -> None:
    for resources in _resources(pdf):
        fonts = resources.get("/Font")
        if fonts is None:
            continue
        for name, font in list(fonts.items()):
            if font.objgen in replaced:
                fonts[name] = replaced[font.objgen]


@cache
def _files_by_fingerprint(font_files: tuple[tuple[Path, int], ...]) -> dict[str, tuple[Path, int]]:
    found = {}
    for path, index in font_files:
        size = path.stat().st_size
        with path.open("rb") as file:  # only the ends, as `fingerprint` reads them
            head = file.read(FINGERPRINT_BYTES)
            file.seek(max(0, size - FINGERPRINT_BYTES))
            tail = file.read()
        found[_fingerprint(size, head, tail, index)] = (path, index)
    return found


def _compressed_subset(face: str, path: Path, index: int, glyphs: tuple[int, ...],
                       cache: Path | None) -> tuple[int, bytes]:
    """The face's subset for `glyphs`: its length and its bytes compressed as the merged
    file's streams are (Flate, level 9). An edit that adds no character to the issue
    draws the same glyphs: its subsets (0.2 s for the sample's four faces, subset and
    compressed) come from `cache`."""
    import uharfbuzz as hb

    key = hashlib.sha256(repr((face, glyphs, DROPPED_TABLES, hb.__version__,
                               SUBSET_COMPRESSION)).encode()).hexdigest()
    record = None if cache is None else cache / f"{key}.subset"
    if record is not None:
        with contextlib.suppress(OSError, ValueError, zlib.error):
            data = record.read_bytes()
            length, compressed = int.from_bytes(data[:8], "big"), data[8:]
            if len(zlib.decompress(compressed)) != length:  # a record damaged since
                raise ValueError(record)
            os.utime(record)  # used: kept by the cache's pruning (build.py)
            return length, compressed
    subset = _subset(path, index, glyphs)
    compressed = zlib.compress(subset, SUBSET_COMPRESSION)
    if record is not None:
        write_atomically(record, len(subset).to_bytes(8, "big") + compressed)
    return len(subset), compressed


def _subset(path: Path, index: int, glyphs: tuple[int, ...]) -> bytes:
    """The face's glyphs `glyphs`, ids kept, as WeasyPrint subsets (HarfBuzz)."""
    import uharfbuzz as hb

    face = hb.Face(hb.Blob.from_file_path(str(path)), index)
    request = hb.SubsetInput()
    for glyph in glyphs:
        request.glyph_set.add(glyph)
    for tag in DROPPED_TABLES:
        request.sets(hb.SubsetInputSets.DROP_TABLE_TAG).add(_tag(tag))
    request.flags = (hb.SubsetFlags.RETAIN_GIDS | hb.SubsetFlags.PASSTHROUGH_UNRECOGNIZED
                     | hb.SubsetFlags.DESUBROUTINIZE | hb.SubsetFlags.NO_HINTING)
    subset = hb.subset(face, request)
    if subset is None:
        raise RuntimeError(f"HarfBuzz could not subset {path} (face {index})")
    return subset.blob.data


def _tag(tag: str) -> int:
    return int.from_bytes(tag.encode("ascii"), "big")
