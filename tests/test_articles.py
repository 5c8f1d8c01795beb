"""Articles: Markdown rendering, bylines, headings, raw HTML — unit level and in a PDF."""

from __future__ import annotations

from pathlib import Path

import pdfplumber
import pytest
from pdfread import read_pages, squash
from PIL import Image

from bulletin_pdf.articles import BylineGroup, byline_groups, load_article
from bulletin_pdf.errors import BulletinError
from bulletin_pdf.manifest import load_issue


@pytest.mark.parametrize(("authors", "photographers", "expected"), [
    (("徐文震", "赵丹阳"), ("张 炜",),
     (BylineGroup("文", ("徐文震", "赵丹阳")), BylineGroup("图", ("张\u3000炜",)))),
    (("曹 宏",), ("曹 宏",), (BylineGroup("图文", ("曹\u3000宏",)),)),
    (("王维平",), (), (BylineGroup(None, ("王维平",)),)),
    ((), ("张 炜",), (BylineGroup("图", ("张\u3000炜",)),)),
    ((), (), ()),
])
def test_byline_groups(authors, photographers, expected):
    assert byline_groups(authors, photographers) == expected


def load(project, text: str):
    path = project.write("articles/b.md", text)
    issue = load_issue(project.issue)
    section = issue.sections[0]
    return load_article(section.articles[1], section, "x", issue.folder) if path else None


def test_headings_map_to_official_document_levels(project):
    article = load(project, "---\ntitle: 标题\n---\n\n# 一、甲\n\n## （一）乙\n\n### 1. 丙\n\n正文\n")
    html = str(article.body_html)
    assert '<h3 class="heading-1">一、甲</h3>' in html
    assert '<h4 class="heading-2">（一）乙</h4>' in html
    assert '<h5 class="heading-3">1. 丙</h5>' in html


def test_raw_html_is_escaped_not_rendered(project):
    article = load(project, "---\ntitle: 标题\n---\n\n正文<b>粗</b><script>x()</script>\n\n"
                            "<div>块</div>\n")
    html = str(article.body_html)
    assert "<b>" not in html and "<script>" not in html and "<div>" not in html
    assert "&lt;b&gt;粗&lt;/b&gt;" in html and "&lt;div&gt;块&lt;/div&gt;" in html


def test_tables_and_footnotes_render_with_ids_unique_per_article(project):
    article = load(project, "---\ntitle: 标题\n---\n\n正文[^1]\n\n| 甲 | 乙 |\n|---|---|\n| 1 | 2 |\n\n"
                            "[^1]: 注释\n")
    html = str(article.body_html)
    assert '<table id="x-table-1">' in html and "<td>2</td>" in html
    assert 'id="fn-x-1"' in html and "↩" not in html


def test_title_is_optional_only_in_untitled_sections(project):
    with pytest.raises(BulletinError, match="缺少必填的键 “title”"):
        load(project, "---\nauthors: [甲]\n---\n\n正文\n")
    issue = load_issue(project.issue)
    untitled = issue.sections[1]
    article = load_article(untitled.articles[0], untitled, "y", issue.folder)
    assert article.title is None and article.toc_label is None


def test_raw_html_is_printed_as_text_in_the_pdf(project):
    project.write("articles/b.md", "---\ntitle: 第二篇\n---\n\n正文<b>不加粗</b>。\n")
    assert project.build() == 0
    text = squash("".join(page.body for page in read_pages(project.pdf)))
    assert "正文<b>不加粗</b>。" in text


def test_word_pasted_file_with_bom_and_crlf_is_read(project):
    path: Path = project.issue / "articles" / "b.md"
    path.write_bytes("\ufeff---\r\ntitle: 第二篇\r\n---\r\n\r\n正文。\r\n".encode())
    issue = load_issue(project.issue)
    article = load_article(issue.sections[0].articles[1], issue.sections[0], "b", issue.folder)
    assert article.title == "第二篇" and "<p>正文。</p>" in str(article.body_html)


def test_non_utf8_article_is_an_error(project, capsys):
    (project.issue / "articles" / "b.md").write_bytes("---\ntitle: 标题\n---\n正文\n".encode("gbk"))
    assert project.build() == 2
    assert "articles/b.md：文件不是 UTF-8 编码" in capsys.readouterr().err


def test_image_with_spaces_and_parentheses_in_angle_brackets(project):
    """CommonMark's `<…>` destination: the photo is placed, its description is the caption."""
    photo = project.issue / "articles" / "images" / "开班 合影 (1).jpg"
    photo.parent.mkdir(parents=True)
    Image.new("RGB", (3000, 2000), (90, 120, 150)).save(photo, quality=70)
    project.write("articles/b.md", "---\ntitle: 第二篇\n---\n\n第一段。\n\n"
                                   "![开班**合影**](<images/开班 合影 (1).jpg>)\n")
    assert project.build() == 0
    with pdfplumber.open(project.pdf) as pdf:
        pages = [page for page in pdf.pages if page.images]
        assert len(pages) == 1 and len(pages[0].images) == 1
        caption = [char for char in pages[0].chars if char["text"] in "开班合影"
                   and char["top"] > pages[0].images[0]["bottom"]]
        assert "".join(char["text"] for char in caption) == "开班合影"
        # The emphasis of the description is kept in the caption: 合影 in a bolder face.
        assert caption[2]["fontname"] != caption[0]["fontname"]
