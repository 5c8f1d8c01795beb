"""Where each glyph of a PDF page is drawn, and in which fill colour (for preflight).

pdfminer (via pdfplumber) answers this too, but decodes every character into a
Python object and takes about a second for our 60-page issue; preflight runs
on every print build and needs only glyph boxes and colours. So this follows
the PDF text model (ISO 32000 §9.4) over pikepdf's parsed content streams:
CTM, text and line matrices, font size, character and word spacing,
horizontal scaling, widths from /W (composite fonts) or /Widths (simple ones).
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from dataclasses import dataclass, field

import pikepdf

COLOUR_COMPONENTS = {"/DeviceGray": 1, "/DeviceRGB": 3, "/DeviceCMYK": 4, "/CalRGB": 3,
                     "/CalGray": 1, "/Lab": 3}


@dataclass(frozen=True)
class Glyph:
    x0: float
    x1: float
    y0: float  # bottom, PDF user space (y grows upwards)
    y1: float
    colour: tuple[float, ...]  # fill colour components: 1 gray, 3 RGB, 4 CMYK
    space: str  # the fill colour space name
    notdef: bool = False  # glyph 0 of an Identity-encoded composite font: the missing-glyph box


@dataclass
class _Font:
    two_byte: bool
    widths: dict[int, float]
    default_width: float
    ascent: float
    descent: float
    scale: float = 0.001  # glyph space to text space (Type 3 fonts have their own)
    identity: bool = False  # composite font with Identity-H/V encoding: code = CID = glyph


@dataclass
class _State:
    ctm: pikepdf.Matrix = field(default_factory=pikepdf.Matrix)
    font: _Font | None = None
    size: float = 0.0
    char_spacing: float = 0.0
    word_spacing: float = 0.0
    scaling: float = 1.0
    leading: float = 0.0
    render_mode: int = 0
    space: str = "/DeviceGray"
    colour: tuple[float, ...] = (0.0,)


def content_owners(page: pikepdf.Page) -> Iterator[tuple]:
    """The page and every form XObject it draws (nested too), each with its resources."""
    seen: set[tuple[int, int]] = set()

    def walk(owner, resources, depth: int):
        yield owner, resources
        for xobject in resources.get("/XObject", {}).values():
            if (xobject.get("/Subtype") == pikepdf.Name.Form and depth < 8
                    and xobject.objgen not in seen):
                seen.add(xobject.objgen)
                yield from walk(xobject, xobject.get("/Resources", resources), depth + 1)

    yield from walk(page, page.obj.get("/Resources", pikepdf.Dictionary()), 0)


FontCache = dict[tuple[int, int], _Font]


def glyphs(page: pikepdf.Page, font_cache: FontCache | None = None) -> Iterator[Glyph]:
    """Every glyph drawn on the page (form XObjects included), visible text only.

    Pass the same `font_cache` for every page of a document: reading a CJK
    font's /W array costs more than scanning a page, and pages share fonts.
    """
    cache = {} if font_cache is None else font_cache
    yield from _scan(page, page.obj.get("/Resources", pikepdf.Dictionary()), _State(), 0, cache)


def _scan(owner, resources, state: _State, depth: int, cache: FontCache) -> Iterator[Glyph]:
    fonts: dict[str, _Font] = {}
    stack: list[_State] = []
    line = text = pikepdf.Matrix()
    for operands, operator in pikepdf.parse_content_stream(owner):
        name = str(operator)
        if name == "q":
            stack.append(copy.copy(state))
        elif name == "Q" and stack:
            state = stack.pop()
        elif name == "cm":
            state.ctm = pikepdf.Matrix(*(float(v) for v in operands)) @ state.ctm
        elif name == "BT":
            line = text = pikepdf.Matrix()
        elif name in ("Td", "TD"):
            if name == "TD":
                state.leading = -float(operands[1])
            line = text = pikepdf.Matrix(1, 0, 0, 1, float(operands[0]), float(operands[1])) @ line
        elif name == "Tm":
            line = text = pikepdf.Matrix(*(float(v) for v in operands))
        elif name == "T*":
            line = text = pikepdf.Matrix(1, 0, 0, 1, 0, -state.leading) @ line
        elif name == "Tf":
            font_name = str(operands[0])
            if font_name not in fonts:
                fonts[font_name] = _cached_font(resources.get("/Font", {}).get(font_name), cache)
            state.font, state.size = fonts[font_name], float(operands[1])
        elif name in ("Tc", "Tw", "Tz", "TL", "Tr"):
            value = float(operands[0])
            if name == "Tc":
                state.char_spacing = value
            elif name == "Tw":
                state.word_spacing = value
            elif name == "Tz":
                state.scaling = value / 100
            elif name == "TL":
                state.leading = value
            else:
                state.render_mode = int(value)
        elif name in ("g", "rg", "k"):
            state.space = {"g": "/DeviceGray", "rg": "/DeviceRGB", "k": "/DeviceCMYK"}[name]
            state.colour = tuple(float(v) for v in operands)
        elif name == "cs":
            state.space = _space_name(resources, operands[0])
        elif name in ("sc", "scn"):
            state.colour = tuple(float(v) for v in operands if not isinstance(v, pikepdf.Name))
        elif name in ("Tj", "TJ", "'", '"'):
            if name in ("'", '"'):
                if name == '"':
                    state.word_spacing, state.char_spacing = float(operands[0]), float(operands[1])
                line = text = pikepdf.Matrix(1, 0, 0, 1, 0, -state.leading) @ line
            items = operands[-1] if name == "TJ" else [operands[-1]]
            text = yield from _show(items, state, text)
        elif name == "Do" and depth < 8:
            xobject = resources.get("/XObject", {}).get(str(operands[0]))
            if xobject is not None and xobject.get("/Subtype") == pikepdf.Name.Form:
                inner = copy.copy(state)
                matrix = xobject.get("/Matrix", [1, 0, 0, 1, 0, 0])
                inner.ctm = pikepdf.Matrix(*(float(v) for v in matrix)) @ state.ctm
                yield from _scan(xobject, xobject.get("/Resources", resources), inner, depth + 1,
                                 cache)


def _show(items, state: _State, text: pikepdf.Matrix):
    """Yield the glyphs of a Tj/TJ operand; return the text matrix after them.

    Glyphs only move along the text space x axis here, so their boxes are
    computed with plain floats from one matrix (pikepdf.Matrix per glyph
    doubled the time preflight takes).
    """
    font = state.font
    if font is None:
        return text
    placed = text @ state.ctm
    matrix = (placed.a, placed.b, placed.c, placed.d, placed.e, placed.f)
    low, high = font.descent * state.size, font.ascent * state.size
    step = 2 if font.two_byte else 1
    offset = 0.0  # along the text space x axis, from `text`
    for item in items:
        if not isinstance(item, pikepdf.String):
            offset -= float(item) / 1000 * state.size * state.scaling
            continue
        data = bytes(item)
        for index in range(0, len(data) - step + 1, step):
            code = int.from_bytes(data[index:index + step], "big")
            width = font.widths.get(code, font.default_width) * font.scale * state.size
            advance = width + state.char_spacing
            if step == 1 and code == 32:
                advance += state.word_spacing
            if state.render_mode != 3:  # 3 = invisible (an OCR layer)
                yield _placed(matrix, offset, offset + width * state.scaling, low, high, state,
                              font.identity and code == 0)
            offset += advance * state.scaling
    return pikepdf.Matrix(1, 0, 0, 1, offset, 0) @ text


def _placed(matrix: tuple[float, ...], x0: float, x1: float, y0: float, y1: float,
            state: _State, notdef: bool) -> Glyph:
    """The box of text space rectangle (x0, y0)–(x1, y1) in page space."""
    a, b, c, d, e, f = matrix
    xs = (a * x0 + c * y0 + e, a * x0 + c * y1 + e, a * x1 + c * y0 + e, a * x1 + c * y1 + e)
    ys = (b * x0 + d * y0 + f, b * x0 + d * y1 + f, b * x1 + d * y0 + f, b * x1 + d * y1 + f)
    return Glyph(min(xs), max(xs), min(ys), max(ys), state.colour, state.space, notdef)


def _cached_font(font, cache: FontCache) -> _Font:
    if font is None or not font.is_indirect:
        return _font(font)
    if font.objgen not in cache:
        cache[font.objgen] = _font(font)
    return cache[font.objgen]


def _font(font) -> _Font:
    if font is None:
        return _Font(False, {}, 0, 0.8, -0.2)
    descendants = font.get("/DescendantFonts")
    target = descendants[0] if descendants else font
    descriptor = target.get("/FontDescriptor", pikepdf.Dictionary())
    ascent = float(descriptor.get("/Ascent", 800)) / 1000
    descent = float(descriptor.get("/Descent", -200)) / 1000
    if descendants:
        identity = str(font.get("/Encoding", "")) in ("/Identity-H", "/Identity-V")
        return _Font(True, cid_widths(target.get("/W", [])), float(target.get("/DW", 1000)),
                     ascent, descent, identity=identity)
    first = int(font.get("/FirstChar", 0))
    widths = {first + index: float(width) for index, width in enumerate(font.get("/Widths", []))}
    scale = float(font.FontMatrix[0]) if "/FontMatrix" in font else 0.001
    missing = float(descriptor.get("/MissingWidth", 0))
    return _Font(False, widths, missing, ascent, descent, scale)


def cid_widths(array) -> dict[int, float]:
    """/W: `c [w1 w2 …]` gives consecutive CIDs; `first last w` a range with one width."""
    widths: dict[int, float] = {}
    items = list(array)
    index = 0
    while index < len(items):
        first = int(items[index])
        if isinstance(items[index + 1], pikepdf.Array):
            for offset, width in enumerate(items[index + 1]):
                widths[first + offset] = float(width)
            index += 2
        else:
            for code in range(first, int(items[index + 1]) + 1):
                widths[code] = float(items[index + 2])
            index += 3
    return widths


def colour_components(space, resources=None) -> int | None:
    """How many components a colour space has; None for a pattern or an unknown name.

    `resources` resolve a named space (an inline image's /CS, a `cs` operand).
    """
    if isinstance(space, pikepdf.Name):
        if str(space) in COLOUR_COMPONENTS:
            return COLOUR_COMPONENTS[str(space)]
        named = resources.get("/ColorSpace", {}).get(str(space)) if resources is not None else None
        return None if named is None else colour_components(named)
    if not isinstance(space, pikepdf.Array) or len(space) == 0:
        return None
    family = str(space[0])
    if family in ("/Indexed", "/Separation"):
        return 1
    if family in ("/ICCBased", "/DeviceN") and len(space) > 1:
        return (int(space[1].get("/N", 0)) or None) if family == "/ICCBased" else len(space[1])
    return COLOUR_COMPONENTS.get(family)


def _space_name(resources, operand) -> str:
    name = str(operand)
    if name in COLOUR_COMPONENTS or name == "/Pattern":
        return name
    space = resources.get("/ColorSpace", {}).get(name)
    if isinstance(space, pikepdf.Array) and len(space) > 0:
        family = str(space[0])
        if family == "/ICCBased":
            return {1: "/DeviceGray", 3: "/DeviceRGB", 4: "/DeviceCMYK"}.get(
                int(space[1].get("/N", 0)), family)
        return family
    return str(space) if space is not None else name
