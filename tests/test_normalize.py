"""Each normalisation rule: what it changes, and what it must leave alone."""

from __future__ import annotations

from pathlib import Path

import pytest

from bulletin_pdf.articles import ArticleSource, read_article
from bulletin_pdf.normalize import RULES, normalize
from bulletin_pdf.sourcetext import apply_fixes
from bulletin_pdf.typography import DEFAULT_TYPOGRAPHY, Typography, segments

FRONT_MATTER = "---\ntitle: 标题\n---\n\n"


def norm(text: str, *rules: str, title: bool = False) -> str:
    return normalize(text, rules or RULES, title=title).text


def read_body(folder: Path, body: str) -> ArticleSource:
    path = folder / "a.md"
    path.write_text(FRONT_MATTER + body, encoding="utf-8")
    return read_article(path, RULES)


def fixed_body(article: ArticleSource) -> str:
    """The body as `lint --fix` writes it."""
    return apply_fixes(article.file.text, article.fixes)[len(FRONT_MATTER):]


def printed_body(article: ArticleSource) -> list[str]:
    """Each body text as the build prints it."""
    return [text.text for text in article.printed if text.kind not in ("title", "alt")]


@pytest.mark.parametrize(("before", "after"), [
    ("5月12日上午,2023-2027年", "5月12日上午，2023-2027年"),
    ("功能革命: 打破", "功能革命： 打破"),
    ("何以可能?", "何以可能？"),
    ("很好!再见;明天", "很好！再见；明天"),
    ("PDCA即(计划、执行)的路径", "PDCA即（计划、执行）的路径"),
    ("行动计划(2024-2026)》", "行动计划（2024-2026）》"),
    ("DeepSeek,腾讯元宝", "DeepSeek，腾讯元宝"),
    ("提升至 2.0,引入", "提升至 2.0，引入"),
    ("句子结束.", "句子结束。"),
    ("**产业雨林**:用", "**产业雨林**：用"),
    ("提升至 2.0,G60 科创", "提升至 2.0，G60 科创"),
    ("阐释了AI,AI辅助", "阐释了AI，AI辅助"),
])
def test_punctuation_in_chinese_text(before, after):
    assert norm(before, "punctuation") == after


@pytest.mark.parametrize("text", [
    "3.5%", "1,000人", "12:30开会", "Hello, world. (Really?)", "v1.2版本", "8.0版",
    "Hello, world. 这是", "使用了DeepSeek.",
])
def test_punctuation_leaves_numbers_and_latin_alone(text):
    assert norm(text, "punctuation") == text


@pytest.mark.parametrize(("before", "after"), [
    ('对标"四个区"建设', "对标“四个区”建设"),
    ("'双减'政策", "‘双减’政策"),
    ('"甲""乙"', "“甲”“乙”"),
])
def test_quotes_are_paired(before, after):
    assert norm(before, "quotes") == after


def test_unbalanced_quotes_are_left_and_reported():
    state = normalize('他说"好"然后"走', ["quotes"])
    assert state.text == '他说"好"然后"走'
    assert state.findings and "不成对" in state.findings[0].message


def test_apostrophes_in_latin_words_stay():
    assert norm("don't 和 it's", "quotes") == "don't 和 it's"


@pytest.mark.parametrize(("before", "after"), [
    ("等等...", "等等……"), ("等等......", "等等……"), ("好。。。", "好……"), ("好…吗", "好……吗"),
    ("好——吗", "好——吗"), ("好……吗", "好……吗"),
])
def test_ellipsis(before, after):
    assert norm(before, "ellipsis") == after


def test_ellipsis_in_latin_text_stays():
    assert norm("wait... what", "ellipsis") == "wait... what"


@pytest.mark.parametrize(("before", "after"), [
    ("好--吗", "好——吗"), ("好---吗", "好——吗"), ("好—”", "好——”"), ("好－－吗", "好——吗"),
])
def test_dashes(before, after):
    assert norm(before, "dashes") == after


@pytest.mark.parametrize("text", ["2023-2027年", "1-4月", "基础研究—临床转化—产业应用",
                                  "a--b", "已有——破折号"])
def test_dashes_leave_hyphens_connectors_and_latin_alone(text):
    assert norm(text, "dashes") == text


@pytest.mark.parametrize(("before", "after"), [
    ("为轮训 班顺利", "为轮训班顺利"), ("功能革命： 打破", "功能革命：打破"),
    ("很好 。", "很好。"), ("“甲” “乙”", "“甲”“乙”"),
])
def test_spaces_between_chinese_characters(before, after):
    assert norm(before, "spaces") == after


@pytest.mark.parametrize("text", ["Hello world", "学员 DeepSeek", "第 1 期"])
def test_spaces_next_to_latin_are_not_the_spaces_rule(text):
    assert norm(text, "spaces") == text


def test_title_keeps_the_space_between_phrases():
    assert norm("学思践悟新思想 知行合一担使命", "spaces", title=True) == "学思践悟新思想 知行合一担使命"
    assert norm("唱响主旋律， 弘扬正能量", "spaces", title=True) == "唱响主旋律，弘扬正能量"


@pytest.mark.parametrize(("before", "after"), [
    ("G60 科创走廊", "G60科创走廊"), ("联东 U 谷", "联东U谷"), ("增长 2 倍", "增长2倍"),
])
def test_latin_spaces(before, after):
    assert norm(before, "latin_spaces") == after


def test_spaces_around_urls_and_code_stay(tmp_path):
    body = "访问 https://example.com/a,b 或 `x = 1, 2` 吧，邮件 zhang.san@example.com,谢谢\n"
    article = read_body(tmp_path, body)
    assert fixed_body(article) == body.replace("com,谢", "com，谢")
    assert printed_body(article) == ["访问 https://example.com/a,b 或  吧，邮件 zhang.san@example.com，谢谢"]


def test_fullwidth_letters_and_digits():
    assert norm("ＤｅｅｐＳｅｅｋ赋能２０２５年", "fullwidth_alnum") == "DeepSeek赋能2025年"
    assert norm("全角标点，不变", "fullwidth_alnum") == "全角标点，不变"


def test_markdown_syntax_is_never_touched(tmp_path):
    body = ("# 一、标题:内容\n\n1. 列表项, 好\n\n见[链接](#a,b \"t:1\")和 <mail@x.com>,"
            "还有`code,1`。\n\n图片 ![图, 甲](images/a.jpg) 在此.\n\n```\n代码, 不变...\n```\n\n"
            "正文[^1]\n\n[^1]: 注释, 定义\n\n[参考]: <#x,y> \"题, 注\"\n")
    fixed = fixed_body(read_body(tmp_path, body))
    assert fixed.startswith("# 一、标题：内容\n\n1. 列表项，好\n")
    assert "[链接](#a,b \"t:1\")和 <mail@x.com>，还有`code,1`。" in fixed
    assert "```\n代码, 不变...\n```" in fixed
    assert "![图，甲](images/a.jpg)" in fixed  # the image stays an image
    assert "[^1]: 注释，定义\n" in fixed and "[参考]: <#x,y> \"题, 注\"" in fixed


def test_edits_point_at_the_original_text(tmp_path):
    article = read_body(tmp_path, "甲 乙,丙\n\n丁...戊")
    lines = article.file.text.split("\n")
    assert [(change.rule, lines[change.place[0] - 1][change.place[1] - 1:][:len(change.before)],
             change.after) for change in article.changes] == [
        ("spaces", " ", ""), ("punctuation", ",", "，"), ("ellipsis", "...", "……")]


def test_normalisation_runs_on_parsed_text_not_on_markdown(tmp_path):
    """Emphasis markers are not text; link destinations and code are not text either."""
    article = read_body(tmp_path, "**产业雨林**:用\"土地\"政策;**科创飞地:** 在松江\n\n"
                                  "[点击这里](javascript:void(0))。见`a, b`和<http://x.cn/a,b> ,好.\n")
    assert printed_body(article) == ["产业雨林：用“土地”政策；科创飞地：在松江",
                                     "点击这里。见和http://x.cn/a,b ，好。"]
    assert fixed_body(article) == ("**产业雨林**：用“土地”政策；**科创飞地：**在松江\n\n"
                                   "[点击这里](javascript:void(0))。见`a, b`和<http://x.cn/a,b> ，好。\n")
    link = next(token for inline in article.tokens for token in inline.children or ()
                if token.type == "link_open" and token.markup != "autolink")
    assert link.attrGet("href") == "javascript:void(0)"  # still a link: the check will see it


def test_escapes_and_entities_are_normalised_but_left_to_a_person(tmp_path):
    article = read_body(tmp_path, '他说\\"好\\"&#44;然后\\*\\*不加粗\\*\\*。\n')
    assert printed_body(article) == ["他说“好”，然后**不加粗**。"]
    assert {change.rule for change in article.changes} == {"quotes", "punctuation"}
    assert not any(change.fixable for change in article.changes)
    assert not article.fixes and not article.problems  # escaped asterisks are no leftover


@pytest.mark.parametrize("text", [
    "他说：“Hello, world! This is a test.”然后走了。", "（Hello, world!）", "他问：“Why?”",
    "“Wait...”他说", "“Wait--”他说", "使用了DeepSeek, Kimi等工具",
])
def test_a_run_of_latin_words_keeps_its_own_punctuation(text):
    straight = text.replace("“", '"').replace("”", '"').replace("：", ":")
    assert norm(straight) == text
    assert norm(text) == text


@pytest.mark.parametrize(("before", "after"), [
    ("他说“我用的是DeepSeek!”", "他说“我用的是DeepSeek！”"),
    ("会上提到了AI, 大数据", "会上提到了AI，大数据"),
    ("“好的...”他说", "“好的……”他说"),
])
def test_latin_words_in_a_chinese_sentence_take_its_punctuation(before, after):
    assert norm(before) == after


@pytest.mark.parametrize("text", [
    "执笔：钱 堃 摄影：吴 𠮷", "（文/徐文震、赵丹阳 图/张 炜）", "正文。\n图：张 三 文：李 四",
])
def test_credit_lines_keep_the_spaces_of_their_names(text):
    assert norm(text) == text


@pytest.mark.parametrize(("before", "after"), [
    ("（执笔: 钱 堃 摄影: 吴 𠮷 ）", "（执笔：钱 堃 摄影：吴 𠮷）"),
    ("他是 记者：张三 说明 情况", "他是记者：张三说明情况"),  # not a credit line: mid-sentence
])
def test_spaces_outside_names_in_credit_lines_go(before, after):
    assert norm(before) == after


@pytest.mark.parametrize(("before", "after"), [
    ("很有收获） .", "很有收获）。"), ("很有收获) .下一句", "很有收获）。下一句"),
    ("很有收获 .", "很有收获。"), ("完成率达 100 %。", "完成率达100%。"),
    ("50 ％的人", "50％的人"), ("增长 3.5 ‰，", "增长3.5‰，"),
])
def test_spaces_before_a_stop_and_a_percent_sign(before, after):
    assert norm(before) == after


@pytest.mark.parametrize("text", ["Hello world .", "Hello 100 % sure", "见 .NET 框架"])
def test_latin_spaces_before_a_stop_or_percent_stay(text):
    assert norm(text, "punctuation", "spaces") == text


def test_rules_can_be_switched_off():
    text = '甲,乙 丙"丁"'
    assert norm(text, "quotes") == '甲,乙 丙“丁”'
    assert normalize(text, []).text == text


# Markup for the layout -----------------------------------------------------

def test_adjacent_marks_compress_the_one_whose_blank_faces_the_other():
    pieces = list(segments("他说：“好。”然后（《书》）"))
    compressed = [piece for piece, classes in pieces if "compress" in classes]
    assert compressed == ["：", "。", "《", "》"]


def test_autospace_between_chinese_and_latin_except_digits_before_units():
    text = "".join(piece for piece, _ in segments("用DeepSeek赋能，2025年有37名学员"))
    # 2025年 stays tight (a house unit); 37 名 gets the space, joined to its number.
    assert text == "用 DeepSeek 赋能，2025\u2060年有 37 \u2060名学员"


def test_word_joiners_keep_dashes_and_units_attached():
    text = "".join(piece for piece, _ in segments("好——吗，37名，甲·乙"))
    assert text == "好\u2060——吗，37 \u2060名，甲\u2060·乙"
    # A code is no quantity: what follows G60 may move to the next line without it.
    code = "".join(piece for piece, _ in segments("推进了G60脑智科创基地，H5N1病毒，50%的"))
    assert code == "推进了 G60 脑智科创基地，H5N1 病毒，50% \u2060的"
    off = Typography.merged({"kinsoku": False, "autospace": False, "compress": False})
    assert "".join(piece for piece, _ in segments("好——吗", settings=off)) == "好——吗"
    assert DEFAULT_TYPOGRAPHY.kinsoku


def test_curly_quotes_may_start_or_follow_a_line_break():
    """UAX #14 glues quotes to both neighbours; clreq lets a line end before “ and after ”."""
    text = "".join(piece for piece, _ in segments("改造是“旧幕布”，南大居“新角色”登场"))
    assert text == "改造是\u200b“旧幕布”，南大居\u200b“新角色”\u200b登场"
