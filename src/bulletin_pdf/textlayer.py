"""The text layer of WeasyPrint's PDF: halted punctuation drawn with the advance it has.

WeasyPrint draws a mark compressed by the font's `halt` feature (标点挤压, see
typography.py) as `[<glyph> 500] TJ`: the glyph, then half an em back, while the
font's /W still declares the glyph 1000 units wide. The page looks right, but
poppler (Evince, Okular, pdftotext) sizes each glyph's box from /W, sees the
next character overlap it by half an em and starts a new word there, often a
new line: copying and searching break after every compressed pair. (Moving
the adjustment elsewhere in the TJ array does not help; Typst, which does,
breaks lines in poppler too.)

So each font that draws such marks gets a twin: a second font dictionary with
the same font program, descriptor and ToUnicode (the font is embedded once)
whose /W gives those glyphs half their width. A halted mark is drawn with the
twin and no adjustment: the pen moves exactly as before, the page renders
identically, and every engine sees glyph boxes that touch.

An opening mark halted after another opening mark (《“) is drawn shifted back
by half an em (`[<> 512 <glyph> -12] TJ`, WeasyPrint scales Pango's offset by
1024/1000): its box then overlaps the mark before it by half an em. That mark
is drawn with the twin instead, so its box ends where the shifted one begins.
It works on the PDF rather than inside WeasyPrint's drawing: nothing here
depends on WeasyPrint's internals, only on what it writes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pikepdf

from .textscan import cid_widths, content_owners

TWIN_SUFFIX = "Halt"
# Of an em, how far apart (gap or overlap) the boxes of a shifted opening mark and the
# glyph before it may be for that glyph to be halved: a tenth of an em reads as a space.
CONTIGUOUS = 0.05
TJ = pikepdf.Operator("TJ")
TF = pikepdf.Operator("Tf")
# Operators after which the last glyph's position is not known from the last Tm and TJ
# (a text object ending does not move it: tagged PDFs put each run in its own BT … ET).
MOVES_PEN = {"Td", "TD", "T*", "Tj", "'", '"', "Tc", "Tw", "Tz", "Ts", "cm", "Q", "Do"}


@dataclass
class _Font:
    """A composite font of the document, and the glyphs its twin halves."""

    dictionary: pikepdf.Dictionary
    widths: dict[int, float]
    default_width: float
    halved: set[int] = field(default_factory=set)

    def width(self, glyph: int) -> float:
        return self.widths.get(glyph, self.default_width)


@dataclass
class _Shown:
    """A TJ that drew glyphs, kept to halve its last glyph when a shifted mark follows."""

    index: int  # in the owner's instruction list
    font: str  # resource name
    size: float
    matrix: tuple[float, ...]  # the text matrix it started from
    runs: list  # its items: glyph lists and adjustments


def halve_halted_marks(pdf: pikepdf.Pdf) -> int:
    """Draw every halted mark of `pdf` with a half-width twin of its font; the marks changed."""
    fonts: dict[tuple[int, int], _Font] = {}
    users: list[tuple[pikepdf.Dictionary, str, _Font]] = []  # (resources' /Font, name, font)
    changed = 0
    for page in pdf.pages:
        for owner, resources in content_owners(page):
            changed += _rewrite_owner(pdf, owner, resources, fonts, users)
    twins = {font.dictionary.objgen: _twin(pdf, font) for font in fonts.values() if font.halved}
    for font_resources, name, font in users:
        font_resources[name + TWIN_SUFFIX] = twins[font.dictionary.objgen]
    return changed


def fix_text_layer(path: Path) -> int:
    """`halve_halted_marks` on the PDF file at `path`, rewritten in place."""
    with pikepdf.open(path, allow_overwriting_input=True) as pdf:
        changed = halve_halted_marks(pdf)
        if changed:
            pdf.save(path)
    return changed


def _rewrite_owner(pdf: pikepdf.Pdf, owner, resources, fonts: dict, users: list) -> int:
    """Rewrite one content stream (a page's or a form's); how many marks it halved."""
    font_resources = resources.get("/Font")
    if font_resources is None:
        return 0
    instructions: list = list(pikepdf.parse_content_stream(owner))
    used: set[str] = set()
    font_name, size = "", 0.0
    matrix: tuple[float, ...] | None = None  # the text matrix, when the pen is there
    previous: _Shown | None = None  # the last TJ, while only Tm, Tf or colours followed it
    halved = 0
    for index, instruction in enumerate(instructions):
        if isinstance(instruction, pikepdf.ContentStreamInlineImage):
            continue
        operator = str(instruction.operator)
        if operator == "Tf":
            font_name, size = str(instruction.operands[0]), float(instruction.operands[1])
        elif operator == "Tm":
            matrix = tuple(float(value) for value in instruction.operands)
        elif operator == "TJ":
            font = _composite_font(font_resources.get(font_name), fonts)
            if font is None:
                matrix = previous = None
                continue
            runs = _runs(instruction.operands[0])
            if matrix is not None and previous is not None and _follows_shifted(
                    previous, font_name, size, matrix, runs, font):
                instructions[previous.index] = _drawn(_last_glyph_halved(previous.runs, font),
                                                      previous.font, previous.size)
                used.add(font_name)
                halved += 1
            new_runs = _halted_halved(runs, font)
            if count := sum(isinstance(run, tuple) for run in new_runs):
                instructions[index] = _drawn(new_runs, font_name, size)
                used.add(font_name)
                halved += count
            previous = _Shown(index, font_name, size, matrix, new_runs) if matrix else None
            matrix = None  # the pen moved on: known again at the next Tm
        elif operator in MOVES_PEN:
            matrix = previous = None
        elif operator in ("BT", "ET"):
            matrix = None
    if not used:
        return 0
    for name in used:
        users.append((font_resources, name, fonts[font_resources[name].objgen]))
    flat = [item for instruction in instructions
            for item in (instruction if isinstance(instruction, list) else [instruction])]
    data = pikepdf.unparse_content_stream(flat)
    if isinstance(owner, pikepdf.Page):
        owner.obj.Contents = pdf.make_stream(data)
    else:
        owner.write(data)
    return halved


def _composite_font(dictionary, fonts: dict) -> _Font | None:
    """The font behind a resource when its codes are glyph numbers (Type 0, Identity-H)."""
    if (dictionary is None or not dictionary.is_indirect or "/DescendantFonts" not in dictionary
            or dictionary.get("/Encoding") != pikepdf.Name("/Identity-H")):
        return None
    if dictionary.objgen not in fonts:
        descendant = dictionary.DescendantFonts[0]
        fonts[dictionary.objgen] = _Font(dictionary, cid_widths(descendant.get("/W", [])),
                                         float(descendant.get("/DW", 1000)))
    return fonts[dictionary.objgen]


def _runs(array) -> list:
    """TJ items as glyph lists (non-empty) and adjustments (floats, thousandths of an em)."""
    runs: list = []
    for item in array:
        if isinstance(item, pikepdf.String):
            data = bytes(item)
            glyphs = [int.from_bytes(data[at:at + 2], "big") for at in range(0, len(data) - 1, 2)]
            if glyphs:
                runs.append(glyphs)
        else:
            runs.append(float(item))
    return runs


def _is_half(adjustment: float, width: float) -> bool:
    return width > 0 and abs(adjustment - width / 2) <= 1


def _halted_halved(runs: list, font: _Font) -> list:
    """The runs with each glyph followed by half its width back moved to the twin.

    A twin glyph is a one-glyph tuple; the adjustment goes (what the twin's
    width does not account for, normally nothing, stays).
    """
    result: list = []
    consumed = -1
    for position, run in enumerate(runs):
        following = runs[position + 1] if position + 1 < len(runs) else None
        if isinstance(run, list) and isinstance(following, float) and _is_half(
                following, font.width(run[-1])):
            glyph = run[-1]
            font.halved.add(glyph)
            remainder = following - font.width(glyph) / 2
            result += [*([run[:-1]] if len(run) > 1 else []), (glyph,),
                       *([remainder] if remainder else [])]
            consumed = position + 1
        elif position != consumed:
            result.append(run)
    return result


def _follows_shifted(previous: _Shown, font_name: str, size: float, matrix: tuple, runs: list,
                     font: _Font) -> bool:
    """Whether `runs` start with a glyph shifted back by half its width (a halted opening
    mark, `[<> a <glyph> b]`, a ≈ a + b ≈ half) right after `previous`'s last glyph,
    so that the boxes touch once that glyph is halved."""
    if previous.font != font_name or previous.size != size or len(runs) < 3:
        return False
    shift, glyphs, back = runs[:3]
    if not (isinstance(shift, float) and isinstance(glyphs, list) and len(glyphs) == 1
            and isinstance(back, float)):
        return False
    half = font.width(glyphs[0]) / 2
    if not (half > 0 and abs(shift - half) <= 0.05 * half and _is_half(shift + back, 2 * half)):
        return False
    last, end = _last_glyph_end(previous.runs, font)
    a, b, c, d, e, f = matrix
    if last is None or previous.matrix[:4] != (a, b, c, d) or a * a + b * b == 0:
        return False
    # The shifted glyph's origin in the previous text space: along its x axis and across.
    de, df = e - previous.matrix[4], f - previous.matrix[5]
    along = (de * a + df * b) / (a * a + b * b)
    across = (df * a - de * b) / (a * a + b * b)
    halved_end = (end - font.width(last) / 2) * size / 1000
    return abs(across) < 0.01 * size and abs(
        along - shift * size / 1000 - halved_end) <= CONTIGUOUS * size


def _last_glyph_end(runs: list, font: _Font) -> tuple[int | None, float]:
    """The last glyph `runs` draw with the font itself, and where its box ends
    (thousandths of an em from the start); None when a twin glyph comes later."""
    pen, last, end = 0.0, None, 0.0
    for run in runs:
        if isinstance(run, float):
            pen -= run
        elif isinstance(run, tuple):
            pen += font.width(run[0]) / 2
            last = None
        else:
            for glyph in run:
                pen += font.width(glyph)
                last, end = glyph, pen
    return last, end


def _last_glyph_halved(runs: list, font: _Font) -> list:
    position = max(index for index, run in enumerate(runs) if isinstance(run, list))
    glyphs = runs[position]
    font.halved.add(glyphs[-1])
    return [*runs[:position], *([glyphs[:-1]] if len(glyphs) > 1 else []), (glyphs[-1],),
            *runs[position + 1:]]


def _drawn(runs: list, font_name: str, size: float) -> list:
    """Instructions drawing `runs`: TJ arrays, switching to the twin for tuples and back."""
    original, twin_name = pikepdf.Name(font_name), pikepdf.Name(font_name + TWIN_SUFFIX)
    instructions: list = []
    array: list = []
    in_twin = False
    for run in runs:
        if isinstance(run, float):
            array.append(run)
            continue
        if isinstance(run, tuple) != in_twin:
            if array:
                instructions.append(pikepdf.ContentStreamInstruction([pikepdf.Array(array)], TJ))
                array = []
            in_twin = not in_twin
            instructions.append(pikepdf.ContentStreamInstruction(
                [twin_name if in_twin else original, size], TF))
        array.append(pikepdf.String(b"".join(glyph.to_bytes(2, "big") for glyph in run)))
    if array:
        instructions.append(pikepdf.ContentStreamInstruction([pikepdf.Array(array)], TJ))
    if in_twin:
        instructions.append(pikepdf.ContentStreamInstruction([original, size], TF))
    return instructions


def _twin(pdf: pikepdf.Pdf, font: _Font) -> pikepdf.Dictionary:
    """A copy of the font whose /W gives its halved glyphs half their width.

    Same /FontDescriptor (so the same embedded font program), ToUnicode and
    encoding; only the glyphs drawn with it need widths.
    """
    widths = pikepdf.Array()
    for glyph in sorted(font.halved):
        widths.extend([glyph, pikepdf.Array([font.width(glyph) / 2])])
    descendant = pikepdf.Dictionary(font.dictionary.DescendantFonts[0])
    descendant.W = widths
    twin = pikepdf.Dictionary(font.dictionary)
    twin.DescendantFonts = pikepdf.Array([pdf.make_indirect(descendant)])
    return pdf.make_indirect(twin)
