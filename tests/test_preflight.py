"""Preflight on our own PDFs and on deliberately broken ones made here."""

from __future__ import annotations

import io
import json
import zlib
from pathlib import Path

import pikepdf
import pytest
from pdfread import MM
from PIL import Image

from bulletin_pdf.cli import main
from bulletin_pdf.preflight import preflight

A4 = [0, 0, 595.28, 841.89]


def make_pdf(path: Path, content: bytes = b"", resources: dict | None = None, pages: int = 1,
             **boxes: list[float]) -> Path:
    pdf = pikepdf.new()
    for _ in range(pages):
        page = pikepdf.Dictionary(Type=pikepdf.Name.Page, MediaBox=A4,
                                  Resources=pikepdf.Dictionary(resources or {}),
                                  Contents=pdf.make_stream(content))
        for name, value in boxes.items():
            page[f"/{name}"] = pikepdf.Array(value)
        pdf.pages.append(pikepdf.Page(pdf.make_indirect(page)))
    pdf.save(path)
    return path


def rules(report, severity: str = "error") -> list[tuple[str, int | None]]:
    return [(finding.rule, finding.page) for finding in report.findings
            if finding.severity == severity]


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """Screen and print PDFs of the minimal issue."""
    from conftest import make_project

    project = make_project(tmp_path_factory.mktemp("preflight"))
    assert project.build("--profile", "all") == 0
    return project


def edited(source: Path, target: Path, change) -> Path:
    with pikepdf.open(source) as pdf:
        change(pdf)
        pdf.save(target)
    return target


def append_content(pdf: pikepdf.Pdf, page_index: int, content: bytes) -> None:
    pdf.pages[page_index].contents_add(pdf.make_stream(content))


def first_type0_font(pdf: pikepdf.Pdf, page_index: int) -> str:
    fonts = pdf.pages[page_index].Resources.Font
    return next(name for name, font in fonts.items() if font.Subtype == pikepdf.Name.Type0)


# Our own output is clean --------------------------------------------------

def test_our_print_and_screen_pdfs_pass(built, capsys):
    assert main(["preflight", str(built.print_pdf), "--profile", "print", "--binding", "saddle",
                 "--bleed", "3"]) == 0
    text = capsys.readouterr().out
    assert "PDF/X-4" in text and "结论：0 个错误" in text and "Noto-Serif-CJK-SC" in text
    assert main(["preflight", str(built.pdf)]) == 0


def test_json_output_for_ci(built, capsys):
    assert main(["preflight", str(built.print_pdf), "--profile", "print", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["errors"] == 0 and report["pdfx"] == "PDF/X-4"
    assert report["pages"] % 4 == 0
    assert all(font["embedded"] for font in report["fonts"]) and len(report["fonts"]) >= 3


# Broken files are caught -------------------------------------------------

def test_font_not_embedded(tmp_path, capsys):
    helvetica = pikepdf.Dictionary(Type=pikepdf.Name.Font, Subtype=pikepdf.Name.Type1,
                                   BaseFont=pikepdf.Name.Helvetica)
    path = make_pdf(tmp_path / "font.pdf", b"BT /F1 12 Tf 100 700 Td (Hello) Tj ET",
                    {"/Font": pikepdf.Dictionary(F1=helvetica)})
    report = preflight(path)
    assert ("fonts", 1) in rules(report)
    assert report.fonts[0].name == "Helvetica" and not report.fonts[0].embedded
    assert main(["preflight", str(path)]) == 1
    assert "字体 Helvetica 没有嵌入" in capsys.readouterr().out


def test_type3_font_is_flagged(tmp_path):
    type3 = pikepdf.Dictionary(
        Type=pikepdf.Name.Font, Subtype=pikepdf.Name.Type3, FontBBox=[0, 0, 1000, 1000],
        FontMatrix=[0.001, 0, 0, 0.001, 0, 0], CharProcs=pikepdf.Dictionary(),
        Encoding=pikepdf.Dictionary(Differences=[65, pikepdf.Name.a]), FirstChar=65, LastChar=65,
        Widths=[1000], Resources=pikepdf.Dictionary())
    path = make_pdf(tmp_path / "type3.pdf", b"BT /T3 12 Tf 100 700 Td (A) Tj ET",
                    {"/Font": pikepdf.Dictionary(T3=type3)})
    assert ("fonts", 1) in rules(preflight(path, "print"))
    assert ("fonts", 1) in rules(preflight(path, "screen"), "warning")


def test_low_resolution_image(tmp_path):
    path = tmp_path / "image.pdf"
    pdf = pikepdf.new()
    image = pdf.make_stream(b"\x80" * 72 * 72 * 3, Type=pikepdf.Name.XObject,
                            Subtype=pikepdf.Name.Image, Width=72, Height=72,
                            ColorSpace=pikepdf.Name.DeviceRGB, BitsPerComponent=8)
    page = pikepdf.Dictionary(Type=pikepdf.Name.Page, MediaBox=A4,
                              Resources=pikepdf.Dictionary(XObject=pikepdf.Dictionary(Im1=image)),
                              Contents=pdf.make_stream(b"q 72 0 0 72 100 400 cm /Im1 Do Q"))
    pdf.pages.append(pikepdf.Page(pdf.make_indirect(page)))
    pdf.save(path)
    printing = preflight(path, "print")
    assert ("images", 1) in rules(printing)
    assert any("72 dpi" in finding.message for finding in printing.errors)
    screen = preflight(path, "screen")
    assert ("images", 1) in rules(screen, "warning") and not screen.errors


def test_missing_trim_box(built, tmp_path):
    def drop_trim(pdf):
        del pdf.pages[1].obj["/TrimBox"]

    path = edited(built.print_pdf, tmp_path / "notrim.pdf", drop_trim)
    report = preflight(path, "print")
    assert ("boxes", 2) in rules(report)
    assert any("缺少 TrimBox" in finding.message for finding in report.errors)
    assert ("boxes", 1) in rules(preflight(make_pdf(tmp_path / "plain.pdf"), "print"))


def test_bleed_of_the_wrong_size_and_inconsistent_boxes(built, tmp_path):
    def shrink_bleed(pdf):
        trim = [float(value) for value in pdf.pages[0].TrimBox]
        pdf.pages[0].obj.BleedBox = [trim[0] - 2 * MM, trim[1] - 2 * MM, trim[2] + 2 * MM,
                                     trim[3] + 2 * MM]
        pdf.pages[2].obj.TrimBox = [0, 0, 500, 700]

    report = preflight(edited(built.print_pdf, tmp_path / "bleed.pdf", shrink_bleed), "print",
                       bleed_mm=3)
    assert ("boxes", 1) in rules(report)  # 2 mm instead of 3
    assert any("不一致" in finding.message for finding in report.errors)  # page 3's size


def test_missing_glyph(built, tmp_path):
    def show_notdef(pdf):
        font = first_type0_font(pdf, 2)
        append_content(pdf, 2, f"BT {font} 12 Tf 100 300 Td <0000> Tj ET".encode())

    report = preflight(edited(built.print_pdf, tmp_path / "notdef.pdf", show_notdef), "print")
    assert ("glyphs", 3) in rules(report)


def test_rgb_colour_and_rich_black_text_in_pdfx(built, tmp_path):
    def paint(pdf):
        font = first_type0_font(pdf, 2)
        append_content(pdf, 2, b"1 0 0 rg 100 100 10 10 re f "
                       + f"0.6 0.5 0.4 1 k BT {font} 12 Tf 100 300 Td <0010> Tj ET".encode())

    report = preflight(edited(built.print_pdf, tmp_path / "rgb.pdf", paint), "print")
    messages = [finding.message for finding in report.errors if finding.page == 3]
    assert any("RGB 颜色" in message for message in messages)
    assert any("四色黑" in message for message in messages)


def test_text_too_close_to_the_trim(built, tmp_path):
    def near_edge(pdf):
        font = first_type0_font(pdf, 2)
        append_content(pdf, 2, f"0 0 0 1 k BT {font} 12 Tf 2 400 Td <0010> Tj ET".encode())

    report = preflight(edited(built.print_pdf, tmp_path / "edge.pdf", near_edge), "print")
    assert ("safe-zone", 3) in rules(report)


def test_pdfx_identification(built, tmp_path):
    def drop_intent(pdf):
        del pdf.Root["/OutputIntents"]

    report = preflight(edited(built.print_pdf, tmp_path / "nointent.pdf", drop_intent), "print")
    assert any("OutputIntent" in finding.message for finding in report.errors)
    plain = preflight(built.pdf, "print")
    assert any("不是 PDF/X" in finding.message for finding in plain.errors)


def test_pdfx_1a_rules(built, tmp_path):
    def relabel(pdf):
        pdf.docinfo["/GTS_PDFXVersion"] = "PDF/X-1a:2003"
        resources = pdf.pages[2].Resources
        resources.ExtGState = pikepdf.Dictionary(GS9=pikepdf.Dictionary(ca=0.5))

    report = preflight(edited(built.print_pdf, tmp_path / "x1a.pdf", relabel), "print")
    messages = " ".join(finding.message for finding in report.errors)
    assert "不允许 OpenType 字体程序" in messages  # WeasyPrint's fonts, not converted
    assert "须为 PDF 1.4 以下" in messages
    assert "不允许透明" in messages


def test_page_count_for_binding(tmp_path):
    path = make_pdf(tmp_path / "six.pdf", pages=6)
    assert ("pages", None) in rules(preflight(path, binding="saddle"))
    assert ("pages", None) not in rules(preflight(path, binding="perfect"))


def test_unreadable_pdf(tmp_path, capsys):
    path = tmp_path / "broken.pdf"
    path.write_bytes(b"not a pdf at all")
    assert main(["preflight", str(path)]) == 2
    assert "不是 PDF 文件" in capsys.readouterr().err


def test_inline_image_inside_a_form_is_measured_at_its_placed_size(tmp_path):
    pdf = pikepdf.new()
    form = pdf.make_stream(b"q 100 0 0 100 0 0 cm BI /W 10 /H 10 /CS /RGB /BPC 8 ID "
                           + b"\x80" * 300 + b" EI Q", Type=pikepdf.Name.XObject,
                           Subtype=pikepdf.Name.Form, BBox=[0, 0, 200, 200],
                           Matrix=[2, 0, 0, 2, 0, 0])
    page = pikepdf.Dictionary(Type=pikepdf.Name.Page, MediaBox=A4,
                              Resources=pikepdf.Dictionary(XObject=pikepdf.Dictionary(Fm1=form)),
                              Contents=pdf.make_stream(b"q 1 0 0 1 50 50 cm /Fm1 Do Q"))
    pdf.pages.append(pikepdf.Page(pdf.make_indirect(page)))
    pdf.save(tmp_path / "form.pdf")
    (finding,) = [f for f in preflight(tmp_path / "form.pdf", "print").errors if f.rule == "images"]
    assert "置入 71×71 mm" in finding.message and "有效分辨率仅 4 dpi" in finding.message


def test_rgb_inside_a_form_xobject(built, tmp_path):
    def add_form(pdf):
        form = pdf.make_stream(b"1 0 0 rg 0 0 10 10 re f", Type=pikepdf.Name.XObject,
                               Subtype=pikepdf.Name.Form, BBox=[0, 0, 10, 10])
        page = pdf.pages[2]
        page.Resources.XObject = pikepdf.Dictionary(Fm9=form)
        append_content(pdf, 2, b"q 1 0 0 1 100 100 cm /Fm9 Do Q")

    report = preflight(edited(built.print_pdf, tmp_path / "form.pdf", add_form), "print")
    assert ("colour", 3) in rules(report)


# Image data must agree with the image dictionary -------------------------

def encoded(size: tuple[int, int], mode: str = "RGB", kind: str = "JPEG") -> bytes:
    """An image file of `size` in `mode`, as Pillow writes it."""
    output = io.BytesIO()
    Image.new(mode, size, "#3070a0" if mode == "RGB" else 90).save(output, kind)
    return output.getvalue()


def with_adobe_transform(jpeg: bytes, transform: int) -> bytes:
    """`jpeg` with an Adobe APP14 segment right after SOI declaring `transform`."""
    return jpeg[:2] + b"\xff\xee\x00\x0eAdobe\x00\x64\x00\x00\x00\x00" + bytes([transform]) + jpeg[2:]


def image_pdf(path: Path, data: bytes, in_form: bool = False, place: bytes = b"72 0 0 48 100 400",
              **dictionary) -> Path:
    """One page drawing image /Im1 (`data` under `dictionary`), directly or inside a form."""
    pdf = pikepdf.new()
    dictionary = {"BitsPerComponent": 8, **dictionary}
    smask = dictionary.pop("SMask", None)
    image = pdf.make_stream(data, Type=pikepdf.Name.XObject, Subtype=pikepdf.Name.Image,
                            **{key: _pdf_value(value) for key, value in dictionary.items()})
    if smask is not None:
        image.SMask = pdf.make_stream(smask[0], Type=pikepdf.Name.XObject,
                                      Subtype=pikepdf.Name.Image, **smask[1])
    draw = b"q " + place + b" cm /Im1 Do Q"
    resources = pikepdf.Dictionary(XObject=pikepdf.Dictionary(Im1=image))
    if in_form:
        form = pdf.make_stream(draw, Type=pikepdf.Name.XObject, Subtype=pikepdf.Name.Form,
                               BBox=[0, 0, 595, 842], Resources=resources)
        resources, draw = pikepdf.Dictionary(XObject=pikepdf.Dictionary(Fm1=form)), b"/Fm1 Do"
    page = pikepdf.Dictionary(Type=pikepdf.Name.Page, MediaBox=A4, Resources=resources,
                              Contents=pdf.make_stream(draw))
    pdf.pages.append(pikepdf.Page(pdf.make_indirect(page)))
    pdf.save(path)
    return path


def _pdf_value(value):
    if isinstance(value, str) and value.startswith("/"):
        return pikepdf.Name(value)
    if isinstance(value, list):
        return pikepdf.Array([_pdf_value(item) for item in value])
    return value


JPEG_RGB = encoded((60, 40))
FLATE = "/FlateDecode"


@pytest.mark.parametrize(("data", "dictionary", "message"), [
    (JPEG_RGB, {"Filter": "/DCTDecode", "ColorSpace": "/DeviceCMYK", "Width": 60, "Height": 40},
     "图片 Im1（60×40 像素）的 JPEG 数据为 3 通道，但字典声明 DeviceCMYK（4 通道）"),
    (encoded((60, 40), kind="PNG"),
     {"Filter": "/DCTDecode", "ColorSpace": "/DeviceRGB", "Width": 60, "Height": 40},
     "图片 Im1（60×40 像素）的数据不是 JPEG（实为 PNG 数据），但字典声明 DCTDecode"),
    (JPEG_RGB, {"Filter": "/DCTDecode", "ColorSpace": "/DeviceRGB", "Width": 80, "Height": 40},
     "图片 Im1（80×40 像素）的 JPEG 数据为 60×40 像素，但字典声明 80×40"),
    (JPEG_RGB, {"Filter": "/DCTDecode", "ColorSpace": "/DeviceRGB", "Width": 60, "Height": 40,
                "BitsPerComponent": 16},
     "的 JPEG 数据为每通道 8 位，但字典声明 BitsPerComponent 16"),
    (encoded((60, 40), "CMYK"),
     {"Filter": "/DCTDecode", "ColorSpace": ["/ICCBased", pikepdf.Dictionary(N=3)], "Width": 60,
      "Height": 40},
     "的 JPEG 数据为 4 通道，但字典声明 ICCBased（3 通道）"),
    (with_adobe_transform(JPEG_RGB, 2),
     {"Filter": "/DCTDecode", "ColorSpace": "/DeviceRGB", "Width": 60, "Height": 40},
     "Adobe 标记的颜色变换为 YCCK（2），只适用于 4 通道，但数据为 3 通道"),
    (JPEG_RGB[:-10], {"Filter": "/DCTDecode", "ColorSpace": "/DeviceRGB", "Width": 60,
                      "Height": 40},
     "的 JPEG 数据不完整：缺少结束标记（EOI），数据被截断"),
    (JPEG_RGB[:200], {"Filter": "/DCTDecode", "ColorSpace": "/DeviceRGB", "Width": 60,
                      "Height": 40},
     "的 JPEG 数据不完整：标记 FFC4 的段超出数据末尾，数据被截断"),
    (b"\x13\x37" * 500, {"Filter": "/DCTDecode", "ColorSpace": "/DeviceRGB", "Width": 60,
                         "Height": 40},
     "的数据不是 JPEG（缺少 SOI 起始标记），但字典声明 DCTDecode"),
    (b"\x13\x37" * 500, {"Filter": FLATE, "ColorSpace": "/DeviceRGB", "Width": 60, "Height": 40},
     "图片 Im1（60×40 像素）的数据无法按 FlateDecode 解码"),
    (zlib.compress(b"\x80" * (60 * 40 * 3 - 60)),
     {"Filter": FLATE, "ColorSpace": "/DeviceRGB", "Width": 60, "Height": 40},
     "的数据解码后只有 7140 字节，60×40 像素、3 通道、每通道 8 位需要 7200 字节"),
    (b"\xff" * 39 * 5, {"ColorSpace": "/DeviceGray", "Width": 39, "Height": 40,
                        "BitsPerComponent": 1},
     "的数据解码后只有 195 字节，39×40 像素、1 通道、每通道 1 位需要 200 字节"),
    (JPEG_RGB, {"Filter": "/JPXDecode", "Width": 60, "Height": 40},
     "的数据不是 JPEG 2000（实为 JPEG 数据），但字典声明 JPXDecode"),
    (encoded((60, 40), kind="JPEG2000"), {"Filter": "/JPXDecode", "Width": 60, "Height": 50},
     "的 JPEG 2000 数据为 60×40 像素，但字典声明 60×50"),
], ids=["rgb-jpeg-as-cmyk", "png-as-jpeg", "jpeg-width", "jpeg-precision", "jpeg-icc-n",
        "adobe-ycck-on-3", "truncated-scan", "truncated-header", "garbage-as-jpeg", "garbage-as-flate",
        "flate-too-short", "raw-1-bit-too-short", "jpeg-as-jpx", "jpx-size"])
def test_image_data_that_contradicts_its_dictionary(tmp_path, capsys, data, dictionary, message):
    path = image_pdf(tmp_path / "image.pdf", data, **dictionary)
    for profile in ("screen", "print"):
        messages = [f.message for f in preflight(path, profile).errors if f.rule == "images"]
        assert any(message in text for text in messages), messages
    assert main(["preflight", str(path)]) == 1
    assert "错误 [图片] 第 1 页 图片 Im1" in capsys.readouterr().out


def test_broken_image_inside_a_form_and_broken_inline_image(tmp_path):
    path = image_pdf(tmp_path / "form.pdf", JPEG_RGB, in_form=True, Filter="/DCTDecode",
                     ColorSpace="/DeviceCMYK", Width=60, Height=40)
    (finding,) = preflight(path).errors
    assert finding.page == 1 and "Im1（60×40 像素）的 JPEG 数据为 3 通道" in finding.message
    pdf = pikepdf.new()
    form = pdf.make_stream(b"q 100 0 0 100 0 0 cm BI /W 10 /H 10 /CS /RGB /BPC 8 ID "
                           + b"\x80" * 200 + b" EI Q", Type=pikepdf.Name.XObject,
                           Subtype=pikepdf.Name.Form, BBox=[0, 0, 200, 200])
    for _ in range(2):
        page = pikepdf.Dictionary(Type=pikepdf.Name.Page, MediaBox=A4, Contents=pdf.make_stream(
            b"/Fm1 Do"), Resources=pikepdf.Dictionary(XObject=pikepdf.Dictionary(Fm1=form)))
        pdf.pages.append(pikepdf.Page(pdf.make_indirect(page)))
    pdf.save(tmp_path / "inline.pdf")
    found = [(f.page, f.message) for f in preflight(tmp_path / "inline.pdf").errors]
    assert found == [(page, "内联图片（10×10 像素）的数据解码后只有 201 字节，10×10 像素、3 通道、"
                            "每通道 8 位需要 300 字节") for page in (1, 2)]


def test_each_shared_image_is_reported_once_and_a_broken_mask_too(tmp_path):
    path = image_pdf(tmp_path / "mask.pdf", zlib.compress(b"\x80" * 60 * 40 * 3), Filter=FLATE,
                     ColorSpace="/DeviceRGB", Width=60, Height=40,
                     SMask=(b"\x80" * 100, {"Width": 60, "Height": 40, "BitsPerComponent": 8,
                                            "ColorSpace": pikepdf.Name.DeviceGray}),
                     place=b"72 0 0 48 100 400 cm /Im1 Do Q q 72 0 0 48 100 300")
    (finding,) = preflight(path).errors
    assert finding.message.startswith("图片 Im1 的透明蒙版（60×40 像素）的数据解码后只有 100 字节")


def test_images_whose_data_agrees_with_the_dictionary_pass(tmp_path):
    gray = zlib.compress(b"\x40" * 60 * 40)
    cases = [
        (JPEG_RGB, {"Filter": "/DCTDecode", "ColorSpace": "/DeviceRGB"}),
        (encoded((60, 40), "CMYK"), {"Filter": "/DCTDecode", "ColorSpace": "/DeviceCMYK",
                                     "Decode": [1, 0, 1, 0, 1, 0, 1, 0]}),
        (encoded((60, 40), "L"), {"Filter": "/DCTDecode", "ColorSpace": "/DeviceGray"}),
        (with_adobe_transform(JPEG_RGB, 1), {"Filter": "/DCTDecode", "ColorSpace": "/DeviceRGB"}),
        (gray, {"Filter": FLATE, "ColorSpace": "/DeviceGray"}),
        (gray, {"Filter": [FLATE], "ColorSpace": ["/Indexed", "/DeviceRGB", 255, b"\0" * 768]}),
        (zlib.compress(b"\x80" * 60 * 40 * 3), {
            "Filter": FLATE, "ColorSpace": "/DeviceRGB",
            "SMask": (gray, {"Width": 60, "Height": 40, "BitsPerComponent": 8,
                             "ColorSpace": pikepdf.Name.DeviceGray,
                             "Filter": pikepdf.Name.FlateDecode})}),
        (b"\xf0" * 8 * 40, {"ImageMask": True, "BitsPerComponent": 1}),
        (encoded((60, 40), kind="JPEG2000"), {"Filter": "/JPXDecode"}),
        (zlib.compress(JPEG_RGB), {"Filter": [FLATE, "/DCTDecode"], "ColorSpace": "/DeviceRGB",
                                   "DecodeParms": [pikepdf.Dictionary(Predictor=1), None]}),
    ]
    for index, (data, dictionary) in enumerate(cases):
        path = image_pdf(tmp_path / f"good{index}.pdf", data, Width=60, Height=40, **dictionary)
        assert preflight(path).errors == [], dictionary


# Nothing outside the page -------------------------------------------------

def helvetica_with_widths() -> dict:
    font = pikepdf.Dictionary(Type=pikepdf.Name.Font, Subtype=pikepdf.Name.Type1,
                              BaseFont=pikepdf.Name.Helvetica, FirstChar=32, LastChar=126,
                              Widths=[600] * 95)
    return {"/Font": pikepdf.Dictionary(F1=font)}


@pytest.mark.parametrize(("content", "side"), [
    # 7.2 pt a glyph: the 5th spans 588.8-596.0, past the edge at 595.28, and so do the 6 after it.
    (b"BT /F1 12 Tf 560 700 Td (Hello world) Tj ET", "右侧 7 个"),
    (b"BT /F1 12 Tf 100 -4 Td (Low) Tj ET", "下方 3 个"),
    (b"q 1 0 0 1 0 900 cm BT /F1 12 Tf 100 -40 Td (Up) Tj ET Q", "上方 2 个"),
])
def test_text_outside_the_page_in_any_profile(tmp_path, capsys, content, side):
    path = make_pdf(tmp_path / "edge.pdf", b"BT /F1 12 Tf 100 400 Td (Inside) Tj ET " + content,
                    helvetica_with_widths())
    for profile in ("screen", "print"):
        found = [f for f in preflight(path, profile).errors if f.rule == "page-edge"]
        assert [(f.page, f.message.split("：")[1]) for f in found] == [(1, side)]
        assert "部分或全部超出页面（MediaBox）" in found[0].message
    assert main(["preflight", str(path)]) == 1
    assert "错误 [超出页面] 第 1 页" in capsys.readouterr().out
    inside = make_pdf(tmp_path / "inside.pdf", b"BT /F1 12 Tf 100 400 Td (Inside) Tj ET",
                      helvetica_with_widths())
    assert not [f for f in preflight(inside).errors if f.rule == "page-edge"]


def test_text_in_the_bleed_is_outside_the_trimmed_page(built, tmp_path):
    def in_bleed(pdf):
        font = first_type0_font(pdf, 2)
        append_content(pdf, 2, f"0 0 0 1 k BT {font} 12 Tf -6 400 Td <00100010> Tj ET".encode())

    path = edited(built.print_pdf, tmp_path / "bleed-text.pdf", in_bleed)
    for profile in ("print", "screen"):
        (finding,) = [f for f in preflight(path, profile).errors if f.rule == "page-edge"]
        assert finding.page == 3 and "1 个字符部分或全部超出成品页面（TrimBox）：左侧 1 个" in (
            finding.message)


@pytest.mark.parametrize(("place", "boxes", "outside"), [
    (b"200 0 0 100 500 400", {}, "超出页面（MediaBox）：右侧 36.9 mm"),
    (b"200 0 0 100 100 -20", {"CropBox": [0, 0, 595.28, 800]}, "超出页面（CropBox）：下方 7.1 mm"),
    # A full-bleed picture may fill the bleed of a trimmed page, not more.
    (b"611.28 0 0 857.89 -8 -8", {"TrimBox": A4, "BleedBox": [-8.5, -8.5, 603.78, 850.39],
                                  "MediaBox": [-30, -30, 625, 872]}, None),
    (b"200 0 0 100 -20 400", {"TrimBox": A4, "BleedBox": [-8.5, -8.5, 603.78, 850.39],
                              "MediaBox": [-30, -30, 625, 872]},
     "超出出血框（BleedBox）：左侧 4.1 mm"),
])
def test_images_outside_the_page_or_its_bleed(tmp_path, place, boxes, outside):
    path = image_pdf(tmp_path / "placed.pdf", JPEG_RGB, place=place, Filter="/DCTDecode",
                     ColorSpace="/DeviceRGB", Width=60, Height=40)
    with pikepdf.open(path, allow_overwriting_input=True) as pdf:
        for name, box in boxes.items():
            pdf.pages[0].obj[f"/{name}"] = pikepdf.Array(box)
        pdf.save(path)
    found = [f.message for f in preflight(path).errors if f.rule == "page-edge"]
    assert found == ([] if outside is None else [f"图片 Im1（60×40 像素）{outside}"])


def test_a_build_whose_text_runs_off_the_page_fails(project, capsys):
    """A layout that forbids wrapping: the lines run past the right edge of the paper."""
    stylesheet = project.root / "layouts" / "bulletin" / "css" / "bulletin.css"
    stylesheet.write_text(stylesheet.read_text(encoding="utf-8")
                          + "\n.article-body p { white-space: nowrap; }\n", encoding="utf-8")
    project.write("articles/b.md", "---\ntitle: 第二篇文章\n---\n\n" + "这一段文字很长，" * 10 + "\n")
    assert project.build() == 2
    error = capsys.readouterr().err
    assert "build/test.pdf：预检未通过：错误 [超出页面] 第 4 页 有 " in error
    assert "个字符部分或全部超出成品页面（TrimBox）：右侧" in error
    assert not project.pdf.exists()


# Pages checked before (.cache/preflight/): reused only while what is checked is the same.

def checked_pages(project) -> set[Path]:
    return set((project.root / ".cache" / "preflight").glob("*.json"))


def test_a_build_checks_again_only_the_pages_that_changed(project):
    assert project.build() == 0
    first = checked_pages(project)
    with pikepdf.open(project.pdf) as pdf:
        pages = len(pdf.pages)
    assert 1 < len(first) <= pages
    # The same characters in another order: the fonts stay as they were (a new character
    # changes the issue's font subset, and with it every page that uses the font).
    project.write("articles/b.md", "---\ntitle: 第二篇文章\nauthors: [王五]\n---\n\n正文的第二篇。\n")
    assert project.build() == 0
    new = checked_pages(project) - first
    assert len(new) == 1, "the edited article's page, and no other, is read again"


def test_a_page_checked_before_is_checked_again_when_it_changes(project, capsys):
    assert project.build("--profile", "print") == 0
    assert checked_pages(project)
    # The same pages with their text pushed off the trimmed page: nothing cached may hide it.
    stylesheet = project.root / "layouts" / "bulletin" / "css" / "profile-print.css"
    stylesheet.write_text(stylesheet.read_text(encoding="utf-8")
                          + "\np { margin-left: -45mm !important; }\n", encoding="utf-8")
    capsys.readouterr()
    assert project.build("--profile", "print") == 2
    assert "超出成品页面" in capsys.readouterr().err
