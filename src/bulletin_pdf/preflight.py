"""Stage 6: preflight — read any PDF back and report what a print shop would reject.

Everything is read with pikepdf: structure (fonts, boxes, output intent,
colour spaces, transparency) directly, geometry (where images and glyphs are
placed, in which colour) by following the content streams (`textscan`), and
each image's data against its dictionary (`imagedata`). Each finding names
its rule and, where it matters, its page.
"""

from __future__ import annotations

import errno
import hashlib
import json
import math
import os
import re
from collections import Counter
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

import pikepdf

from .errors import BulletinError, Problem
from .files import write_atomically
from .imagedata import image_data_problems
from .manifest import BINDING_NAMES, PAGE_MULTIPLE
from .names import PROFILE_LABELS
from .textscan import FontCache, Glyph, content_owners, glyphs

MM = 72 / 25.4
SAFE_ZONE = 3 * MM  # no text this close to the trim
BOX_TOLERANCE = 0.01  # points
EDGE_TOLERANCE = 0.1  # points: rounding in glyph and image placement, not overflow
SIDES = ("左侧", "下方", "右侧", "上方")  # in the order of a box's coordinates
RGB_SPACES = ("/DeviceRGB", "/CalRGB")


# Rule ids (kept in `--json` for scripts) as the text output names them.
RULE_LABELS = {
    "file": "文件", "fonts": "字体", "glyphs": "缺字", "boxes": "页面框", "images": "图片",
    "colour": "颜色", "page-edge": "超出页面", "safe-zone": "靠近裁切线", "pdfx": "PDF/X",
    "pages": "页数",
}
HEADER_WINDOW = 1024  # `%PDF-` and the last `%%EOF` lie this close to the file's ends


@dataclass(frozen=True)
class Finding:
    severity: str  # "error" | "warning"
    rule: str  # a key of RULE_LABELS
    message: str
    page: int | None = None

    def __str__(self) -> str:
        label = {"error": "错误", "warning": "警告"}[self.severity]
        where = f"第 {self.page} 页 " if self.page else ""
        return f"{label} [{RULE_LABELS.get(self.rule, self.rule)}] {where}{self.message}"


@dataclass(frozen=True)
class FontInfo:
    name: str
    type: str
    embedded: bool


@dataclass
class Report:
    path: Path
    profile: str
    pages: int = 0
    pdfx: str | None = None
    fonts: list[FontInfo] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)

    @property
    def errors(self) -> list[Finding]:
        return [finding for finding in self.findings if finding.severity == "error"]

    @property
    def warnings(self) -> list[Finding]:
        return [finding for finding in self.findings if finding.severity == "warning"]

    def add(self, severity: str, rule: str, message: str, page: int | None = None) -> None:
        self.findings.append(Finding(severity, rule, message, page))

    def to_json(self) -> str:
        return json.dumps({
            "file": str(self.path), "profile": self.profile, "pages": self.pages,
            "pdfx": self.pdfx, "fonts": [asdict(font) for font in self.fonts],
            "errors": len(self.errors), "warnings": len(self.warnings),
            "findings": [asdict(finding) for finding in self.findings],
        }, ensure_ascii=False, indent=2)

    def to_text(self) -> str:
        embedded = sum(font.embedded for font in self.fonts)
        lines = [f"预检 {self.path}（按{PROFILE_LABELS[self.profile]}，{self.pdfx or '非 PDF/X'}，"
                 f"{self.pages} 页）",
                 f"字体 {len(self.fonts)} 种，嵌入 {embedded} 种："
                 + "、".join(f"{font.name}（{font.type}）" for font in self.fonts)]
        lines += [str(finding) for finding in self.findings]
        lines.append(f"结论：{len(self.errors)} 个错误，{len(self.warnings)} 个警告")
        return "\n".join(lines)


def preflight(path: Path, profile: str | None = "screen", binding: str | None = None,
              bleed_mm: float | None = None, min_image_dpi: int | None = None,
              page_cache: Path | None = None) -> Report:
    """Check the PDF at `path` for `profile` ("screen" or "print").

    `profile` None: print when the file says it is PDF/X (made for a press), else screen.
    A file that is no PDF, or too damaged to read, raises BulletinError. With
    `page_cache` (a folder), a page drawn exactly as one checked before (same content,
    images, fonts, boxes) has that page's findings again without being read.
    """
    _check_readable(path)
    try:
        with pikepdf.open(path) as pdf:
            return _preflight(pdf, path, profile, binding, bleed_mm, min_image_dpi, page_cache)
    except pikepdf.PasswordError:
        raise BulletinError([Problem("PDF 已加密，需要密码才能打开：请提供未加密的文件", path)]) from None
    except pikepdf.PdfError:
        raise BulletinError([Problem(
            "PDF 文件已损坏，无法读取：请重新导出，或重新下载、复制一份", path)]) from None


def _check_readable(path: Path) -> None:
    """A file that is no PDF, or is cut short (an interrupted copy), stops here in Chinese."""
    if path.is_dir():
        raise BulletinError([Problem("这是文件夹，不是 PDF 文件", path)])
    try:
        with path.open("rb") as file:
            head = file.read(HEADER_WINDOW)
            file.seek(max(0, file.seek(0, 2) - HEADER_WINDOW))
            tail = file.read()
    except FileNotFoundError:
        raise BulletinError([Problem("文件不存在", path)]) from None
    except OSError as error:
        raise BulletinError([Problem(f"无法读取文件（{_os_reason(error)}）", path)]) from None
    if not head:
        raise BulletinError([Problem("文件是空的（0 字节），不是 PDF", path)])
    if b"%PDF-" not in head:
        raise BulletinError([Problem("不是 PDF 文件（开头没有 %PDF- 标记）", path)])
    if b"%%EOF" not in tail:
        raise BulletinError([Problem(
            "PDF 文件不完整（末尾缺少 %%EOF 标记），可能是下载或复制时中断了：请重新导出或重新复制",
            path)])


def _os_reason(error: OSError) -> str:
    reasons = {errno.EACCES: "没有读取权限", errno.EPERM: "没有读取权限", errno.EIO: "读取出错"}
    return reasons.get(error.errno or 0, error.strerror or type(error).__name__)


def _preflight(pdf: pikepdf.Pdf, path: Path, profile: str | None, binding: str | None,
               bleed_mm: float | None, min_image_dpi: int | None,
               page_cache: Path | None = None) -> Report:
    pdfx = _pdfx_version(pdf)
    report = Report(path, profile or ("print" if pdfx else "screen"), pdfx=pdfx)
    printing = report.profile == "print"
    min_dpi = min_image_dpi or (300 if printing else 150)
    if pdf.get_warnings():  # qpdf had to repair the file to read it
        report.add("error", "file", "文件结构已损坏，阅读软件须先修复才能显示，印刷厂的软件可能拒收："
                   "请重新导出 PDF")
    report.pages = len(pdf.pages)
    _check_fonts(pdf, report, printing)
    _check_pdfx(pdf, report, printing)
    _check_boxes(pdf, report, printing, bleed_mm)
    _check_colours_and_transparency(pdf, report)
    checked_images: set[tuple[int, int]] = set()
    font_cache: FontCache = {}
    checks = _checks_digest(printing, min_dpi) if page_cache is not None else ""
    widths: dict[tuple[int, int], bytes] = {}  # each font's, written out once
    for number, page in enumerate(pdf.pages, 1):
        key = _page_key(page, checks, widths) if page_cache is not None else None
        if key is not None and (known := _cached_findings(page_cache, key)) is not None:
            report.findings += [replace(finding, page=number) for finding in known]
            continue
        first = len(report.findings)
        _check_images(page, number, report, printing, min_dpi, checked_images)
        _check_text(page, number, report, printing, font_cache)
        if key is not None:
            write_atomically(page_cache / f"{key}.json", json.dumps(
                [asdict(finding) for finding in report.findings[first:]]).encode())
    if binding:
        multiple = PAGE_MULTIPLE[binding]
        if report.pages % multiple:
            report.add("error", "pages",
                       f"共 {report.pages} 页，{BINDING_NAMES[binding]}需要 {multiple} 的倍数")
    return report


# Pages checked before ------------------------------------------------------

CHECKS = tuple(Path(__file__).with_name(name) for name in
               ("preflight.py", "textscan.py", "imagedata.py"))


def _checks_digest(printing: bool, min_dpi: int) -> str:
    """The checks' own code and settings: a page checked by other checks is checked again."""
    digest = hashlib.sha256(f"{printing}|{min_dpi}".encode())
    for check in CHECKS:
        digest.update(check.read_bytes())
    return digest.hexdigest()


def _page_key(page: pikepdf.Page, checks: str, widths: dict[tuple[int, int], bytes]) -> str:
    """What a page's checks read: its boxes, every content stream, image and font it
    draws with; `widths`: the fonts' /W arrays written out so far (shared by pages)."""
    digest = hashlib.sha256(checks.encode())
    for name in ("/MediaBox", "/CropBox", "/TrimBox", "/BleedBox", "/ArtBox", "/Rotate"):
        digest.update(f"{name}={page.obj.get(name)}".encode())
    for owner, resources in content_owners(page):
        contents = owner.obj.get("/Contents") if isinstance(owner, pikepdf.Page) else owner
        for stream in (contents if isinstance(contents, pikepdf.Array) else [contents]):
            if stream is not None:
                digest.update(stream.read_raw_bytes())
        for xobject in resources.get("/XObject", {}).values():
            if xobject.get("/Subtype") == pikepdf.Name.Image:
                digest.update(xobject.read_raw_bytes())
                digest.update(repr(sorted((str(key), str(value)) for key, value
                                          in xobject.stream_dict.items())).encode())
        for name, font in resources.get("/Font", {}).items():
            digest.update(f"{name}={font.get('/BaseFont')}".encode())
            for descendant in font.get("/DescendantFonts", ()):
                if descendant.objgen not in widths or descendant.objgen == (0, 0):
                    widths[descendant.objgen] = descendant.get("/W", pikepdf.Array()).unparse(resolved=True)
                digest.update(widths[descendant.objgen])
    return digest.hexdigest()


def _cached_findings(folder: Path, key: str) -> list[Finding] | None:
    record = folder / f"{key}.json"
    try:
        findings = [Finding(**values) for values in
                    json.loads(record.read_text(encoding="utf-8"))]
        os.utime(record)  # used: kept by the cache's pruning (build.py)
    except (OSError, ValueError, TypeError):
        return None
    return findings


# Fonts --------------------------------------------------------------------

def _check_fonts(pdf: pikepdf.Pdf, report: Report, printing: bool) -> None:
    seen: dict[tuple, FontInfo] = {}
    for number, page in enumerate(pdf.pages, 1):
        for font in (font for _, resources in content_owners(page)
                     for font in resources.get("/Font", {}).values()):
            if font.objgen in seen:
                continue
            info = _font_info(font)
            seen[font.objgen] = info
            if font.get("/Subtype") == pikepdf.Name.Type3:
                report.add("error" if printing else "warning", "fonts",
                           f"字体 {info.name} 是 Type 3 字体（位图或过程字体，印刷质量无法保证）", number)
            elif not info.embedded:
                report.add("error", "fonts", f"字体 {info.name} 没有嵌入", number)
    report.fonts = sorted(seen.values(), key=lambda font: font.name)


def _font_info(font: pikepdf.Dictionary) -> FontInfo:
    name = str(font.get("/BaseFont", "/(unnamed)"))[1:]
    subtype = str(font.get("/Subtype", "/?"))[1:]
    if subtype == "Type3":
        return FontInfo(name, subtype, embedded=True)
    descendants = font.get("/DescendantFonts")
    target = descendants[0] if descendants else font
    descriptor = target.get("/FontDescriptor")
    embedded = descriptor is not None and any(
        key in descriptor for key in ("/FontFile", "/FontFile2", "/FontFile3"))
    kind = str(target.get("/Subtype", "/?"))[1:]
    if descriptor is not None and "/FontFile3" in descriptor:
        kind += f"/{str(descriptor.FontFile3.get('/Subtype', '/?'))[1:]}"
    return FontInfo(name, kind, embedded)


# PDF/X identification -----------------------------------------------------

def _pdfx_version(pdf: pikepdf.Pdf) -> str | None:
    version = pdf.docinfo.get("/GTS_PDFXVersion")
    if version is None:
        metadata = pdf.open_metadata()
        version = metadata.get("pdfxid:GTS_PDFXVersion") or metadata.get("pdfx:GTS_PDFXVersion")
    return str(version) if version else None


def _check_pdfx(pdf: pikepdf.Pdf, report: Report, printing: bool) -> None:
    version = report.pdfx
    if version is None:
        if printing:
            report.add("error", "pdfx", "不是 PDF/X 文件（没有 GTS_PDFXVersion）")
        return
    intents = [intent for intent in pdf.Root.get("/OutputIntents", [])
               if intent.get("/S") == pikepdf.Name.GTS_PDFX]
    if not intents:
        report.add("error", "pdfx", f"{version} 文件缺少 OutputIntent（/GTS_PDFX 输出意图）")
    else:
        profile = intents[0].get("/DestOutputProfile")
        if profile is None and "PDF/X-4" in version:
            report.add("error", "pdfx", "OutputIntent 没有嵌入 ICC 输出特性文件")
        elif profile is not None and int(profile.get("/N", 0)) != 4:
            report.add("error", "pdfx", "OutputIntent 的 ICC 输出特性文件不是 CMYK（N≠4）")
    if re.match(r"PDF/X-(1a|3)", version) and "/GTS_PDFXVersion" not in pdf.docinfo:
        report.add("error", "pdfx", f"{version} 需要文档信息中的 GTS_PDFXVersion")
    if "PDF/X-4" in version and not pdf.open_metadata().get("pdfxid:GTS_PDFXVersion"):
        report.add("error", "pdfx", "PDF/X-4 需要 XMP 元数据中的 pdfxid:GTS_PDFXVersion")
    if "/ID" not in pdf.trailer:
        report.add("error", "pdfx", "文件缺少 /ID")
    if str(pdf.docinfo.get("/Trapped", "")) not in ("/True", "/False"):
        report.add("error", "pdfx", "文档信息的 Trapped 须为 True 或 False")
    if version.startswith("PDF/X-1a") and float(pdf.pdf_version) > 1.4:
        report.add("error", "pdfx", f"PDF/X-1a 须为 PDF 1.4 以下，本文件为 {pdf.pdf_version}")
    if version.startswith("PDF/X-1a"):
        for font in report.fonts:
            if font.type.endswith("/OpenType"):
                report.add("error", "fonts", f"PDF/X-1a 不允许 OpenType 字体程序：{font.name}")


# Page boxes ---------------------------------------------------------------

def _check_boxes(pdf: pikepdf.Pdf, report: Report, printing: bool, bleed_mm: float | None) -> None:
    sizes = set()
    for number, page in enumerate(pdf.pages, 1):
        media = _box(page.obj, "/MediaBox")
        trim = _box(page.obj, "/TrimBox")
        bleed = _box(page.obj, "/BleedBox")
        if trim is None or bleed is None:
            if printing:
                missing = "、".join(name for name, box in (("TrimBox", trim), ("BleedBox", bleed))
                                   if box is None)
                report.add("error", "boxes", f"缺少 {missing}", number)
            trim = trim or media
        if bleed is not None and not (_inside(trim, bleed) and _inside(bleed, media)):
            report.add("error", "boxes", "页面框不一致：须 TrimBox ⊆ BleedBox ⊆ MediaBox", number)
        if bleed is not None and bleed_mm is not None:
            expected = bleed_mm * MM
            actual = [trim[0] - bleed[0], trim[1] - bleed[1], bleed[2] - trim[2], bleed[3] - trim[3]]
            if any(abs(value - expected) > BOX_TOLERANCE for value in actual):
                shown = "、".join(f"{value / MM:.2f}" for value in actual)
                report.add("error", "boxes", f"出血应为 {bleed_mm:g} mm，实为 {shown} mm", number)
        sizes.add((round(trim[2] - trim[0], 1), round(trim[3] - trim[1], 1)))
    if len(sizes) > 1:
        shown = "、".join(f"{w / MM:.1f}×{h / MM:.1f} mm" for w, h in sorted(sizes))
        report.add("error", "boxes", f"各页成品尺寸（TrimBox）不一致：{shown}")


def _box(page: pikepdf.Dictionary, name: str) -> list[float] | None:
    box = page.get(name)
    if box is None and name in ("/MediaBox", "/CropBox"):  # inheritable from the page tree
        parent = page.get("/Parent")
        return _box(parent, name) if parent is not None else None
    if box is None:
        return None
    x0, y0, x1, y1 = (float(value) for value in box)
    return [min(x0, x1), min(y0, y1), max(x0, x1), max(y0, y1)]


def _inside(inner: list[float], outer: list[float]) -> bool:
    return (inner[0] >= outer[0] - BOX_TOLERANCE and inner[1] >= outer[1] - BOX_TOLERANCE
            and inner[2] <= outer[2] + BOX_TOLERANCE and inner[3] <= outer[3] + BOX_TOLERANCE)


# Colours and transparency -------------------------------------------------

def _check_colours_and_transparency(pdf: pikepdf.Pdf, report: Report) -> None:
    if report.pdfx is None:
        return
    x1a = report.pdfx.startswith("PDF/X-1a")
    for number, page in enumerate(pdf.pages, 1):
        rgb = 0
        transparent = False
        for owner, resources in content_owners(page):
            spaces = resources.get("/ColorSpace", {})
            for operands, operator in pikepdf.parse_content_stream(owner):
                name = str(operator)
                if name in ("rg", "RG") or (name in ("cs", "CS") and _is_rgb(
                        spaces.get(str(operands[0]), operands[0]), x1a)):
                    rgb += 1
            transparent |= any(_transparent(state)
                               for state in resources.get("/ExtGState", {}).values())
        if rgb:
            report.add("error", "colour", f"有 {rgb} 处使用 RGB 颜色（{report.pdfx} 须用 CMYK）", number)
        if x1a and transparent:
            report.add("error", "colour", "PDF/X-1a 不允许透明", number)


def _is_rgb(space, strict: bool) -> bool:
    """DeviceRGB is never right in PDF/X; ICC-based RGB only in PDF/X-1a is wrong."""
    if isinstance(space, pikepdf.Name):
        return str(space) in RGB_SPACES
    if isinstance(space, pikepdf.Array) and len(space) > 0:
        family = str(space[0])
        if family in RGB_SPACES:
            return True
        if family == "/ICCBased":
            return strict and int(space[1].get("/N", 0)) == 3
        if family == "/Indexed":
            return _is_rgb(space[1], strict)
    return False


def _transparent(state) -> bool:
    smask = state.get("/SMask")
    return ((smask is not None and smask != pikepdf.Name.None_)
            or float(state.get("/CA", 1)) < 1 or float(state.get("/ca", 1)) < 1
            or str(state.get("/BM", "/Normal")) not in ("/Normal", "/Compatible"))


# Images -------------------------------------------------------------------

@dataclass(frozen=True)
class PlacedImage:
    name: str  # resource name; "" for an inline image
    image: pikepdf.Object  # the image XObject (or inline image dictionary)
    width: float  # placed size in points
    height: float
    box: tuple[float, float, float, float]  # where it lands: x0, y0, x1, y1 in page space
    resources: pikepdf.Object | None  # of the content stream that draws it
    inline_data: bytes | None = None  # an inline image's encoded data

    def raw_data(self) -> bytes:
        return self.inline_data if self.inline_data is not None else self.image.read_raw_bytes()

    def subject(self, part: str = "", detail: str = "") -> str:
        """`图片 Im3（3000×2000 像素）`, or for its mask `图片 Im3 的透明蒙版（…）`."""
        image = self.image if not part else self.image[part]
        kind = f"图片 {self.name}" if self.name else "内联图片"
        kind += {"": "", "/SMask": " 的透明蒙版", "/Mask": " 的遮罩"}[part]
        return f"{kind}（{image.get('/Width', '?')}×{image.get('/Height', '?')} 像素{detail}）"


def _placed_images(owner, resources, ctm: pikepdf.Matrix, depth: int = 0
                   ) -> list[PlacedImage]:
    """Images drawn by a content stream, where the CTM puts them (forms included)."""
    placed: list[PlacedImage] = []
    stack: list[pikepdf.Matrix] = []
    xobjects = resources.get("/XObject", {}) if resources is not None else {}
    for operands, operator in pikepdf.parse_content_stream(owner):
        name = str(operator)
        if name == "q":
            stack.append(ctm)
        elif name == "Q" and stack:
            ctm = stack.pop()
        elif name == "cm":
            ctm = pikepdf.Matrix(*(float(value) for value in operands)) @ ctm
        elif name == "INLINE IMAGE":
            inline = operands[0]
            placed.append(PlacedImage("", inline.obj, *_unit_square(ctm), resources,
                                      inline.read_raw_bytes()))
        elif name == "Do" and str(operands[0]) in xobjects:
            xobject = xobjects[str(operands[0])]
            if xobject.get("/Subtype") == pikepdf.Name.Image:
                placed.append(PlacedImage(str(operands[0])[1:], xobject, *_unit_square(ctm),
                                          resources))
            elif xobject.get("/Subtype") == pikepdf.Name.Form and depth < 8:
                matrix = pikepdf.Matrix(*(float(v) for v in xobject.get("/Matrix", [1, 0, 0, 1, 0, 0])))
                placed += _placed_images(xobject, xobject.get("/Resources", resources),
                                         matrix @ ctm, depth + 1)
    return placed


def _unit_square(ctm: pikepdf.Matrix) -> tuple[float, float, tuple[float, float, float, float]]:
    """Width, height and bounding box of the unit square (an image's space) under `ctm`."""
    corners = [ctm.transform((x, y)) for x in (0, 1) for y in (0, 1)]
    xs, ys = [point[0] for point in corners], [point[1] for point in corners]
    return (math.hypot(ctm.a, ctm.b), math.hypot(ctm.c, ctm.d),
            (min(xs), min(ys), max(xs), max(ys)))


def _check_images(page: pikepdf.Page, number: int, report: Report, printing: bool,
                  min_dpi: int, checked: set[tuple[int, int]]) -> None:
    x1a = bool(report.pdfx and report.pdfx.startswith("PDF/X-1a"))
    limit, limit_name = _image_limit(page.obj)
    for placed in _placed_images(page, page.obj.get("/Resources"), pikepdf.Matrix()):
        _check_image_data(placed, number, report, checked)
        outside = _beyond(placed.box, limit)
        if any(outside):
            report.add("error", "page-edge",
                       f"{placed.subject()}超出{limit_name}：{_sides(outside)}", number)
        width_in, height_in = placed.width / 72, placed.height / 72
        if width_in <= 0 or height_in <= 0:
            continue
        pixels_x, pixels_y = int(placed.image.get("/Width", 0)), int(placed.image.get("/Height", 0))
        dpi = min(pixels_x / width_in, pixels_y / height_in)
        label = placed.subject(detail=f"，置入 {width_in * 25.4:.0f}×{height_in * 25.4:.0f} mm")
        if round(dpi) < min_dpi:  # images downsampled to 150 dpi come out at 149.9
            report.add("error" if printing else "warning", "images",
                       f"{label} 有效分辨率仅 {dpi:.0f} dpi，"
                       f"{'印刷' if printing else '屏幕'}至少需要 {min_dpi} dpi", number)
        space = placed.image.get("/ColorSpace")
        described = str(space[0] if isinstance(space, pikepdf.Array) else space)[1:]
        if report.pdfx and (described == "DeviceRGB" or (x1a and _is_rgb(space, strict=True))):
            report.add("error", "images", f"{label} 为 RGB（{described}），{report.pdfx} 须用 CMYK",
                       number)
        if x1a and "/SMask" in placed.image:
            report.add("error", "images", f"{label} 带透明蒙版，PDF/X-1a 不允许透明", number)


def _check_image_data(placed: PlacedImage, number: int, report: Report,
                      checked: set[tuple[int, int]]) -> None:
    """The image's bytes (and its masks') agree with its dictionary; each image once."""
    if placed.image.is_indirect:
        if placed.image.objgen in checked:
            return
        checked.add(placed.image.objgen)
    for problem in image_data_problems(placed.image, placed.raw_data(), placed.resources):
        report.add("error", "images", f"{placed.subject()}{problem}", number)
    for part in ("/SMask", "/Mask"):  # /Mask may also be a colour-key array
        mask = placed.image.get(part)
        if isinstance(mask, pikepdf.Stream):
            for problem in image_data_problems(mask, mask.read_raw_bytes()):
                report.add("error", "images", f"{placed.subject(part)}{problem}", number)


def _image_limit(page: pikepdf.Dictionary) -> tuple[list[float], str]:
    """How far an image may reach: into the bleed of a trimmed page (a full-bleed picture)."""
    bleed = _box(page, "/BleedBox")
    if bleed is not None and _box(page, "/TrimBox") is not None:
        return bleed, "出血框（BleedBox）"
    return _page_box(page, ("/CropBox", "/MediaBox"))


def _visible_page(page: pikepdf.Dictionary) -> tuple[list[float], str]:
    """Where text must stay: the trimmed page when there is a TrimBox, else the visible page."""
    return _page_box(page, ("/TrimBox", "/CropBox", "/MediaBox"))


def _page_box(page: pikepdf.Dictionary, names: tuple[str, ...]) -> tuple[list[float], str]:
    for name in names:
        box = _box(page, name)
        if box is not None:
            return box, f"{'成品页面' if name == '/TrimBox' else '页面'}（{name[1:]}）"
    return [-math.inf, -math.inf, math.inf, math.inf], "页面"


def _beyond(box, limit: list[float]) -> tuple[float, float, float, float]:
    """How far `box` reaches past each side of `limit` (left, bottom, right, top), in points."""
    reach = (limit[0] - box[0], limit[1] - box[1], box[2] - limit[2], box[3] - limit[3])
    return tuple(value if value > EDGE_TOLERANCE else 0.0 for value in reach)


def _sides(outside: tuple[float, ...]) -> str:
    return "、".join(f"{side} {value / MM:.1f} mm" for side, value in zip(SIDES, outside, strict=True)
                    if value)


# Text placement and colour -----------------------------------------------

def _check_text(page: pikepdf.Page, number: int, report: Report, printing: bool,
                font_cache: FontCache) -> None:
    """Missing glyphs and text outside the page (any profile); for print, no text within
    3 mm of the trim, text in CMYK, and black as K only."""
    visible, visible_name = _visible_page(page.obj)
    trim = _box(page.obj, "/TrimBox") if printing else None
    safe = (None if trim is None else
            (trim[0] + SAFE_ZONE, trim[1] + SAFE_ZONE, trim[2] - SAFE_ZONE, trim[3] - SAFE_ZONE))
    counts: Counter[str] = Counter()
    sides: Counter[str] = Counter()  # glyphs outside the page, by the side they cross
    for glyph in glyphs(page, font_cache):
        counts["notdef"] += glyph.notdef
        if not _contains(visible, glyph):
            counts["outside"] += 1
            beyond = _beyond((glyph.x0, glyph.y0, glyph.x1, glyph.y1), visible)
            sides.update(side for side, value in zip(SIDES, beyond, strict=True) if value)
        elif safe is not None and not _contains(safe, glyph):
            counts["near_trim"] += 1
        if printing:
            counts[_colour_fault(glyph)] += 1
    if counts["notdef"]:
        report.add("error", "glyphs", f"有 {counts['notdef']} 处文字以 .notdef（缺字方框）显示", number)
    if counts["outside"]:
        crossed = "、".join(f"{side} {sides[side]} 个" for side in SIDES if sides[side])
        report.add("error", "page-edge", f"有 {counts['outside']} 个字符部分或全部超出"
                   f"{visible_name}：{crossed}", number)
    if counts["near_trim"]:
        report.add("error", "safe-zone", f"有 {counts['near_trim']} 个字符距裁切线不足 3 mm", number)
    if counts["rgb"]:
        report.add("error", "colour", f"有 {counts['rgb']} 个字符为 RGB 颜色", number)
    if counts["rich_black"]:
        report.add("error", "colour", f"有 {counts['rich_black']} 个字符为四色黑（应为单色 K100）",
                   number)


def _contains(box, glyph: Glyph) -> bool:
    """Written out rather than through `_beyond`: this runs for every glyph of the document."""
    return (glyph.x0 >= box[0] - EDGE_TOLERANCE and glyph.y0 >= box[1] - EDGE_TOLERANCE
            and glyph.x1 <= box[2] + EDGE_TOLERANCE and glyph.y1 <= box[3] + EDGE_TOLERANCE)


def _colour_fault(glyph: Glyph) -> str:
    if glyph.space == "/DeviceRGB" or len(glyph.colour) == 3:
        return "rgb"
    if (glyph.space == "/DeviceCMYK" and len(glyph.colour) == 4 and glyph.colour[3] >= 0.99
            and sum(glyph.colour[:3]) > 0):
        return "rich_black"
    return ""
