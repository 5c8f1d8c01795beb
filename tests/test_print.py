"""The print profile: PDF/X, boxes, bleed, crop marks, CMYK, binding and 版记 — read back."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pdfplumber
import pikepdf
import pytest
from conftest import MINIMAL_ARTICLES, MINIMAL_MANIFEST, Project, make_project
from pdfread import MM, read_pages, squash, trim_box
from PIL import Image

ICC = Path("/usr/share/color/icc/ghostscript/default_cmyk.icc")
A4 = (210 * MM, 297 * MM)
BLEED = 3 * MM
COLOPHON = """\
colophon:
  submit_to: [区委组织部, 区委宣传部]
  copy_to: 区委党校各教研室
  distribute_to: 全体学员
  copies: 60
"""


def box(page, name: str) -> list[float]:
    return [float(value) for value in page.obj[name]]


@pytest.fixture(scope="module")
def print_project(tmp_path_factory) -> Project:
    """The minimal issue with a 版记 and a photo, built for print and screen."""
    made = make_project(tmp_path_factory.mktemp("print"))
    made.write("issue.yaml", MINIMAL_MANIFEST + COLOPHON)
    photo = made.issue / "articles" / "images" / "photo.jpg"
    photo.parent.mkdir(parents=True)
    # 2400 px over the 156 mm text width: about 390 dpi, enough for print.
    Image.new("RGB", (2400, 1600), (200, 40, 40)).save(photo, dpi=(300, 300), quality=90)
    made.write("articles/b.md", MINIMAL_ARTICLES["b.md"] + "\n![照片](images/photo.jpg)\n")
    assert made.build("--profile", "all") == 0
    return made


def test_boxes_trim_is_the_paper_and_bleed_is_exactly_3mm(print_project):
    with pikepdf.open(print_project.print_pdf) as pdf:
        for page in pdf.pages:
            trim, bleed, media = box(page, "/TrimBox"), box(page, "/BleedBox"), box(page, "/MediaBox")
            assert trim[2] - trim[0] == pytest.approx(A4[0], abs=0.01)
            assert trim[3] - trim[1] == pytest.approx(A4[1], abs=0.01)
            assert [t - b for t, b in zip(trim[:2], bleed[:2], strict=True)] == pytest.approx(
                [BLEED, BLEED], abs=0.01)
            assert [b - t for t, b in zip(trim[2:], bleed[2:], strict=True)] == pytest.approx(
                [BLEED, BLEED], abs=0.01)
            assert media[0] < bleed[0] and media[3] > bleed[3]  # room for the crop marks


def test_crop_marks_lie_outside_the_bleed_on_every_page(print_project):
    with pikepdf.open(print_project.print_pdf) as pdf:
        for page in pdf.pages:
            bleed = box(page, "/BleedBox")
            trim = box(page, "/TrimBox")
            marks = _registration_segments(page)
            assert len(marks) == 8, "two marks at each of the four corners"
            for x0, y0, x1, y1 in marks:
                for x, y in ((x0, y0), (x1, y1)):
                    outside = x < bleed[0] or x > bleed[2] or y < bleed[1] or y > bleed[3]
                    assert outside, (x, y)
                # Each mark continues a trim line.
                assert (x0 == x1 and any(abs(x0 - t) < 0.01 for t in (trim[0], trim[2]))) or (
                    y0 == y1 and any(abs(y0 - t) < 0.01 for t in (trim[1], trim[3])))


def _registration_segments(page) -> list[tuple[float, ...]]:
    """Lines stroked in the registration colour (Separation /All): the crop marks."""
    spaces = page.Resources.get("/ColorSpace", {})
    segments, start, registration = [], None, False
    for operands, operator in pikepdf.parse_content_stream(page):
        name = str(operator)
        if name == "CS":
            space = spaces.get(str(operands[0]))
            registration = isinstance(space, pikepdf.Array) and str(space[1]) == "/All"
        elif name == "m":
            start = tuple(float(value) for value in operands)
        elif name == "l" and start is not None and registration:
            segments.append((*start, *(float(value) for value in operands)))
    return segments


def test_nothing_but_background_prints_in_the_bleed(tmp_path):
    """A page background runs into the bleed; the marks stay off it (rendered and measured)."""
    project = make_project(tmp_path)
    stylesheet = project.root / "layouts" / "bulletin" / "css" / "profile-print.css"
    stylesheet.write_text(stylesheet.read_text(encoding="utf-8")
                          + "@page { background: device-cmyk(0 0.6 0 0); }\n", encoding="utf-8")
    assert project.build("--profile", "print") == 0
    subprocess.run(["pdftoppm", "-r", "72", "-f", "3", "-l", "3", "-png", str(project.print_pdf),
                    str(tmp_path / "page")], check=True)
    image = Image.open(next(tmp_path.glob("page*.png"))).convert("RGB")
    with pikepdf.open(project.print_pdf) as pdf:
        page = pdf.pages[2]
        media, trim = box(page, "/MediaBox"), box(page, "/TrimBox")

    def pixel(x: float, y: float):
        return image.getpixel((round(x - media[0]), round(media[3] - y)))

    middle_y = (trim[1] + trim[3]) / 2
    in_bleed = pixel(trim[0] - BLEED / 2, middle_y)
    in_slug = pixel(media[0] + 2, middle_y)
    assert in_bleed != (255, 255, 255), "the background must extend into the bleed"
    assert in_slug == (255, 255, 255), "outside the bleed the sheet stays white"
    corner_mark = pixel(trim[0] - BLEED - 4 * MM, trim[1])
    assert max(corner_mark) < 128, "a crop mark continues the trim line in the slug"


def test_print_colours_are_cmyk_and_text_is_pure_black(print_project):
    with pikepdf.open(print_project.print_pdf) as pdf:
        for page in pdf.pages:
            operators = {str(op) for _, op in pikepdf.parse_content_stream(page)}
            assert not operators & {"rg", "RG"}, "no DeviceRGB colour in a PDF/X file"
    with pdfplumber.open(print_project.print_pdf) as pdf:
        colours = {char["non_stroking_color"] for page in pdf.pages for char in page.chars
                   if char["text"].strip()}
        masthead = {char["non_stroking_color"] for char in pdf.pages[0].chars
                    if char["size"] > 25}
    assert (0, 0, 0, 1) in colours  # body text: K100 only
    assert masthead == {(0, 1, 1, 0)}  # masthead red: M100 Y100
    assert colours <= {(0, 0, 0, 1), (0, 1, 1, 0)}


def test_screen_output_stays_rgb_with_links(print_project):
    with pikepdf.open(print_project.pdf) as pdf:
        assert "/OutputIntents" not in pdf.Root
        assert any("/Annots" in page.obj for page in pdf.pages)
    with pikepdf.open(print_project.print_pdf) as pdf:
        assert not any("/Annots" in page.obj for page in pdf.pages)
        assert len(pdf.open_outline().root) == 2  # bookmarks stay in print


def test_output_intent_carries_the_configured_cmyk_profile(print_project):
    with pikepdf.open(print_project.print_pdf) as pdf:
        (intent,) = pdf.Root.OutputIntents
        assert intent.S == pikepdf.Name.GTS_PDFX
        assert intent.DestOutputProfile.read_bytes() == ICC.read_bytes()
        assert int(intent.DestOutputProfile.N) == 4
        assert pdf.pdf_version == "1.6"
        assert pdf.open_metadata()["pdfxid:GTS_PDFXVersion"] == "PDF/X-4"
        assert str(pdf.docinfo.Trapped) == "/False"
        assert "/ID" in pdf.trailer


def test_rgb_photo_is_converted_to_cmyk_for_print_and_downsampled_for_screen(print_project):
    def images(path: Path):
        with pikepdf.open(path) as pdf:
            found = {xobject.objgen: (str(xobject.ColorSpace), int(xobject.Width))
                     for page in pdf.pages
                     for xobject in page.Resources.get("/XObject", {}).values()
                     if xobject.Subtype == pikepdf.Name.Image}
            return list(found.values())

    assert images(print_project.print_pdf) == [("/DeviceCMYK", 2400)]
    ((space, width),) = images(print_project.pdf)
    assert space == "/DeviceRGB"
    placed_inches = 156 / 25.4
    assert width == pytest.approx(150 * placed_inches, rel=0.05)  # about 150 dpi


def test_cmyk_conversion_is_cached(print_project):
    cache = print_project.root / ".cache" / "images"
    before = {entry.name: entry.stat().st_mtime_ns for entry in cache.iterdir()}
    assert len(before) == 2  # the photo in CMYK for print, and its screen copy
    assert print_project.build("--profile", "all", "--force") == 0
    assert {entry.name: entry.stat().st_mtime_ns for entry in cache.iterdir()} == before


def test_saddle_stitching_pads_before_the_colophon(print_project, capsys):
    pages = read_pages(print_project.print_pdf)
    with pikepdf.open(print_project.pdf) as screen:
        screen_pages = len(screen.pages)
    assert len(pages) % 4 == 0 and len(pages) > screen_pages
    last = pages[-1]
    assert "报：区委组织部，区委宣传部" in squash(last.body)
    assert "（共印60份）" in squash(last.body)
    assert len(pages) % 2 == 0  # the 版记 lands on an even (left-hand) page
    blanks = pages[screen_pages - 1:-1]
    assert blanks and all(squash(page.header + page.body + page.footer) == "" for page in blanks)
    assert not re.search(r"\d", last.footer)  # the 版记 page carries no number
    assert print_project.build("--profile", "print", "--force") == 0  # and says what it did
    assert f"为骑马钉装订在版记前补了 {len(blanks)} 个空白页" in capsys.readouterr().out


@pytest.mark.parametrize(("binding", "multiple"), [("perfect", 2), ("none", 1)])
def test_other_bindings(project, binding, multiple):
    project.write("issue.yaml", MINIMAL_MANIFEST + f"binding: {binding}\n")
    assert project.build("--profile", "print") == 0
    with pikepdf.open(project.print_pdf) as printed:
        count = len(printed.pages)
    assert project.build() == 0
    with pikepdf.open(project.pdf) as screen:
        unpadded = len(screen.pages)
    assert count % multiple == 0 and count - unpadded < multiple


def test_pdfx_1a_uses_bare_cff_fonts_and_renders_the_same(print_project, tmp_path):
    output = tmp_path / "x1a.pdf"
    assert print_project.build("--profile", "print", "--pdfx", "1a", "-o", str(output)) == 0
    with pikepdf.open(output) as pdf:
        assert pdf.pdf_version == "1.4"
        assert str(pdf.docinfo.GTS_PDFXVersion) == "PDF/X-1a:2003"
        subtypes = set()
        for page in pdf.pages:
            for font in page.Resources.get("/Font", {}).values():
                descriptor = font.DescendantFonts[0].FontDescriptor
                if "/FontFile3" in descriptor:
                    subtypes.add(str(descriptor.FontFile3.Subtype))
        assert subtypes == {"/CIDFontType0C"}
    rendered = []
    for path in (output, print_project.print_pdf):
        subprocess.run(["pdftoppm", "-r", "50", "-f", "3", "-l", "3", "-png", str(path),
                        str(tmp_path / path.stem)], check=True)
        rendered.append(Image.open(next(tmp_path.glob(f"{path.stem}*.png"))).convert("RGB"))
    assert rendered[0].tobytes() == rendered[1].tobytes()


def test_no_text_within_3mm_of_the_trim(print_project):
    with pdfplumber.open(print_project.print_pdf) as pdf:
        for page in pdf.pages:
            left, top, right, bottom = trim_box(page)
            for char in page.chars:
                assert char["x0"] >= left + 3 * MM and char["x1"] <= right - 3 * MM
                assert char["top"] >= top + 3 * MM and char["bottom"] <= bottom - 3 * MM


def test_sample_issue_print_build_is_padded_for_saddle_stitching(sample_print_pdf):
    with pikepdf.open(sample_print_pdf) as pdf:
        assert len(pdf.pages) % 4 == 0


def test_low_resolution_photo_fails_the_whole_build(project):
    """Both profiles at once: print refuses a 72 dpi photo, so neither PDF is written
    (a build writes every requested output or none) and the old ones stay as they were."""
    photo = project.issue / "articles" / "images" / "small.jpg"
    photo.parent.mkdir(parents=True)
    Image.new("RGB", (440, 300), (90, 120, 160)).save(photo, dpi=(72, 72))
    project.write("articles/b.md", MINIMAL_ARTICLES["b.md"] + "\n![小图](images/small.jpg)\n")
    project.pdf.parent.mkdir()
    old = {path: f"%PDF-1.7 {path.name} from an earlier build".encode()
           for path in (project.pdf, project.print_pdf)}
    for path, content in old.items():
        path.write_bytes(content)
    result = subprocess.run([sys.executable, "-m", "bulletin_pdf", "build", str(project.issue)],
                            capture_output=True, text=True)
    assert result.returncode == 2
    assert "图片 “articles/images/small.jpg”（440×300 像素）" in result.stderr
    assert "印刷至少需要 300 dpi" in result.stderr
    assert {path: path.read_bytes() for path in old} == old
    assert sorted(path.name for path in project.pdf.parent.iterdir()) == ["test-print.pdf", "test.pdf"]
