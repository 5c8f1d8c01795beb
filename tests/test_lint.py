"""`bulletin-pdf lint`: findings per file, line and column; `--fix` writes them back."""

from __future__ import annotations

import re
import subprocess

import pytest
from conftest import MINIMAL_MANIFEST, SAMPLE_ISSUE
from pdfread import read_pages, squash

from bulletin_pdf.cli import main
from bulletin_pdf.errors import BulletinError
from bulletin_pdf.lint import lint_file, write_fixes
from bulletin_pdf.normalize import RULES

PASTED = ("---\ntitle: '案例教学: \"莫德纳\"速度何以可能?'\nauthors: [张 炜]\n---\n\n"
          "5月12日上午,处级干部轮训 班在党校开班...大家说:\"好\"!\n\n"
          "联东 U 谷从 0.7 提升至 2.0,ＡＩ赋能--效果好。\n")


def test_lint_lists_each_change_with_file_line_column_rule(project, capsys):
    project.write("articles/b.md", PASTED)
    assert main(["lint", str(project.issue)]) == 1
    out = capsys.readouterr().out
    lines = [line for line in out.splitlines() if "articles/b.md" in line]
    source = PASTED.split("\n")

    def expect(line: int, needle: str, rule: str, change: str, occurrence: int = 0) -> None:
        column = [m.start() for m in re.finditer(re.escape(needle), source[line - 1])][occurrence]
        assert f"issues/test/articles/b.md:{line}:{column + 1}  {rule}  {change}" in out

    expect(2, ":", "标点", ": → ：", occurrence=1)  # not the key's colon
    expect(2, '"', "引号", '" → “')
    expect(2, "?", "标点", "? → ？")
    expect(6, ",", "标点", ", → ，")
    expect(6, " ", "空格", "␣ → （删除）")
    expect(6, "...", "省略号", "... → ……")
    expect(6, "!", "标点", "! → ！")
    expect(8, " ", "中西文空格", "␣ → （删除）")
    expect(8, "ＡＩ", "全角字母数字", "ＡＩ → AI")
    expect(8, "--", "破折号", "-- → ——")
    assert not any(":3:" in line for line in lines)  # names are never touched
    assert re.search(r"共 \d+ 处可自动修正：标点 \d+", out)


def test_fix_writes_back_what_the_build_prints(project, capsys):
    path = project.write("articles/b.md", PASTED)
    assert project.build() == 0
    built = squash("".join(page.body for page in read_pages(project.pdf)))
    assert main(["lint", "--fix", str(project.issue)]) == 0
    fixed = path.read_text(encoding="utf-8")
    assert fixed == ("---\ntitle: '案例教学：“莫德纳”速度何以可能？'\nauthors: [张 炜]\n---\n\n"
                     "5月12日上午，处级干部轮训班在党校开班……大家说：“好”！\n\n"
                     "联东U谷从0.7提升至2.0，AI赋能——效果好。\n")
    assert "已修改 1 个文件" in capsys.readouterr().out
    assert main(["lint", str(project.issue)]) == 0  # nothing left
    assert "共 0 处" in capsys.readouterr().out
    assert "5月12日上午，处级干部轮训班在党校开班……大家说：“好”！" in built
    assert "案例教学：“莫德纳”速度何以可能？" in built


def test_fix_leaves_a_file_changed_since_it_was_read(project):
    path = project.write("articles/b.md", PASTED)
    result = lint_file(path, frozenset(RULES))
    path.write_text(PASTED + "\n编辑同时在改。\n", encoding="utf-8")
    with pytest.raises(BulletinError, match="检查后文件又被改动过"):
        write_fixes([result])
    assert path.read_text(encoding="utf-8").endswith("编辑同时在改。\n")


def test_unbalanced_quotes_need_a_person(project, capsys):
    project.write("articles/b.md", '---\ntitle: 甲\n---\n\n他说"好"然后"走了。\n')
    assert main(["lint", "--fix", str(project.issue)]) == 1
    captured = capsys.readouterr()
    assert "articles/b.md:5:3  引号  引号 \" 不成对（3 个），未自动替换，请人工核对" in captured.out
    assert "另有 1 处须人工处理" in captured.err


def test_rules_are_switched_off_per_issue(project, capsys):
    project.write("issue.yaml", MINIMAL_MANIFEST + "typography:\n  quotes: false\n  spaces: false\n")
    project.write("articles/b.md", '---\ntitle: 乙\n---\n\n对标"四个区" 建设,好。\n')
    assert main(["lint", str(project.issue)]) == 1
    out = capsys.readouterr().out
    listed = out.split("共")[0]
    assert "引号" not in listed and "空格" not in listed
    assert "标点  , → ，" in listed
    assert project.build() == 0
    text = squash("".join(page.body for page in read_pages(project.pdf)))
    assert '对标"四个区"建设，好。' in text  # squash removes the kept space


def test_unknown_typography_key_is_reported(project, capsys):
    project.write("issue.yaml", MINIMAL_MANIFEST + "typography:\n  quote: false\n")
    assert project.build() == 2
    assert "typography.quote：未知的键 “quote”，是否想写 “quotes”？" in capsys.readouterr().err


def test_edits_the_source_does_not_spell_out_are_left_to_a_person(project, capsys):
    """An escape or a folded YAML value is normalised by the build; lint cannot rewrite it."""
    source = ("---\ntitle: >-\n  案例教学:\n  莫德纳\nauthors: [张 炜]\n---\n\n"
              "他说\\\"好\\\"，然后走了,真的。\n")
    path = project.write("articles/b.md", source)
    assert main(["lint", "--fix", str(project.issue)]) == 1
    captured = capsys.readouterr()
    by_hand = "（须手工修改：源文件中此处的写法与印出的文字不同，如转义、实体或分行写的 YAML 值）"
    assert f"issues/test/articles/b.md:2  标点  : → ：{by_hand}" in captured.out
    assert f"issues/test/articles/b.md:8:4  引号  \" → “{by_hand}" in captured.out
    assert "issues/test/articles/b.md:8:13  标点  , → ，\n" in captured.out
    assert f"issues/test/articles/b.md:2  空格  ␣ → （删除）{by_hand}" in captured.out
    assert "已修改 1 个文件，共 1 处" in captured.out and "另有 4 处须人工处理" in captured.err
    assert path.read_text(encoding="utf-8") == source.replace("走了,", "走了，")
    assert project.build() == 0
    text = squash("".join(page.body + page.large for page in read_pages(project.pdf)))
    assert "案例教学：莫德纳" in text and "他说“好”，然后走了，真的。" in text


def test_the_fixed_sources_print_exactly_what_the_originals_print(project):
    """`lint --fix` writes the build's own edits: the PDF's text does not change."""
    chosen = ["jiaoliu-01-chedun.md", "jiaoliu-04-shengwu-yiyao.md", "jiaoliu-06-xuanchuan.md",
              "ganwu-08-liguibao.md"]  # bold phrases, many quotes, unbalanced quotes
    for name in chosen:
        project.write(f"articles/{name}", (SAMPLE_ISSUE / "articles" / name).read_text("utf-8"))
    listed = "".join(f"      - articles/{name}\n" for name in chosen)
    project.write("issue.yaml", MINIMAL_MANIFEST.split("sections:")[0]
                  + f"sections:\n  - title: 学习交流\n    untitled_articles: true\n"
                  f"    articles:\n{listed}")
    assert project.build() == 0
    before = subprocess.run(["pdftotext", "-layout", str(project.pdf), "-"], capture_output=True,
                            text=True, check=True).stdout
    assert main(["lint", "--fix", str(project.issue)]) == 1
    left = [entry for name in chosen
            for entry in lint_file(project.issue / "articles" / name, frozenset(RULES)).entries]
    assert [(entry.rule, entry.after) for entry in left] == [("quotes", None)] * 2  # unbalanced
    assert project.build() == 0
    after = subprocess.run(["pdftotext", "-layout", str(project.pdf), "-"], capture_output=True,
                           text=True, check=True).stdout
    assert after == before and "“" in after
