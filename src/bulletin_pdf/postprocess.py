"""Stage 5: finish a print PDF where WeasyPrint stops (pikepdf).

WeasyPrint (v70) labels a file PDF/X but leaves to us: an OutputIntent with
the print shop's CMYK profile; page boxes (its BleedBox equals the MediaBox
and is capped at 10 pt); crop marks outside the bleed (its own are drawn
inside it, in RGB); no link annotations inside the BleedBox; a page count
that suits the binding; deterministic identifiers; and for PDF/X-1a, fonts a
PDF 1.4 reader understands (bare CFF instead of OpenType).
"""

from __future__ import annotations

import hashlib
import io
import uuid
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import pikepdf
from fontTools.ttLib import TTFont
from PIL import Image, ImageCms

from .images import rgb_to_cmyk
from .layout import Profile
from .manifest import PAGE_MULTIPLE
from .textscan import content_owners

MM = 72 / 25.4
# Crop marks: 6 mm long, starting 2 mm beyond the bleed, on a slug around it.
MARK_GAP = 2 * MM
MARK_LENGTH = 6 * MM
SLUG = MARK_GAP + MARK_LENGTH + 2 * MM
MARK_WIDTH = 0.25
PDF_VERSIONS = {"4": "1.6", "1a": "1.4"}


@dataclass(frozen=True)
class PrintFinish:
    pages: int
    blank_pages_added: int


def finish_print(path: Path, profile: Profile, binding: str, keep_last_page_last: bool
                 ) -> PrintFinish:
    """Turn WeasyPrint's PDF/X-labelled file at `path` into one a printer accepts.

    `keep_last_page_last`: the last page is the 版记/back cover, so blank
    pages for the binding go before it rather than after it.
    """
    with pikepdf.open(path, allow_overwriting_input=True) as pdf:
        bleed = profile.bleed_mm * MM
        registration = _registration_colour_space(pdf)
        to_cmyk = _rgb_converter(profile)
        for page in pdf.pages:
            if to_cmyk is not None:
                for owner, _ in content_owners(page):
                    _convert_rgb_colours(pdf, owner, to_cmyk)
            _set_boxes(page, bleed, profile.crop_marks)
            _remove(page.obj, "/Annots")  # links: not allowed inside the BleedBox
            if profile.crop_marks:
                _draw_crop_marks(pdf, page, bleed, registration)
        blanks = _pad_for_binding(pdf, binding, keep_last_page_last, bleed, profile.crop_marks,
                                  registration)
        _add_output_intent(pdf, profile)
        if profile.pdfx == "1a":
            _bare_cff_fonts(pdf)
        _deterministic_ids(pdf)
        pdf.save(path, deterministic_id=True, force_version=PDF_VERSIONS[profile.pdfx or "4"],
                 object_stream_mode=pikepdf.ObjectStreamMode.disable)
        return PrintFinish(len(pdf.pages), blanks)


def _rgb_converter(profile: Profile):
    """sRGB → the output profile's CMYK, for colours WeasyPrint wrote as RGB (an SVG's fills)."""
    if profile.icc_profile is None:
        return None
    srgb = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB"))
    output = ImageCms.ImageCmsProfile(str(profile.icc_profile))

    @cache
    def convert(red: float, green: float, blue: float) -> tuple[float, ...]:
        if red == green == blue == 0:
            return (0.0, 0.0, 0.0, 1.0)  # black stays K only, never rich black
        pixel = Image.new("RGB", (1, 1), tuple(round(v * 255) for v in (red, green, blue)))
        return tuple(round(v / 255, 4) for v in rgb_to_cmyk(pixel, srgb, output).getpixel((0, 0)))
    return convert


def _convert_rgb_colours(pdf: pikepdf.Pdf, owner, convert) -> None:
    """Rewrite `rg`/`RG` operators as `k`/`K` in a page's or a form's content stream."""
    instructions = pikepdf.parse_content_stream(owner)
    if any(str(operator) in ("rg", "RG") for _, operator in instructions):
        rewritten = []
        for operands, operator in instructions:
            name = str(operator)
            if name in ("rg", "RG"):
                cmyk = convert(*(float(value) for value in operands))
                operator = pikepdf.Operator("k" if name == "rg" else "K")
                operands = list(cmyk)
            rewritten.append((operands, operator))
        data = pikepdf.unparse_content_stream(rewritten)
        if isinstance(owner, pikepdf.Page):
            owner.obj.Contents = pdf.make_stream(data)
        else:
            owner.write(data)


def _set_boxes(page: pikepdf.Page, bleed: float, marks: bool) -> None:
    """TrimBox = the paper; BleedBox = trim + bleed exactly; MediaBox adds the slug."""
    trim = [float(value) for value in page.obj.get("/TrimBox", page.obj.MediaBox)]
    slug = bleed + (SLUG if marks else 0)
    page.obj.TrimBox = pikepdf.Array(trim)
    page.obj.BleedBox = pikepdf.Array(_grow(trim, bleed))
    page.obj.MediaBox = pikepdf.Array(_grow(trim, slug))
    page.obj.CropBox = pikepdf.Array(_grow(trim, slug))
    _remove(page.obj, "/ArtBox")


def _remove(dictionary: pikepdf.Dictionary, key: str) -> None:
    if key in dictionary:
        del dictionary[key]


def _grow(box: list[float], amount: float) -> list[float]:
    x0, y0, x1, y1 = box
    return [round(x0 - amount, 4), round(y0 - amount, 4), round(x1 + amount, 4),
            round(y1 + amount, 4)]


def _registration_colour_space(pdf: pikepdf.Pdf) -> pikepdf.Array:
    """Separation /All: marks print on every plate, as a printer expects."""
    tint = pikepdf.Dictionary(FunctionType=2, Domain=[0, 1], C0=[0, 0, 0, 0], C1=[1, 1, 1, 1], N=1)
    return pdf.make_indirect(pikepdf.Array(
        [pikepdf.Name.Separation, pikepdf.Name.All, pikepdf.Name.DeviceCMYK, tint]))


def _crop_marks_stream(trim: list[float], bleed: float) -> bytes:
    x0, y0, x1, y1 = trim
    near, far = bleed + MARK_GAP, bleed + MARK_GAP + MARK_LENGTH
    lines = []
    for x, outward in ((x0, -1), (x1, 1)):
        for y in (y0, y1):
            lines.append((x + outward * near, y, x + outward * far, y))  # horizontal
    for y, outward in ((y0, -1), (y1, 1)):
        for x in (x0, x1):
            lines.append((x, y + outward * near, x, y + outward * far))  # vertical
    path = "".join(f"{a:.3f} {b:.3f} m {c:.3f} {d:.3f} l S\n" for a, b, c, d in lines)
    return f"q /BPRegistration CS 1 SCN {MARK_WIDTH} w 0 J\n{path}Q\n".encode()


def _draw_crop_marks(pdf: pikepdf.Pdf, page: pikepdf.Page, bleed: float,
                     registration: pikepdf.Array) -> None:
    trim = [float(value) for value in page.obj.TrimBox]
    # Isolate WeasyPrint's graphics state from ours.
    page.contents_add(pdf.make_stream(b"q\n"), prepend=True)
    page.contents_add(pdf.make_stream(b"Q\n" + _crop_marks_stream(trim, bleed)))
    resources = page.obj.Resources
    if "/ColorSpace" not in resources:
        resources.ColorSpace = pikepdf.Dictionary()
    resources.ColorSpace.BPRegistration = registration


def _pad_for_binding(pdf: pikepdf.Pdf, binding: str, before_last: bool, bleed: float,
                     marks: bool, registration: pikepdf.Array) -> int:
    """Blank pages up to the binding's multiple, before the back page when there is one."""
    blanks = -len(pdf.pages) % PAGE_MULTIPLE[binding]
    template = pdf.pages[-1].obj
    for _ in range(blanks):
        trim = [float(value) for value in template.TrimBox]
        contents = _crop_marks_stream(trim, bleed) if marks else b""
        page = pikepdf.Dictionary(
            Type=pikepdf.Name.Page,
            MediaBox=template.MediaBox, CropBox=template.CropBox, TrimBox=template.TrimBox,
            BleedBox=template.BleedBox,
            Resources=pikepdf.Dictionary(ColorSpace=pikepdf.Dictionary(BPRegistration=registration)),
            Contents=pdf.make_stream(contents),
        )
        index = len(pdf.pages) - 1 if before_last else len(pdf.pages)
        pdf.pages.insert(index, pikepdf.Page(pdf.make_indirect(page)))
    return blanks


def _add_output_intent(pdf: pikepdf.Pdf, profile: Profile) -> None:
    icc = profile.icc_profile.read_bytes() if profile.icc_profile else None
    if icc is None:
        return
    stream = pdf.make_stream(icc)
    stream.N = 4
    name = profile.output_condition or "CMYK"
    pdf.Root.OutputIntents = pikepdf.Array([pdf.make_indirect(pikepdf.Dictionary(
        Type=pikepdf.Name.OutputIntent,
        S=pikepdf.Name.GTS_PDFX,
        OutputConditionIdentifier=pikepdf.String(name),
        OutputCondition=pikepdf.String(name),
        Info=pikepdf.String(name),
        RegistryName=pikepdf.String("http://www.color.org"),
        DestOutputProfile=stream,
    ))])


def _bare_cff_fonts(pdf: pikepdf.Pdf) -> None:
    """PDF/X-1a is PDF 1.4, which knows CFF (FontFile3 /CIDFontType0C) but not OpenType."""
    for font_file in _font_files(pdf):
        if font_file.get("/Subtype") != pikepdf.Name.OpenType:
            continue
        with TTFont(io.BytesIO(font_file.read_bytes())) as font:
            if "CFF " not in font:
                continue  # TrueType outlines in an OpenType wrapper: FontFile2 would be needed
            cff = font.reader["CFF "]
            cid_keyed = hasattr(font["CFF "].cff.topDictIndex[0], "ROS")
        font_file.write(cff)
        font_file.Subtype = pikepdf.Name.CIDFontType0C if cid_keyed else pikepdf.Name.Type1C


def _font_files(pdf: pikepdf.Pdf):
    seen = set()
    for page in pdf.pages:
        for font in page.obj.Resources.get("/Font", {}).values():
            for descendant in font.get("/DescendantFonts", [font]):
                descriptor = descendant.get("/FontDescriptor")
                font_file = descriptor.get("/FontFile3") if descriptor is not None else None
                if font_file is not None and font_file.objgen not in seen:
                    seen.add(font_file.objgen)
                    yield font_file


def _deterministic_ids(pdf: pikepdf.Pdf) -> None:
    """WeasyPrint writes a random XMP DocumentID and file /ID; derive both from the pages.

    (qpdf's `deterministic_id` then makes the second half of /ID from the bytes written.)
    """
    digest = hashlib.sha256()
    for page in pdf.pages:
        for stream in _content_streams(page):
            digest.update(stream.read_bytes())
    document_id = uuid.UUID(bytes=digest.digest()[:16], version=4)
    pdf.trailer.ID = pikepdf.Array([pikepdf.String(document_id.bytes)] * 2)
    with pdf.open_metadata(set_pikepdf_as_editor=False, update_docinfo=False) as metadata:
        metadata["xmpMM:DocumentID"] = f"uuid:{document_id}"
        metadata["xmpMM:InstanceID"] = f"uuid:{document_id}"


def _content_streams(page: pikepdf.Page) -> list[pikepdf.Stream]:
    contents = page.obj.get("/Contents")
    if contents is None:
        return []
    return list(contents) if isinstance(contents, pikepdf.Array) else [contents]
