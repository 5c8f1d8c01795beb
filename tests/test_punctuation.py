"""Issue 9's known punctuation misses, as printed in the PDF and as listed by `lint`.

Footnote text is normalised; a run of Latin words keeps its own punctuation; a
credit line keeps the spaces of its names; a space before a stop after a
closing mark and a space before % go; lint names its rules in Chinese.
"""

from __future__ import annotations

import re
from itertools import pairwise
from pathlib import Path

import pdfplumber
import pytest
from conftest import MINIMAL_MANIFEST
from pdfread import outline

from bulletin_pdf.cli import main
from bulletin_pdf.normalize import RULES

ARTICLE = """---
title: 标点
---

他说:"Hello, world! This is a test."

很有收获) .完成率达 100 %。

注释见此[^1]，另见^[内联注,好]。

执笔：钱 堃 摄影：吴 𠮷

[^1]: 汇总,截至年底。
"""
LINES = ARTICLE.split("\n")


def printed_text(pdf: Path) -> str:
    """Every glyph the PDF draws, in drawing order (spaces included)."""
    with pdfplumber.open(pdf) as document:
        return "".join(char["text"] for page in document.pages for char in page.chars)


def gap_between(pdf: Path, first: str, second: str) -> float:
    """The blank between two neighbouring characters, in ems of the first."""
    with pdfplumber.open(pdf) as document:
        chars = [char for page in document.pages for char in page.chars if char["text"].strip()]
    pairs = [(a, b) for a, b in pairwise(chars) if (a["text"], b["text"]) == (first, second)]
    assert len(pairs) == 1
    left, right = pairs[0]
    return (right["x0"] - left["x1"]) / left["size"]


@pytest.fixture
def punctuated(project):
    project.write("articles/b.md", ARTICLE)
    return project


def test_the_pdf_prints_each_mark_as_chinese_or_latin_text_wants_it(punctuated):
    assert punctuated.build() == 0
    text = printed_text(punctuated.pdf)
    assert "他说：“Hello, world! This is a test.”" in text  # the Latin sentence's own marks
    assert "很有收获）。完成率达" in text and "100%。" in text
    assert "汇总，截至年底。" in text and "内联注，好" in text  # footnotes, both kinds
    assert "执笔：钱 堃 摄影：吴 𠮷" in text
    # The spaces of the credit line are seen: a name apart from the next label, and
    # the two characters of a two-character name apart.
    assert gap_between(punctuated.pdf, "堃", "摄") > 0.2
    assert gap_between(punctuated.pdf, "钱", "堃") > 0.2
    assert gap_between(punctuated.pdf, "笔", "：") < 0.05


def test_lint_lists_the_same_edits_in_chinese_and_fix_prints_the_same(punctuated, capsys):
    assert punctuated.build() == 0
    before = printed_text(punctuated.pdf)
    assert main(["lint", str(punctuated.issue)]) == 1
    out = capsys.readouterr().out

    def place(line: int, needle: str) -> str:
        return f"issues/test/articles/b.md:{line}:{LINES[line - 1].index(needle) + 1}"

    assert f"{place(5, ':')}  标点  : → ：" in out
    assert f"{place(7, ' .')}  空格  ␣ → （删除）" in out
    assert f"{place(7, '.')}  标点  . → 。" in out
    assert f"{place(7, ' %')}  空格  ␣ → （删除）" in out
    assert f"{place(9, ',')}  标点  , → ，" in out  # inline footnote, placed in its line
    assert f"{place(13, ',')}  标点  , → ，" in out
    # Nothing in the Latin sentence but its quotes; nothing in the credit line.
    assert re.findall(r"b\.md:5:(\d+)  (\S+)", out) == [("3", "标点"), ("4", "引号"),
                                                      ("34", "引号")]
    assert "b.md:11:" not in out
    assert not any(f"  {rule}  " in out for rule in RULES)  # rule ids are not shown
    assert "共 10 处可自动修正：标点 5，引号 2，空格 2，中西文空格 1" in out

    assert main(["lint", "--fix", str(punctuated.issue)]) == 0
    assert main(["lint", str(punctuated.issue)]) == 0
    assert punctuated.build("--force") == 0
    assert printed_text(punctuated.pdf) == before


def test_front_matter_in_any_yaml_style_is_read_alike_by_lint_and_the_build(project, capsys):
    """Folded, literal, multi-line and quoted values: lint lists what the build prints."""
    titles = {"a.md": "title: >-\n  案例教学:\n  莫德纳", "b.md": "title: |-\n  案例教学:莫德纳",
              "c.md": "title: 案例教学:莫德纳\n  速度", "d.md": 'title: "案例教学:\n  莫德纳"'}
    for name, title in titles.items():
        project.write(f"articles/{name}", f"---\n{title}\n---\n\n正文。\n")
    listed = "".join(f"      - articles/{name}\n" for name in titles)
    project.write("issue.yaml", MINIMAL_MANIFEST.split("sections:")[0]
                  + f"sections:\n  - title: 简讯\n    articles:\n{listed}")
    assert main(["lint", str(project.issue)]) == 1
    out = capsys.readouterr().out
    for name in titles:
        assert re.search(rf"articles/{name}:2(:\d+)?  标点  : → ：", out), name
    assert project.build() == 0
    with pdfplumber.open(project.pdf) as document:
        text = re.sub(r"\s+", "", "".join(page.extract_text() for page in document.pages))
    assert text.count("案例教学：莫德纳") >= 2 * len(titles)  # 目录 and title, each
    assert "案例教学:" not in text


# Issue 11: no space beside full-width punctuation; straight quotes paired by context.

SPACED = """---
title: '创新开展体验式教学: DeepSeek赋能办公'
toc_title: '体验式教学: DeepSeek赋能'
---

曹老师阐释了数据分析, AI在汇报中的应用, 21 家机构参加。
"""


def test_no_space_between_full_width_punctuation_and_latin(project):
    project.write("articles/b.md", SPACED)
    assert project.build() == 0
    text = printed_text(project.pdf)
    assert text.count("教学：DeepSeek") == 2 and "分析，AI" in text and "应用，21 家" in text
    assert re.search(r"[：，] [A-Za-z0-9]", text) is None
    with pdfplumber.open(project.pdf) as document:
        chars = [char for page in document.pages for char in page.chars if char["text"].strip()]
    gaps = [(right["x0"] - left["x1"]) / left["size"] for left, right in pairwise(chars)
            if left["text"] in "：，" and right["text"] in "DA2"]
    assert len(gaps) == 4 and max(gaps) < 0.05, gaps  # 目录, title, body (twice)
    titles = [title for _, _, articles in outline(project.pdf) for title, _ in articles]
    assert "体验式教学：DeepSeek赋能" in titles


QUOTED = """---
title: 引号
---

听了陈老师的课"唱响主旋律,弘扬正能量",做好群众工作"后感触很深。

要领悟"两个确立"的意义,增强"四个意识",探讯型"品牌。用好"调查研究"这个传家宝。
"""


def test_straight_quotes_are_paired_by_context_or_reported(project, capsys):
    project.write("articles/b.md", QUOTED)
    assert project.build() == 0
    warnings = capsys.readouterr().err
    text = printed_text(project.pdf)
    assert "课“唱响主旋律，弘扬正能量”，做好" in text
    assert "“两个确立”" in text and "“四个意识”" in text and "用好“调查研究”这个" in text
    assert text.count('"') == 2  # 工作"后, 探讯型"品牌: no rule decides them
    for line in (5, 7):
        assert re.search(rf"警告：\S*articles/b\.md:{line}：引号 \" 不成对（\d+ 个）：按上下文配对了 "
                         r"\d+ 个，余下 1 个未自动替换，请人工核对", warnings), warnings
