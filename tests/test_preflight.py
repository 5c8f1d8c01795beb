"""Preflight on our own PDFs and on deliberately broken ones made here."""

from __future__ import annotations

import json
from pathlib import Path

import pikepdf
import pytest
from pdfread import MM

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
    assert "无法读取 PDF" in capsys.readouterr().err


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
