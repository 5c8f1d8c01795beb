"""Word files into articles: made the way contributors format them, imported, built, read back."""

from __future__ import annotations

import re
import shutil
import zipfile
from pathlib import Path

import pdfplumber
import pytest
import worddocs
from conftest import SAMPLE_ISSUE, Project, make_project
from docx.oxml import OxmlElement
from pdfread import read_pages, squash
from PIL import Image

from bulletin_pdf.articles import load_articles
from bulletin_pdf.cli import main
from bulletin_pdf.errors import BulletinError
from bulletin_pdf.manifest import load_issue
from bulletin_pdf.wordfile import ImportedArticle, convert
from bulletin_pdf.wordfile.numbering import chinese_number

DATA = Path(__file__).parent / "data" / "docx"
MANIFEST = """\
name: 测试简报
number: 2
date: 2025-06-01
publisher: 测试单位
sections:
  - title: 简讯
{untitled}    articles:
{articles}
"""


def place(project: Project, imported: ImportedArticle, stem: str) -> Path:
    """The imported article and its pictures written into the project's issue."""
    for image in imported.images:
        path = project.issue / "articles" / "images" / image.name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(image.data)
    return project.write(f"articles/{stem}.md", imported.markdown)


def use_articles(project: Project, stems: list[str], untitled: bool = False) -> None:
    project.write("issue.yaml", MANIFEST.format(
        untitled="    untitled_articles: true\n" if untitled else "",
        articles="".join(f"      - articles/{stem}.md\n" for stem in stems)))


def body_of(markdown: str) -> str:
    return markdown.split("\n---\n", 1)[1]


def chars_of(pdf: Path, text: str) -> list[dict]:
    """The characters printing `text` (its first occurrence on any page)."""
    with pdfplumber.open(pdf) as document:
        for page in document.pages:
            chars = [char for char in page.chars if char["text"].strip()]
            joined = "".join(char["text"] for char in chars)
            if (start := joined.find(text)) >= 0:
                return chars[start:start + len(text)]
    raise AssertionError(f"“{text}” is not printed")


# --- the fixtures, as contributors make them ------------------------------------------------

def office_document(folder: Path) -> Path:
    """No styles: direct formatting, full-width-space indents, numbered headings, signature last."""
    document = worddocs.new_document()
    worddocs.title(document, "松江区第九期处级干部轮训班开班")
    worddocs.office_paragraph(document, "——记开班式", center=True)
    worddocs.office_paragraph(document)
    worddocs.body(document, "5月12日上午，轮训班在区委党校正式开班。")
    worddocs.office_paragraph(document, "一、提高政治站位", font="黑体")
    worddocs.body(document, "学员们要提高认识。")
    worddocs.office_paragraph(document, "（一）深学细悟创新理论", font="楷体_GB2312")
    worddocs.office_paragraph(document, "1．把握主题主线", bold=True)
    worddocs.office_paragraph(document, "（1）突出实践转化")
    worddocs.body(document, "以党的创新理论凝心铸魂。")
    worddocs.office_paragraph(document)
    worddocs.office_paragraph(document, "（文/徐文震、赵丹阳 图/张 炜）", font="楷体_GB2312")
    return worddocs.saved(document, folder / "开班 简讯.docx")


def styled_document(folder: Path) -> Path:
    """Word's own styles: Title, Subtitle, Heading 1 and 2; the signature first."""
    document = worddocs.new_document()
    document.add_paragraph("学习贯彻会议精神", style="Title")
    document.add_paragraph("在全区干部大会上的交流发言", style="Subtitle")
    worddocs.office_paragraph(document, "作者：张 炜", font="楷体_GB2312")
    document.add_heading("学习体会", level=1)
    worddocs.body(document, "会议精神内涵丰富。")
    document.add_heading("具体做法", level=2)
    worddocs.body(document, "结合实际抓好落实。")
    return worddocs.saved(document, folder / "styled.docx")


def table_document(folder: Path) -> Path:
    document = worddocs.new_document()
    worddocs.title(document, "调研数据一览")
    paragraph = worddocs.body(document, "")
    worddocs.styled_run(paragraph.add_run("一是加强学习。"), bold=True)
    worddocs.styled_run(paragraph.add_run("然后深入调研。"))
    table = document.add_table(rows=3, cols=3)
    cells = [["小组", "课题", "人数"], ["第一组", "科技创新|孵化器", "9"], ["第二组", "枢纽经济", "10"]]
    for row, values in zip(table.rows, cells, strict=True):
        for cell, value in zip(row.cells, values, strict=True):
            cell.text = value
    table.rows[2].cells[1].add_paragraph("站城融合")
    worddocs.body(document, "表格之后的正文。")
    return worddocs.saved(document, folder / "table.docx")


def line_break_document(folder: Path) -> Path:
    document = worddocs.new_document()
    worddocs.title(document, "从网页粘贴的文字")
    paragraph = worddocs.body(document, "这是从网页粘贴的")
    paragraph.add_run()._r.append(OxmlElement("w:cr"))  # a carriage return: the same as a break
    worddocs.styled_run(paragraph.add_run("文字，断行在句子中间。Hello"))
    worddocs.line_break(paragraph)
    worddocs.styled_run(paragraph.add_run("world"))
    for _ in range(3):
        worddocs.office_paragraph(document)
    paragraph = worddocs.body(document, "第一段到此为止。")
    worddocs.line_break(paragraph)
    worddocs.styled_run(paragraph.add_run(worddocs.INDENT + "第二段从缩进开始。"))
    worddocs.office_paragraph(document, "\u3000\u3000 ")
    return worddocs.saved(document, folder / "breaks.docx")


def photo(path: Path, size: tuple[int, int], orientation: int | None = None) -> Path:
    image = Image.new("RGB", size, (200, 60, 60))
    image.paste((40, 40, 200), (0, 0, size[0] // 2, size[1] // 3))  # a corner to turn
    exif = Image.Exif()
    if orientation:
        exif[0x0112] = orientation
    image.save(path, quality=80, dpi=(300, 300), exif=exif.tobytes())
    return path


def picture_document(folder: Path) -> Path:
    """A picture with its caption below, and two pictures in one paragraph with two captions."""
    document = worddocs.new_document()
    worddocs.title(document, "图片新闻")
    worddocs.body(document, "开班式在党校礼堂举行。")
    paragraph = worddocs.office_paragraph(document, center=True)
    # Landscape pixels, turned upright (portrait) by EXIF orientation 6.
    worddocs.picture(paragraph, photo(folder / "upright.jpg", (1800, 1200), orientation=6), 8)
    worddocs.office_paragraph(document, "开班式现场", 12, "楷体_GB2312", center=True)
    worddocs.body(document, "学员分组开展讨论。")
    paragraph = worddocs.office_paragraph(document, center=True)
    worddocs.picture(paragraph, photo(folder / "left.jpg", (1500, 1000)), 7)
    worddocs.styled_run(paragraph.add_run("  "))
    worddocs.picture(paragraph, photo(folder / "right.jpg", (1502, 1000)), 7)
    worddocs.office_paragraph(document, "第一组讨论\t第二组讨论", 12, "楷体_GB2312", center=True)
    worddocs.body(document, "讨论气氛热烈。")
    return worddocs.saved(document, folder / "pictures.docx")


def footnote_document(folder: Path) -> Path:
    document = worddocs.new_document()
    worddocs.title(document, "有脚注的文章")
    paragraph = worddocs.body(document, "引用了一段讲话")
    worddocs.add_footnote(document, paragraph, "见《讲话汇编》第12页。")
    worddocs.styled_run(paragraph.add_run("，并作了说明。"))
    worddocs.body(document, "第二处引用")
    worddocs.add_footnote(document, document.paragraphs[-1], "同上，第15页。")
    return worddocs.saved(document, folder / "notes.docx")


def revised_document(folder: Path) -> Path:
    """Track Changes on: an insertion and a deletion; a reviewer's comment."""
    document = worddocs.new_document()
    worddocs.title(document, "修订过的稿件")
    paragraph = worddocs.body(document, "保留的文字，")
    worddocs.tracked(paragraph, "审稿时插入的文字，", "ins")
    worddocs.tracked(paragraph, "审稿时删除的文字，", "del")
    commented = worddocs.styled_run(paragraph.add_run("加了批注的文字。"))
    document.add_comment(commented, text="这里的数据请再核实", author="审稿人")
    return worddocs.saved(document, folder / "revised.docx")


def markup_document(folder: Path) -> Path:
    """What an author types that Markdown would take for markup."""
    document = worddocs.new_document()
    worddocs.title(document, "符号照印")
    worddocs.body(document, "星号*重点*、下划线_变量_、方括号[注]与[链接](x)、反引号`代码`、"
                            "尖括号<b>粗</b>、实体&amp;、反斜杠\\。")
    worddocs.office_paragraph(document, "1. 以数字和点开头的一段正文，说明了很多内容。")
    worddocs.office_paragraph(document, "# 井号开头的一段")
    worddocs.office_paragraph(document, "- 减号开头的一段")
    worddocs.office_paragraph(document, "> 大于号开头的一段")
    worddocs.office_paragraph(document, "+++")
    return worddocs.saved(document, folder / "markup.docx")


FIXTURES = {"office": office_document, "styled": styled_document, "table": table_document,
            "breaks": line_break_document, "pictures": picture_document,
            "notes": footnote_document, "revised": revised_document, "markup": markup_document}


@pytest.fixture(scope="module")
def word_folder(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("word")


@pytest.fixture(scope="module")
def imported(tmp_path_factory, word_folder) -> tuple[Project, dict[str, ImportedArticle]]:
    """Every fixture imported into one issue, built once (screen)."""
    project = make_project(tmp_path_factory.mktemp("project"))
    articles = {}
    for stem, make in FIXTURES.items():
        articles[stem] = convert(make(word_folder), stem)
        place(project, articles[stem], stem)
    use_articles(project, list(FIXTURES))
    assert project.build() == 0
    return project, articles


# --- what each fixture becomes ---------------------------------------------------------------

def test_office_document_without_styles(imported):
    project, articles = imported
    markdown = articles["office"].markdown
    assert markdown.startswith("---\ntitle: 松江区第九期处级干部轮训班开班\nsubtitle: ——记开班式\n"
                               "authors: [徐文震, 赵丹阳]\nphotographers: [张 炜]\n---\n")
    body = body_of(markdown)
    assert body.lstrip("\n").startswith("5月12日上午")  # no indent, no title, no empty paragraph
    for line in ("# 一、提高政治站位", "## （一）深学细悟创新理论", "### 1．把握主题主线",
                 "#### （1）突出实践转化"):
        assert f"\n{line}\n" in body
    assert "\u3000" not in body and "文/" not in body and "\n\n\n" not in body
    # Printed: the title once on its page, the signature from the front matter.
    pages = [page for page in read_pages(project.pdf) if "5月12日上午" in squash(page.body)]
    assert squash(pages[0].body).count("松江区第九期处级干部轮训班开班") == 1
    assert "（文/徐文震、赵丹阳图/张炜）" in squash("".join(page.body for page in pages))
    # Each numbered heading prints as the layout's heading of its level (黑体, 楷体, bold).
    assert all("Sans" in char["fontname"] for char in chars_of(project.pdf, "提高政治站位"))
    assert all("WenKai" in char["fontname"] for char in chars_of(project.pdf, "深学细悟创新理论"))
    assert all("Bold" in char["fontname"] for char in chars_of(project.pdf, "把握主题主线"))
    assert all("Bold" in char["fontname"] for char in chars_of(project.pdf, "突出实践转化"))
    assert not any("Bold" in char["fontname"] for char in chars_of(project.pdf, "以党的创新理论"))


def test_word_heading_styles_and_signature_first(imported):
    _, articles = imported
    markdown = articles["styled"].markdown
    assert markdown.startswith("---\ntitle: 学习贯彻会议精神\nsubtitle: 在全区干部大会上的交流发言\n"
                               "authors: [张 炜]\n---\n")
    body = body_of(markdown)
    assert "\n# 学习体会\n" in body and "\n## 具体做法\n" in body and "作者" not in body


def test_a_title_in_heading_1_makes_heading_2_the_first_level(tmp_path):
    document = worddocs.new_document()
    document.add_heading("标题用了标题1样式", level=1)
    document.add_heading("第一部分", level=2)
    worddocs.body(document, "正文。")
    document.add_heading("细节", level=3)
    article = convert(worddocs.saved(document, tmp_path / "h.docx"), "h")
    assert article.markdown.startswith("---\ntitle: 标题用了标题1样式\n---\n")
    assert "\n# 第一部分\n" in article.markdown and "\n## 细节\n" in article.markdown


def test_table_with_header_row_and_bold_runs(imported):
    project, articles = imported
    body = body_of(articles["table"].markdown)
    assert "\n**一是加强学习。**然后深入调研。\n" in body
    assert ("| 小组 | 课题 | 人数 |\n| --- | --- | --- |\n"
            "| 第一组 | 科技创新\\|孵化器 | 9 |\n| 第二组 | 枢纽经济 站城融合 | 10 |\n") in body
    assert articles["table"].report.tables == ((3, 3),)
    text = squash("".join(page.body for page in read_pages(project.pdf)))
    assert "科技创新|孵化器" in text and "枢纽经济站城融合" in text
    assert all("Bold" in char["fontname"] for char in chars_of(project.pdf, "一是加强学习"))
    assert not any("Bold" in char["fontname"] for char in chars_of(project.pdf, "然后深入调研"))


def test_manual_line_breaks_joined_and_empty_paragraphs_dropped(imported):
    _, articles = imported
    paragraphs = body_of(articles["breaks"].markdown).strip().split("\n\n")
    assert paragraphs == ["这是从网页粘贴的文字，断行在句子中间。Hello world",
                          "第一段到此为止。", "第二段从缩进开始。"]


def test_pictures_with_captions_and_a_row(imported, word_folder):
    project, articles = imported
    article = articles["pictures"]
    body = body_of(article.markdown)
    assert "\n![开班式现场](images/pictures-1.jpg)\n" in body
    assert "\n![第一组讨论](images/pictures-2.jpg)\n![第二组讨论](images/pictures-3.jpg)\n" in body
    assert "开班式现场" not in body.replace("![开班式现场]", "")  # the caption is not also a paragraph
    # Extracted as stored in the Word file, EXIF orientation and all.
    names = [image.name for image in article.images]
    assert names == ["pictures-1.jpg", "pictures-2.jpg", "pictures-3.jpg"]
    for image, original in zip(article.images, ("upright", "left", "right"), strict=True):
        assert image.data == (word_folder / f"{original}.jpg").read_bytes()
    # Printed: the first upright (portrait), the two side by side, all three captioned.
    with pdfplumber.open(project.pdf) as pdf:
        placed = [image for page in pdf.pages for image in page.images]
    assert len(placed) == 3
    upright, left, right = placed
    assert upright["bottom"] - upright["top"] > upright["x1"] - upright["x0"]
    assert abs(left["top"] - right["top"]) < 1 and left["x1"] < right["x0"]
    text = squash("".join(page.body for page in read_pages(project.pdf)))
    assert "开班式现场" in text and "第一组讨论" in text and "第二组讨论" in text


def test_footnotes(imported):
    project, articles = imported
    body = body_of(articles["notes"].markdown)
    assert "引用了一段讲话[^1]，并作了说明。" in body and "第二处引用[^2]" in body
    assert body.rstrip().endswith("[^1]: 见《讲话汇编》第12页。\n\n[^2]: 同上，第15页。")
    assert articles["notes"].report.footnotes == 2
    text = squash("".join(page.body for page in read_pages(project.pdf)))
    assert "见《讲话汇编》第12页。" in text and "同上，第15页。" in text


def test_tracked_changes_and_comments(imported):
    project, articles = imported
    article = articles["revised"]
    assert "保留的文字，审稿时插入的文字，加了批注的文字。" in article.markdown
    assert "删除" not in article.markdown and "核实" not in article.markdown
    lines = article.report.lines()
    assert "已去掉：批注 1 条（“审稿人：这里的数据请再核实”）" in lines
    assert "已去掉：修订中删除的文字 1 处（“审稿时删除的文字，”）" in lines
    assert "修订：插入的文字已保留（1 处）" in lines
    text = squash("".join(page.body for page in read_pages(project.pdf)))
    assert "审稿时插入的文字" in text and "审稿时删除的文字" not in text and "核实" not in text


def test_what_the_author_typed_prints_as_typed(imported):
    project, articles = imported
    body = body_of(articles["markup"].markdown)
    assert "\n1\\. 以数字和点开头" in body and "\n\\# 井号" in body and "\n\\- 减号" in body
    text = squash("".join(page.body for page in read_pages(project.pdf)))
    for typed in ("*重点*", "_变量_", "[注]", "[链接]", "`代码`", "<b>粗</b>", "&amp;", "\\",
                  "1.以数字和点开头", "#井号开头的一段", "-减号开头的一段", ">大于号开头的一段",
                  "+++"):
        assert typed in text, typed


# --- the sample's articles, typed into Word -------------------------------------------------

SIGNED = {"jiaoliu-01-chedun": "（王维平）",
          "dongtai-02-diaoyan": "（文/吕晓明、马文辉、王 芳、沈 超 图/吕晓明、马文辉、王 芳、潘叶翠）"}


def page_texts(pdf: Path) -> list[str]:
    with pdfplumber.open(pdf) as document:
        return [squash(page.extract_text()) for page in document.pages]


def test_sample_articles_typed_in_word_print_as_the_markdown_originals(tmp_path):
    """Two of the sample's articles, in office style: imported, they print the same text, page by page."""
    original = make_project(tmp_path / "original")
    shutil.copytree(SAMPLE_ISSUE / "articles" / "images", original.issue / "articles" / "images")
    typed = make_project(tmp_path / "typed")
    for stem, signature in SIGNED.items():
        source = SAMPLE_ISSUE / "articles" / f"{stem}.md"
        shutil.copy(source, original.issue / "articles" / source.name)
        document = worddocs.office_docx_of(source, signature)
        article = convert(worddocs.saved(document, tmp_path / "word" / f"{stem}.docx"), stem)
        place(typed, article, stem)
        assert not article.report.remarks, article.report.lines()
    for project in (original, typed):
        use_articles(project, list(SIGNED))
        assert project.build() == 0
    expected, printed = page_texts(original.pdf), page_texts(typed.pdf)
    assert len(expected) > 5 and printed == expected


# --- any Word file: imported, or refused in Chinese --------------------------------------------

def loads(project: Project, article: ImportedArticle) -> None:
    """The imported article passes the build's article stage (references, leftover markup…)."""
    place(project, article, "imported")
    use_articles(project, ["imported"], untitled=True)  # most of these files have no title
    load_articles(load_issue(project.issue))


@pytest.mark.parametrize("path", sorted(DATA.glob("*.docx")), ids=lambda path: path.name)
def test_public_test_files_import(path, project):
    loads(project, convert(path, "imported"))


def test_a_picture_linked_to_a_file_is_reported_and_never_read(tmp_path, project):
    shutil.copy(DATA / "mammoth-external-picture.docx", tmp_path / "linked.docx")
    worddocs.saved(worddocs.new_document(), tmp_path / "unused.docx")
    photo(tmp_path / "tiny-picture.png", (40, 40))  # the linked file exists beside the document
    article = convert(tmp_path / "linked.docx", "linked")
    assert article.images == () and "![" not in article.markdown
    assert "已去掉：链接到外部文件的图片（未读取） 1 处（“tiny-picture.png”）" in article.report.lines()
    loads(project, article)


def test_text_boxes_are_reported_not_imported(project):
    article = convert(DATA / "mammoth-text-box.docx", "box")
    assert "Datum plane" not in article.markdown
    assert "已去掉：文本框 1 个（“Datum plane”）" in article.report.lines()


def test_strict_open_xml_is_read(project):
    article = convert(DATA / "mammoth-strict-format.docx", "strict")
    assert body_of(article.markdown).strip() == "Test"


def strict(source: Path, target: Path) -> Path:
    """The same document in Strict Open XML's namespaces (Word's "Strict Open XML Document")."""
    members = {name: re.sub(rb"http://schemas\.openxmlformats\.org/(officeDocument|drawingml|"
                            rb"wordprocessingml)/2006/([A-Za-z]+)", rb"http://purl.oclc.org/ooxml/\1/\2",
                            data) for name, data in docx_members(source).items()}
    return zipped(target, members)


def test_strict_open_xml_reads_as_the_usual_format(tmp_path, word_folder):
    usual = revised_document(tmp_path)
    document = worddocs.new_document()
    document.add_paragraph("严格格式的标题", style="Title")
    document.add_heading("第一部分", level=1)
    worddocs.tracked(worddocs.body(document, "正文，"), "删去的字", "del")
    styled = worddocs.saved(document, tmp_path / "styled.docx")
    for source in (usual, styled):
        transitional = convert(source, "x")
        strict_file = strict(source, tmp_path / f"strict-{source.name}")
        assert b"purl.oclc.org/ooxml/wordprocessingml/main" in \
            docx_members(strict_file)["word/document.xml"]
        read = convert(strict_file, "x")
        assert read.markdown == transitional.markdown
        assert read.report.lines() == transitional.report.lines()
    assert convert(styled, "x").markdown.startswith("---\ntitle: 严格格式的标题\n")


def test_empty_document_and_a_document_of_one_picture(tmp_path, project):
    empty = convert(worddocs.saved(worddocs.new_document(), tmp_path / "empty.docx"), "empty")
    assert empty.markdown == "---\n---\n" and empty.report.title is None
    document = worddocs.new_document()
    worddocs.picture(document.add_paragraph(), photo(tmp_path / "only.jpg", (600, 400)))
    only = convert(worddocs.saved(document, tmp_path / "only.docx"), "only")
    assert body_of(only.markdown).strip() == "![](images/only-1.jpg)"
    loads(project, only)


def zipped(path: Path, members: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return path


def docx_members(source: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(source) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


REFUSED = {
    "text.docx": (lambda folder: folder.joinpath("text.docx").write_text("只是文字") and None,
                  "不是有效的 Word（.docx）文件"),
    "old.docx": (lambda folder: folder.joinpath("old.docx").write_bytes(
        b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(600)) and None, "旧版 Word（.doc）或 WPS"),
    "locked.docx": (lambda folder: folder.joinpath("locked.docx").write_bytes(
        b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + "EncryptionInfo".encode("utf-16-le") + bytes(600))
        and None, "已加密"),
    "sheet.docx": (lambda folder: zipped(folder / "sheet.docx", {
        "[Content_Types].xml": b"<Types/>", "xl/workbook.xml": b"<workbook/>"}) and None,
        "这是Excel 表格，不是 Word 文档"),
    "cut.docx": (lambda folder: folder.joinpath("cut.docx").write_bytes(
        (DATA / "mammoth-tables.docx").read_bytes()[:3000]) and None, "不是有效的 Word（.docx）文件"),
    "entities.docx": (lambda folder: zipped(folder / "entities.docx", {
        **docx_members(DATA / "mammoth-single-paragraph.docx"),
        "word/document.xml": b'<?xml version="1.0"?><!DOCTYPE d [<!ENTITY a "aaaa">]><d>&a;</d>'})
        and None, "含有 DTD 声明"),
    "broken.docx": (lambda folder: zipped(folder / "broken.docx", {
        **docx_members(DATA / "mammoth-single-paragraph.docx"),
        "word/document.xml": b"<w:document"}) and None, "word/document.xml 已损坏"),
}


@pytest.mark.parametrize("name", REFUSED)
def test_files_that_are_not_word_documents_are_refused_in_chinese(name, tmp_path):
    make, message = REFUSED[name]
    make(tmp_path)
    with pytest.raises(BulletinError) as raised:
        convert(tmp_path / name, "x")
    problem, = raised.value.problems
    assert message in problem.message and problem.file == tmp_path / name


SIGNATURES = [
    ("文/徐文震", "authors: [徐文震]\n"),
    ("图/张 炜", "photographers: [张 炜]\n"),
    ("图文/曹 宏", "authors: [曹 宏]\nphotographers: [曹 宏]\n"),
    ("（文/徐文震、赵丹阳 图/张 炜）", "authors: [徐文震, 赵丹阳]\nphotographers: [张 炜]\n"),
    ("作者：王 芳", "authors: [王 芳]\n"),
    ("撰稿：吕晓明 马文辉", "authors: [吕晓明, 马文辉]\n"),
    ("执笔：钱 堃 摄影：吴 𠮷", "authors: [钱 堃]\nphotographers: [吴 𠮷]\n"),
    ("摄影：潘叶翠", "photographers: [潘叶翠]\n"),
    ("（第三小组）", "byline: 第三小组\n"),
    ("（王维平）", "authors: [王维平]\n"),
]


@pytest.mark.parametrize("at_start", [True, False], ids=["start", "end"])
@pytest.mark.parametrize(("signature", "front_matter"), SIGNATURES, ids=[s for s, _ in SIGNATURES])
def test_signatures_at_the_start_or_the_end(signature, front_matter, at_start, tmp_path):
    document = worddocs.new_document()
    worddocs.title(document, "一篇简讯")
    if at_start:
        worddocs.office_paragraph(document, signature, font="楷体_GB2312", center=True)
    worddocs.body(document, "正文只有一段。")
    if not at_start:
        worddocs.office_paragraph(document, signature, font="楷体_GB2312")
    article = convert(worddocs.saved(document, tmp_path / "signed.docx"), "signed")
    assert article.markdown == f"---\ntitle: 一篇简讯\n{front_matter}---\n\n正文只有一段。\n"


def test_a_signature_closing_the_last_paragraph(tmp_path):
    document = worddocs.new_document()
    worddocs.title(document, "一篇简讯")
    worddocs.body(document, "正文到此结束。（文/徐文震 图/张 炜）")
    article = convert(worddocs.saved(document, tmp_path / "signed.docx"), "signed")
    assert article.markdown == ("---\ntitle: 一篇简讯\nauthors: [徐文震]\nphotographers: [张 炜]\n"
                                "---\n\n正文到此结束。\n")


def test_a_bracketed_remark_ending_the_text_stays_text(tmp_path):
    document = worddocs.new_document()
    worddocs.title(document, "一篇简讯")
    worddocs.body(document, "正文。")
    worddocs.office_paragraph(document, "（本文有删节）")
    article = convert(worddocs.saved(document, tmp_path / "remark.docx"), "remark")
    assert article.markdown.endswith("---\n\n正文。\n\n（本文有删节）\n")


def test_numbers_word_writes_itself_are_printed_and_make_headings(tmp_path):
    """Headings and points numbered by a multilevel list, not typed: their numbers are text."""
    document = worddocs.new_document()
    worddocs.title(document, "自动编号的稿件")
    outline = worddocs.numbering(document, [("chineseCounting", "%1、"), ("chineseCounting", "（%2）"),
                                            ("decimal", "%3."), ("decimal", "（%4）")])
    points = worddocs.numbering(document, [("decimalEnclosedCircle", "%1")])
    bullets = worddocs.numbering(document, [("bullet", "●")])
    for text, level in (("提高政治站位", 0), ("深学细悟", 1), ("把握主线", 2), ("突出转化", 3)):
        worddocs.numbered(worddocs.office_paragraph(document, text, font="黑体"), outline, level)
    worddocs.body(document, "正文。")
    for text, level in (("强化能力", 0), ("服务大局", 1)):
        worddocs.numbered(worddocs.office_paragraph(document, text, font="黑体"), outline, level)
    for text in ("要坚持党校姓党，强化政治训练。", "要坚持守正创新，强化专业训练。"):
        worddocs.numbered(worddocs.office_paragraph(document, text), points)
    for text in ("讲授式", "研讨式"):
        worddocs.numbered(worddocs.office_paragraph(document, text), bullets)
    article = convert(worddocs.saved(document, tmp_path / "numbered.docx"), "numbered")
    assert body_of(article.markdown) == (
        "\n# 一、提高政治站位\n\n## （一）深学细悟\n\n### 1. 把握主线\n\n#### （1）突出转化\n\n"
        "正文。\n\n# 二、强化能力\n\n## （一）服务大局\n\n①要坚持党校姓党，强化政治训练。\n\n"
        "②要坚持守正创新，强化专业训练。\n\n- 讲授式\n- 研讨式\n")


@pytest.mark.parametrize(("value", "expected"), [
    (1, "一"), (10, "十"), (11, "十一"), (20, "二十"), (105, "一百零五"), (110, "一百一十"),
    (2025, "二千零二十五")])
def test_chinese_counting(value, expected):
    assert chinese_number(value) == expected


# --- bulletin-pdf import ----------------------------------------------------------------------

def run(*arguments: str | Path) -> int:
    return main([str(argument) for argument in arguments])


def snapshot(folder: Path) -> dict[str, bytes]:
    """Every file below `folder`, to see that nothing changed."""
    return {str(path.relative_to(folder)): path.read_bytes()
            for path in sorted(folder.rglob("*")) if path.is_file()}


@pytest.fixture
def new_issue(project) -> Path:
    """A new issue made by `bulletin-pdf new` from the project's test issue."""
    folder = project.root / "issues" / "next"
    assert run("new", folder, "--from", project.issue) == 0
    return folder


def test_import_three_word_files_into_a_new_issue_and_build(new_issue, project, tmp_path, capsys):
    manifest = new_issue / "issue.yaml"
    manifest.write_text(manifest.read_text(encoding="utf-8").replace(
        "sections:", "# 编者的注释\nsections:"), encoding="utf-8")
    files = [office_document(tmp_path), picture_document(tmp_path), footnote_document(tmp_path)]
    capsys.readouterr()
    assert run("import", new_issue, *files, "--section", "简讯") == 0
    out = capsys.readouterr().out
    assert "已导入 3 篇文章，列在栏目“简讯”的末尾" in out
    assert "开班 简讯.docx → " in out and "articles/开班-简讯.md" in out
    assert "  标题：松江区第九期处级干部轮训班开班\n  副标题：——记开班式\n" in out
    assert "  署名：（文/徐文震、赵丹阳 图/张\u3000炜）\n" in out
    assert "  图片：3 张\n    images/pictures-1.jpg（图注：开班式现场）\n" in out
    assert "  注释：脚注 2 条（排在文末）\n" in out
    text = manifest.read_text(encoding="utf-8")
    assert "# 编者的注释\n" in text
    assert [ref.path.name for ref in load_issue(new_issue).sections[0].articles] == [
        "开班-简讯.md", "pictures.md", "notes.md"]
    assert {path.name for path in (new_issue / "articles" / "images").iterdir()} == {
        "pictures-1.jpg", "pictures-2.jpg", "pictures-3.jpg"}
    pdf = tmp_path / "next.pdf"
    assert run("build", "-q", new_issue, "--profile", "screen", "-o", pdf) == 0
    printed = squash("".join(page.body for page in read_pages(pdf)))
    for seen in ("松江区第九期处级干部轮训班开班", "一、提高政治站位", "开班式现场", "第二组讨论",
                 "见《讲话汇编》第12页。", "（文/徐文震、赵丹阳图/张炜）"):
        assert seen in printed, seen
    with pdfplumber.open(pdf) as document:
        assert sum(len(page.images) for page in document.pages) == 3


def test_import_never_overwrites_an_article_without_force(new_issue, tmp_path, capsys):
    source = office_document(tmp_path)
    assert run("import", new_issue, source) == 0
    article = new_issue / "articles" / "开班-简讯.md"
    article.write_text(article.read_text(encoding="utf-8") + "\n编辑改过的一段。\n", encoding="utf-8")
    before = snapshot(new_issue)
    capsys.readouterr()
    assert run("import", new_issue, table_document(tmp_path), source) == 2
    err = capsys.readouterr().err
    assert "articles/开班-简讯.md：已有同名文章，不会覆盖" in err and "--force" in err
    assert snapshot(new_issue) == before  # not even the other file's article
    assert run("import", new_issue, source, "--force") == 0
    assert "编辑改过的一段" not in article.read_text(encoding="utf-8")
    assert load_issue(new_issue).sections[0].articles[0].path.name == "开班-简讯.md"
    assert len(load_issue(new_issue).sections[0].articles) == 1  # listed once


def test_one_file_that_cannot_be_imported_stops_them_all(new_issue, tmp_path, capsys):
    before = snapshot(new_issue)
    (tmp_path / "scan.pdf").write_bytes(b"%PDF-1.7\n")
    (tmp_path / "notes.txt").write_text("文字", encoding="utf-8")
    arguments = ("import", new_issue, picture_document(tmp_path), tmp_path / "scan.pdf",
                 tmp_path / "notes.txt", tmp_path / "missing.docx")
    capsys.readouterr()
    assert run(*arguments) == 2
    err = capsys.readouterr().err
    assert "发现 3 个问题" in err
    assert "scan.pdf：PDF 文件不能导入为文章" in err
    assert "notes.txt：不能导入 “.txt” 文件：只能导入 Word 文件" in err
    assert "missing.docx：找不到此文件" in err
    assert snapshot(new_issue) == before


def test_an_unknown_section_is_refused_before_anything_is_written(new_issue, tmp_path, capsys):
    before = snapshot(new_issue)
    arguments = (office_document(tmp_path), tmp_path / "missing.docx", "--section", "简汛")
    assert run("import", new_issue, *arguments) == 2
    err = capsys.readouterr().err
    assert "没有名为 “简汛” 的栏目，是否想写 “简讯”？" in err
    assert "missing.docx" not in err  # refused before any file was read
    assert snapshot(new_issue) == before


def test_a_manifest_that_cannot_be_changed_takes_the_written_files_back(new_issue, tmp_path, capsys):
    manifest = new_issue / "issue.yaml"
    before = snapshot(new_issue)
    manifest.chmod(0o444)
    try:
        assert run("import", new_issue, picture_document(tmp_path)) == 2
    finally:
        manifest.chmod(0o644)
    assert "期刊清单是只读的" in capsys.readouterr().err
    assert snapshot(new_issue) == before and not (new_issue / "articles" / "images").exists()


def test_article_names_from_the_file_names(new_issue, tmp_path, capsys):
    first = worddocs.saved(worddocs.new_document(), tmp_path / "a" / "第1期 稿件（定稿）.docx")
    worddocs.body(document := worddocs.new_document(), "另一篇。")
    second = worddocs.saved(document, tmp_path / "b" / "第1期 稿件（定稿）.docx")
    assert run("import", new_issue, first, second, "--section", "感悟") == 0
    assert [ref.path.name for ref in load_issue(new_issue).sections[1].articles] == [
        "第1期-稿件-定稿.md", "第1期-稿件-定稿-2.md"]


def test_old_word_files_need_libreoffice(new_issue, tmp_path, monkeypatch, capsys):
    old = tmp_path / "旧稿.doc"
    old.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(1024))
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    assert run("import", new_issue, old) == 2
    assert "sudo apt-get install libreoffice-writer" in capsys.readouterr().err


def test_old_word_files_are_converted_by_libreoffice(new_issue, tmp_path, monkeypatch, capsys):
    """LibreOffice is not installed here: a stand-in `soffice` does what it would (writes the
    .docx into --outdir), so that the call and the reading of its output are tested."""
    office_document(tmp_path)  # what LibreOffice would make of the .doc
    old = tmp_path / "旧稿.wps"
    old.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(1024))
    programs = tmp_path / "bin"
    programs.mkdir()
    soffice = programs / "soffice"
    soffice.write_text(
        "#!/bin/sh\n"
        '[ "$2" = --headless ] && [ "$3" = --convert-to ] && [ "$4" = docx ] || exit 3\n'
        f'cp "{tmp_path / "开班 简讯.docx"}" "$6/$(basename "${{7%.*}}").docx"\n')
    soffice.chmod(0o755)
    monkeypatch.setenv("PATH", f"{programs}:/usr/bin:/bin")
    assert run("import", new_issue, old) == 0
    assert "旧稿.wps → " in capsys.readouterr().out
    assert (new_issue / "articles" / "旧稿.md").read_text(encoding="utf-8").startswith(
        "---\ntitle: 松江区第九期处级干部轮训班开班\n")


def everything_document(folder: Path) -> Path:
    """One document with every part a Word file may have: styles, numbering, notes, comments, pictures."""
    document = worddocs.new_document()
    document.add_paragraph("样样都有", style="Title")
    outline = worddocs.numbering(document, [("chineseCounting", "%1、")])
    worddocs.numbered(worddocs.office_paragraph(document, "第一部分", font="黑体"), outline)
    paragraph = worddocs.body(document, "有脚注")
    worddocs.add_footnote(document, paragraph, "脚注。")
    document.add_comment(paragraph.runs[0], text="批注", author="审稿人")
    worddocs.tracked(paragraph, "删去", "del")
    worddocs.picture(worddocs.office_paragraph(document, center=True), photo(folder / "p.jpg", (60, 40)))
    document.add_table(rows=2, cols=2).cell(0, 0).text = "表"
    return worddocs.saved(document, folder / "everything.docx")


@pytest.fixture(scope="module")
def everything(tmp_path_factory) -> dict[str, bytes]:
    return docx_members(everything_document(tmp_path_factory.mktemp("everything")))


PART_DAMAGE = {"cut": lambda data: data[:len(data) // 2], "empty": lambda data: b"",
               "other": lambda data: b"<x/>", "missing": lambda data: None}


@pytest.mark.parametrize("damage", PART_DAMAGE)
def test_any_part_damaged_imports_or_is_refused_in_chinese(everything, damage, tmp_path):
    """Each part of the file in turn cut short, emptied, replaced or left out."""
    outcomes = {}
    for name, data in everything.items():
        members = dict(everything)
        damaged = PART_DAMAGE[damage](data)
        if damaged is None:
            del members[name]
        else:
            members[name] = damaged
        path = zipped(tmp_path / f"{len(outcomes)}.docx", members)
        try:
            outcomes[name] = convert(path, "x").markdown
        except BulletinError as error:
            assert error.problems[0].file == path and re.search(r"[\u4e00-\u9fff]", str(error))
            outcomes[name] = None
    # What does not matter to an article is not missed: its text is all there.
    for part in ("word/settings.xml", "word/theme/theme1.xml", "docProps/core.xml",
                 "word/styles.xml", "word/numbering.xml", "word/comments.xml"):
        assert outcomes[part] is not None and "有脚注" in outcomes[part], (part, outcomes[part])
