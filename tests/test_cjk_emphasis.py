"""CJK-friendly emphasis: the cases of the proposal (github.com/tats-u/markdown-cjk-friendly,
testcases/ and implementers-tips.md), and CommonMark unchanged outside CJK text."""

from __future__ import annotations

import itertools
import re
import subprocess
from pathlib import Path

import pdfplumber
import pytest
from conftest import MINIMAL_MANIFEST, SAMPLE_ISSUE
from markdown_it import MarkdownIt

from bulletin_pdf.cjk_emphasis import cjk_emphasis_plugin, is_cjk_character
from bulletin_pdf.cli import main
from bulletin_pdf.normalize import is_han

FRIENDLY = MarkdownIt("commonmark").use(cjk_emphasis_plugin)
COMMONMARK = MarkdownIt("commonmark")


def inline(markdown: str, md: MarkdownIt = FRIENDLY) -> str:
    return md.renderInline(markdown)


# Bold where authors mean it: the closing ** after a full-width mark and before a
# letter, the opening ** after a letter and before a mark (testcases/strong.md).
@pytest.mark.parametrize(("markdown", "html"), [
    ("**一是加强学习。**然后深入调研", "<strong>一是加强学习。</strong>然后深入调研"),
    ("**科创飞地：**在松江枢纽周边", "<strong>科创飞地：</strong>在松江枢纽周边"),
    ("**推荐几个框架：**React、Vue等前端框架。", "<strong>推荐几个框架：</strong>React、Vue等前端框架。"),
    ("これは**私のやりたかったこと。**だからするの。",
     "これは<strong>私のやりたかったこと。</strong>だからするの。"),
    ("**[製品ほげ](./product-foo)**と**[製品ふが](./product-bar)**をお試しください",
     '<strong><a href="./product-foo">製品ほげ</a></strong>と'
     '<strong><a href="./product-bar">製品ふが</a></strong>をお試しください'),
    ("カッコに注意**（太字にならない）**文が続く場合に要警戒。",
     "カッコに注意<strong>（太字にならない）</strong>文が続く場合に要警戒。"),
    ("先頭の**`コード`も注意。**", "先頭の<strong><code>コード</code>も注意。</strong>"),
    ("**末尾の`コード`**も注意。", "<strong>末尾の<code>コード</code></strong>も注意。"),
    ("税込**¥10,000**で入手できます。", "税込<strong>¥10,000</strong>で入手できます。"),
    ("正解は**④**です。", "正解は<strong>④</strong>です。"),
    ("太郎は**「こんにちわ」**といった", "太郎は<strong>「こんにちわ」</strong>といった"),
    ('太郎は**"Hello"**といった', "太郎は<strong>&quot;Hello&quot;</strong>といった"),
    ("**C#**や**F#**は**「.NET」**というプラットフォーム上で動作します。",
     "<strong>C#</strong>や<strong>F#</strong>は<strong>「.NET」</strong>というプラットフォーム上で動作します。"),
    ("Go**「初心者」**を対象とした記事です。", "Go<strong>「初心者」</strong>を対象とした記事です。"),
    (".NET**（.NET Frameworkは不可）**では、", ".NET<strong>（.NET Frameworkは不可）</strong>では、"),
    ("Git**（注：不是GitHub）**", "Git<strong>（注：不是GitHub）</strong>"),
    ("𰻞𰻞**（ビャンビャン）**麺", "𰻞𰻞<strong>（ビャンビャン）</strong>麺"),  # outside the BMP
    ("𠮟**(こちらが正式表記)**", "𠮟<strong>(こちらが正式表記)</strong>"),
    ("葛\U000E0100**(こちらが正式表記)**城市", "葛\U000E0100<strong>(こちらが正式表記)</strong>城市"),  # IVS
    ("大塚\ufe00**(U+585A U+FE00)** 大塚**(U+FA10)**",
     "大塚\ufe00<strong>(U+585A U+FE00)</strong> 大塚<strong>(U+FA10)</strong>"),  # SVS
    ("**“\ufe01Git”\ufe01**Hub", "<strong>“\ufe01Git”\ufe01</strong>Hub"),  # fullwidth quotes
    ("国際規格**[ECMA-262](https://tc39.es/ecma262/)**",
     '国際規格<strong><a href="https://tc39.es/ecma262/">ECMA-262</a></strong>'),
    *((f"**真{mark}**她", f"<strong>真{mark}</strong>她")
      for mark in "，。、；：？！“”‘’（）【】《》—～…·〃-々"),
    *((f"真**{mark}她**", f"真<strong>{mark}她</strong>") for mark in "（【《"),
    ("**真，** 她", "<strong>真，</strong> 她"),
    ("**真**，她", "<strong>真</strong>，她"),
    # Korean (testcases/korean.md) and CJK symbols that are also text-style emoji.
    ("**스크립트(script)**라고", "<strong>스크립트(script)</strong>라고"),
    ("패키지를 발행하려면 **`npm publish`**를 실행하십시오.",
     "패키지를 발행하려면 <strong><code>npm publish</code></strong>를 실행하십시오."),
    ("ᅡ**(a)**", "ᅡ<strong>(a)</strong>"),
    *((f"a**{symbol}**a", f"a<strong>{symbol}</strong>a") for symbol in "〰〽🈂🈷㊗㊙"),
])
def test_strong_next_to_cjk(markdown, html):
    assert inline(markdown) == html


@pytest.mark.parametrize("markdown", [
    # Punctuation and symbols outside CJK still follow CommonMark (testcases/non-bmp.md).
    "a**a«**a", "a**»a**a", "a**a∇**a", "a**∇a**a", "a**a𝜵**a", "a**𝜵a**a", "a**𐬻a**a",
    "a**a𐬻**a",
    "a**😀。**a",  # an emoji is no CJK character
])
def test_no_emphasis_where_commonmark_has_none(markdown):
    assert "<strong>" not in inline(markdown)
    assert inline(markdown) == inline(markdown, COMMONMARK)


@pytest.mark.parametrize(("markdown", "html"), [
    # `_` never splits a word; CJK only changes what counts as punctuation next to it.
    ("__注意__：注意事項", "<strong>注意</strong>：注意事項"),
    ("注意：__注意事項__", "注意：<strong>注意事項</strong>"),
    ("正體字。\ufe01_Traditional._", "正體字。\ufe01<em>Traditional.</em>"),
    ("简体字 / 新字体。\ufe00__Mainland China or Japan.__",
     "简体字 / 新字体。\ufe00<strong>Mainland China or Japan.</strong>"),
    ("“\ufe01Git”\ufe01__Hub__", "“\ufe01Git”\ufe01<strong>Hub</strong>"),
    ("汉字__强调__汉字", "汉字__强调__汉字"),
])
def test_underscores(markdown, html):
    assert inline(markdown) == html


# implementers-tips.md, "Emphasis Marker Start/End Conditions": the character outside
# (before) a marker, the one inside (after), and whether it can end / start emphasis.
CONDITIONS = [
    (" ", "*", " ", False, False), (" ", "*", '"', False, True), (" ", "*", "a", False, True),
    (" ", "*", "～", False, True), (" ", "*", "字", False, True),
    (" ", "_", " ", False, False), (" ", "_", '"', False, True), (" ", "_", "a", False, True),
    (" ", "_", "～", False, True), (" ", "_", "字", False, True),
    ('"', "*", '"', True, True), ('"', "*", "a", False, True), ('"', "*", "字", True, True),
    ("～", "*", "a", True, True),
    ('"', "_", '"', True, True), ('"', "_", "a", False, True), ('"', "_", "字", False, True),
    ("～", "_", "a", False, True),
    ("a", "*", "a", True, True), ("a", "_", "a", False, False),
]


@pytest.mark.parametrize(("before", "marker", "after", "can_end", "can_start"), CONDITIONS)
def test_marker_start_and_end_conditions(before, marker, after, can_end, can_start):
    from markdown_it.rules_inline import StateInline

    from bulletin_pdf.cjk_emphasis import scan_delimiters

    source = f"{before}{marker}{after}"
    state = StateInline(source, FRIENDLY, {}, [])
    scanned = scan_delimiters(state, 1, marker == "*")
    assert (scanned.can_close, scanned.can_open) == (can_end, can_start)


def test_commonmark_is_unchanged_without_cjk_neighbours():
    """Every arrangement of markers between non-CJK characters renders as CommonMark's."""
    neighbours = [" ", "a", "1", "é", '"', "(", ")", ".", "!", "«", "∇", "😀", "\u00a0", ""]
    markers = ["*", "**", "_", "__", "***"]
    checked = 0
    for first, second, third in itertools.product(neighbours, repeat=3):
        for marker in markers:
            text = f"{first}{marker}{second}x{second}{marker}{third}"
            assert inline(text) == inline(text, COMMONMARK), text
            checked += 1
    assert checked == len(neighbours) ** 3 * len(markers)


def test_cjk_characters():
    assert all(is_cjk_character(char) for char in "汉字。，「」（）ーアあ한글ｱ𠮷〰")
    assert not any(is_cjk_character(char) for char in "a1.,«“”‘’😀⌚\u00a0")
    assert is_cjk_character("\u4dc0")  # a hexagram: wide since Unicode 16
    assert is_cjk_character("\U0002ebf0") and not is_cjk_character("\U0001f300")  # unassigned


def bold_phrases(articles: list[Path]) -> list[str]:
    """The Chinese characters of every `**…**` in `articles`."""
    return [re.sub(r"[^\u4e00-\u9fff]", "", match) for path in articles
            for match in re.findall(r"\*\*(.+?)\*\*", path.read_text(encoding="utf-8"))]


def assert_printed_bold(pdf_path: Path, phrases: list[str]) -> None:
    text = subprocess.run(["pdftotext", str(pdf_path), "-"], capture_output=True, text=True,
                          check=True).stdout
    assert "*" not in text
    with pdfplumber.open(pdf_path) as pdf:  # bold Chinese characters; | for the rest
        bold = "".join(("" if not is_han(char["text"]) else char["text"])
                       if "Bold" in char["fontname"] else "|"
                       for page in pdf.pages for char in page.chars)
    assert [phrase for phrase in phrases if phrase not in bold] == []


def test_the_sample_prints_bold_where_its_authors_meant_it(sample_pdf):
    """The sample's 19 `**…**` are bold and none is printed as asterisks."""
    phrases = bold_phrases(list(SAMPLE_ISSUE.glob("articles/*.md")))
    assert len(phrases) == 19
    assert_printed_bold(sample_pdf, phrases)


def test_the_sample_stays_bold_after_lint_fix(project):
    """`lint --fix` writes `**科创飞地：**在`: a closing ** after a full-width mark, before a
    letter — literal asterisks in CommonMark, bold with the CJK-friendly rule."""
    sources = [path for path in sorted(SAMPLE_ISSUE.glob("articles/*.md"))
               if "**" in path.read_text(encoding="utf-8")]
    for source in sources:
        project.write(f"articles/{source.name}", source.read_text(encoding="utf-8"))
    listed = "".join(f"      - articles/{source.name}\n" for source in sources)
    project.write("issue.yaml", MINIMAL_MANIFEST.split("sections:")[0]
                  + f"sections:\n  - title: 学习交流\n    articles:\n{listed}")
    assert main(["lint", "--fix", str(project.issue)]) == 0
    fixed = [project.issue / "articles" / source.name for source in sources]
    written = "".join(path.read_text(encoding="utf-8") for path in fixed)
    assert re.search(r"[：，。]\*\*[\u4e00-\u9fff]", written)  # what CommonMark leaves as text
    assert project.build() == 0
    assert_printed_bold(project.pdf, bold_phrases(fixed))
