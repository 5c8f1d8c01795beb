"""Layout by units (units.py, incremental.py, merge.py) against the whole-document build.

The issue laid out unit by unit and merged must be what one WeasyPrint document
of the whole issue is, to a reader and to a printer: the same pages, text,
目录 numbers, bookmarks, links, page boxes, output intent, tags, and pixels.
"""

from __future__ import annotations

import hashlib
import subprocess
from pathlib import Path

import pikepdf
import pytest
from conftest import MINIMAL_ARTICLES, SAMPLE_ISSUE, Project, make_project
from PIL import Image, ImageChops

from bulletin_pdf.cli import main


def page_texts(pdf: Path) -> list[str]:
    """Each page's text as poppler lays it out (pages end in a form feed)."""
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True,
                          text=True, check=True).stdout
    return text.split("\f")[:-1]


def _page_index(document: pikepdf.Pdf, page: pikepdf.Object) -> int:
    return next(index for index, candidate in enumerate(document.pages)
                if candidate.objgen == page.objgen)


def _destination(document: pikepdf.Pdf, names: dict, dest: pikepdf.Object) -> tuple:
    """(page index, x, y) of a named or explicit destination."""
    if isinstance(dest, pikepdf.String):
        dest = names[str(dest)]
    return (_page_index(document, dest[0]), round(float(dest[2])), round(float(dest[3])))


def what_a_reader_sees(pdf: Path) -> dict:
    """Everything but the pixels that the two builds must share."""
    with pikepdf.open(pdf) as document:
        names = dict(pikepdf.NameTree(document.Root.Names.Dests).items()) \
            if "/Names" in document.Root else {}
        outline = []
        with document.open_outline() as tree:
            def walk(items, depth):
                for item in items:
                    outline.append((depth, item.title,
                                    _destination(document, names, item.destination)))
                    walk(item.children, depth + 1)
            walk(tree.root, 0)
        links = [(index, tuple(round(float(value)) for value in annotation.Rect),
                  _destination(document, names, annotation.Dest))
                 for index, page in enumerate(document.pages)
                 for annotation in page.get("/Annots", ()) if "/Dest" in annotation]
        boxes = [tuple(tuple(round(float(value), 2) for value in page.get(name, ()))
                       for name in ("/MediaBox", "/TrimBox", "/BleedBox"))
                 for page in document.pages]
        intents = [(str(intent.get("/OutputConditionIdentifier")),
                    hashlib.sha256(intent.DestOutputProfile.read_bytes()).hexdigest())
                   for intent in document.Root.get("/OutputIntents", ())]
        tags = [sum(1 for element in document.Root.StructTreeRoot.K[0].K
                    if element.Pg.objgen == page.objgen) for page in document.pages]
        fonts = sorted({str(font.BaseFont).split("+")[-1] for page in document.pages
                        for font in page.Resources.get("/Font", {}).values()})
    return {"outline": outline, "links": links, "boxes": boxes, "intents": intents,
            "tags per page": tags, "fonts": fonts}


def rendered_pages(pdf: Path, folder: Path) -> list[Image.Image]:
    folder.mkdir()
    subprocess.run(["pdftoppm", "-r", "24", "-gray", str(pdf), str(folder / "p")], check=True)
    return [Image.open(path) for path in sorted(folder.glob("p-*.pgm"))]


def assert_same_to_reader_and_printer(units: Path, whole: Path, scratch: Path) -> None:
    assert page_texts(units) == page_texts(whole)
    seen, expected = what_a_reader_sees(units), what_a_reader_sees(whole)
    for key, value in expected.items():
        assert seen[key] == value, key
    for number, (mine, theirs) in enumerate(zip(rendered_pages(units, scratch / "units"),
                                                rendered_pages(whole, scratch / "whole"),
                                                strict=True), 1):
        difference = ImageChops.difference(mine, theirs)
        assert difference.getextrema()[1] <= 32, f"page {number} looks different"


def build(issue: Path, output: Path, *options: str) -> Path:
    assert main(["build", "-q", str(issue), "-o", str(output), *options]) == 0
    return output


@pytest.mark.parametrize("profile", ["screen", "print"])
def test_the_sample_by_units_equals_the_whole_document(profile, request, tmp_path):
    units = request.getfixturevalue("sample_pdf" if profile == "screen" else "sample_print_pdf")
    whole = build(SAMPLE_ISSUE, tmp_path / "whole.pdf", "--strict", "--profile", profile,
                  "--whole-document")
    assert len(page_texts(units)) > 60
    assert_same_to_reader_and_printer(units, whole, tmp_path)
    # Each face embedded once, subset for the whole issue: no larger than one document.
    with pikepdf.open(units) as document:
        programs = {str(descriptor.FontName): descriptor.objgen
                    for descriptor in document.objects
                    if isinstance(descriptor, pikepdf.Dictionary)
                    and descriptor.get("/Type") == pikepdf.Name.FontDescriptor}
        assert len(programs) == len(set(programs.values())) == 4
    assert units.stat().st_size <= whole.stat().st_size


def unit_files(project: Project) -> set[Path]:
    return set((project.root / ".cache" / "units").glob("*.pdf"))


SHORT_NEWS = 5  # articles added to 简讯: with them the issue has enough units to lay out apart


@pytest.fixture
def project(project: Project) -> Project:
    """The small test issue with five more articles in 简讯: nine units (two articles and
    five more, the flowing 感悟, the cover)."""
    manifest = project.issue / "issue.yaml"
    listed = "".join(f"      - articles/news-{number}.md\n" for number in range(SHORT_NEWS))
    manifest.write_text(manifest.read_text(encoding="utf-8").replace(
        "      - articles/b.md\n", "      - articles/b.md\n" + listed), encoding="utf-8")
    for number in range(SHORT_NEWS):
        project.write(f"articles/news-{number}.md",
                      f"---\ntitle: 第{number + 1}条短讯\n---\n\n短讯{number + 1}的正文。\n")
    return project


def test_a_small_issue_is_laid_out_whole(tmp_path):
    small = make_project(tmp_path)
    assert small.build() == 0
    assert not unit_files(small), "four units: not worth laying out apart"
    assert "第二篇的正文" in "".join(page_texts(small.pdf))


def test_an_edit_lays_out_again_only_its_unit(project):
    assert project.build() == 0
    before = unit_files(project)
    assert len(before) == 2 + SHORT_NEWS + 2  # 简讯's articles, the flowing 感悟, the cover
    project.write("articles/b.md", "---\ntitle: 第二篇文章\nauthors: [王五]\n---\n\n改过的正文。\n")
    assert project.build() == 0
    added = unit_files(project) - before
    assert len(added) == 1, "only the edited article is laid out again"
    texts = page_texts(project.pdf)
    assert any("改过的正文" in text for text in texts)
    assert not any("第二篇的正文" in text for text in texts)


def test_units_that_move_are_numbered_where_they_fall(project, tmp_path):
    """An article grown by a page moves the units after it: their page numbers, side and
    the 目录 follow, as in the whole-document build."""
    assert project.build() == 0
    pages_before = len(page_texts(project.pdf))
    long_text = "\n\n".join("这一段文字很长，用来把文章撑到下一页。" * 12 for _ in range(12))
    project.write("articles/a.md", f"---\ntitle: 第一篇文章\nauthors: [张 炜]\n---\n\n{long_text}\n")
    assert project.build() == 0
    assert len(page_texts(project.pdf)) >= pages_before + 2
    whole = build(project.issue, tmp_path / "whole.pdf", "--profile", "screen",
                  "--whole-document")
    assert_same_to_reader_and_printer(project.pdf, whole, tmp_path)
    # Laid out again from scratch (--force), each unit is written first where the last
    # build's page counts put it, all wrong now: then again where it falls.
    project.write("articles/a.md", MINIMAL_ARTICLES["a.md"])
    assert project.build("--force") == 0
    (tmp_path / "again").mkdir()
    whole = build(project.issue, tmp_path / "again" / "whole.pdf", "--profile", "screen",
                  "--whole-document")
    assert_same_to_reader_and_printer(project.pdf, whole, tmp_path / "again")


def test_a_link_to_another_unit_leads_there(project, tmp_path):
    project.write("articles/c.md", "---\nauthors: [赵六]\n---\n\n"
                  "一段没有标题的感悟，见[第二篇](#section-1-article-2)。\n")
    assert project.build() == 0
    seen = what_a_reader_sees(project.pdf)
    texts = page_texts(project.pdf)
    target = next(index for index, text in enumerate(texts) if "第二篇的正文" in text)
    source = next(index for index, text in enumerate(texts) if "没有标题的感悟" in text)
    assert (source, target) in {(page, dest[0]) for page, _, dest in seen["links"]}
    whole = build(project.issue, tmp_path / "whole.pdf", "--profile", "screen",
                  "--whole-document")
    assert_same_to_reader_and_printer(project.pdf, whole, tmp_path)


def test_builds_by_units_are_deterministic(project):
    """A cold build (--force reads no cache) writes the same bytes as the cached one."""
    assert project.build() == 0
    first = project.pdf.read_bytes()
    units = {path: path.stat().st_mtime_ns for path in unit_files(project)}
    assert project.build("--force") == 0
    assert all(path.stat().st_mtime_ns > written for path, written in units.items()), \
        "--force lays every unit out again"
    assert project.pdf.read_bytes() == first
    project.write("articles/b.md", "---\ntitle: 第二篇文章\nauthors: [王五]\n---\n\n改过的正文。\n")
    assert project.build() == 0
    project.write("articles/b.md", MINIMAL_ARTICLES["b.md"])
    assert project.build() == 0
    assert project.pdf.read_bytes() == first, "back to the first text: the first PDF"


def test_a_glyph_only_one_unit_draws_prints_from_the_issue_s_one_subset(project, tmp_path):
    """Each face is subset once for the glyphs every unit draws (subsets.py): a rare
    character in one unit and another in a different unit both print, as one document
    prints them, from one embedded program per face, a subset of its font file."""
    project.write("articles/news-0.md", "---\ntitle: 第1条短讯\n---\n\n龘字只在这一篇。\n")
    project.write("articles/news-4.md", "---\ntitle: 第5条短讯\n---\n\n齉字只在那一篇。\n")
    assert project.build() == 0
    text = "".join(page_texts(project.pdf))
    assert "龘字只在这一篇" in text and "齉字只在那一篇" in text
    whole = build(project.issue, tmp_path / "whole.pdf", "--profile", "screen",
                  "--whole-document")
    assert_same_to_reader_and_printer(project.pdf, whole, tmp_path)
    with pikepdf.open(project.pdf) as document:
        descriptors = [obj for obj in document.objects if isinstance(obj, pikepdf.Dictionary)
                       and obj.get("/Type") == pikepdf.Name.FontDescriptor]
        faces = [str(descriptor.FontName).split("+")[-1] for descriptor in descriptors]
        assert len(faces) == len(set(faces)) >= 2, faces
        for descriptor in descriptors:
            program = descriptor.get("/FontFile2") or descriptor.get("/FontFile3")
            # Glyph ids are kept (as WeasyPrint keeps them), so empty slots remain; the
            # faces themselves are 10-25 MB.
            assert len(program.read_bytes()) < 2_000_000, "a subset, not the whole face"


def green_pixels(pdf: Path, folder: Path) -> int:
    """Pixels of a green no layout colour comes near (the masthead is red)."""
    folder.mkdir()
    subprocess.run(["pdftoppm", "-r", "24", "-png", str(pdf), str(folder / "p")], check=True)
    count = 0
    for path in folder.glob("p-*.png"):
        with Image.open(path) as page:
            red, green, blue = page.convert("RGB").split()
            mask = ImageChops.multiply(green.point(lambda value: 255 if value > 150 else 0),
                                       ImageChops.multiply(
                                           red.point(lambda value: 255 if value < 90 else 0),
                                           blue.point(lambda value: 255 if value < 90 else 0)))
            count += mask.histogram()[255]
    return count


def test_a_stylesheet_edited_between_builds_in_one_process_is_read_again(project, tmp_path):
    """The layout's stylesheets are parsed once per build and output, for all its units
    (pdf.SharedStyles), and not kept from one build to the next: `watch` shows an edit."""
    assert project.build() == 0
    assert green_pixels(project.pdf, tmp_path / "before") == 0
    sheet = project.root / "layouts" / "bulletin" / "css" / "bulletin.css"
    sheet.write_text(sheet.read_text(encoding="utf-8")
                     + "\n.article-body { background: #00c000 !important; }\n", encoding="utf-8")
    assert project.build() == 0
    assert green_pixels(project.pdf, tmp_path / "after") > 100


def test_an_edit_without_a_new_character_takes_the_fonts_subsets_made_before(project):
    """The merge subsets each face for the issue's glyphs (subsets.py), kept in the cache
    by face and glyphs: text rewritten with the characters it had needs no new subset;
    a character new to the issue makes one for its face, from which it prints."""
    subsets = project.root / ".cache" / "subsets"
    assert project.build() == 0
    made = set(subsets.iterdir())
    assert made, "a subset per face"
    project.write("articles/b.md", "---\ntitle: 第二篇文章\nauthors: [王五]\n---\n\n"
                  "第二篇的正文。正文的第二篇。\n")
    assert project.build() == 0
    assert set(subsets.iterdir()) == made
    project.write("articles/b.md", "---\ntitle: 第二篇文章\nauthors: [王五]\n---\n\n"
                  "第二篇的正文：龘。\n")
    assert project.build() == 0
    assert len(set(subsets.iterdir()) - made) == 1, "the body text's face only"
    assert any("龘" in text for text in page_texts(project.pdf))
