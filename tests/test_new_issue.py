"""`bulletin-pdf new`: the next issue carried over from the latest (or a named) one, or a template."""

from __future__ import annotations

import datetime
import difflib
import re
import shutil
from pathlib import Path

import pytest
from conftest import MINIMAL_MANIFEST, SAMPLE_ISSUE, make_project
from pdfread import outline, read_pages, squash

from bulletin_pdf.cli import main
from bulletin_pdf.manifest import load_issue
from bulletin_pdf.manifest_edit import append_articles

TODAY = datetime.date.today()
# The sample's manifest with what editors add: comments after values and on their own lines,
# a colophon whose date must follow the new issue's.
ANNOTATED_SAMPLE = (SAMPLE_ISSUE / "issue.yaml").read_text(encoding="utf-8") \
    .replace("number: 1\n", "number: 1            # 期号\n") \
    .replace("date: 2025-05-21\n", "date: 2025-05-21     # 日期\n") \
    .replace("sections:\n", "colophon:\n  submit_to: [区委组织部, 区委宣传部]   # 报\n"
             "  printed_on: 2025-05-22   # 印发日期\n  copies: 60\n\n# 栏目\nsections:\n") \
    .replace("  - title: 学习交流\n", "  # 交流发言\n  - title: 学习交流\n")


def projects_root(root: Path) -> Path:
    """A project with the real layouts and fonts and no issue."""
    project = make_project(root)
    shutil.rmtree(project.issue)
    return root


def with_sample(root: Path, manifest: str = ANNOTATED_SAMPLE) -> Path:
    root = projects_root(root)
    shutil.copytree(SAMPLE_ISSUE, root / "issues" / "2025-001")
    (root / "issues" / "2025-001" / "issue.yaml").write_text(manifest, encoding="utf-8")
    return root


def new(*arguments: str) -> int:
    return main(["new", *arguments])


def comments(text: str) -> list[str]:
    return re.findall(r"#.*", text)


def test_new_from_the_sample_carries_over_all_but_the_articles(tmp_path, capsys):
    root = with_sample(tmp_path)
    assert new(str(root / "issues" / "2025-002")) == 0
    folder = root / "issues" / "2025-002"
    written = (folder / "issue.yaml").read_text(encoding="utf-8")
    issue, sample = load_issue(folder), load_issue(root / "issues" / "2025-001")
    assert (issue.number, issue.date) == (2, TODAY)
    assert (issue.name, issue.masthead, issue.slogan, issue.publisher, issue.layout, issue.paper) == (
        sample.name, sample.masthead, sample.slogan, sample.publisher, sample.layout, sample.paper)
    assert [(section.title, section.kind, section.columns, section.untitled_articles,
             section.new_page_per_article) for section in issue.sections] == [
        (section.title, section.kind, section.columns, section.untitled_articles,
         section.new_page_per_article) for section in sample.sections]
    assert [(len(section.articles), len(section.photos)) for section in issue.sections] == [(0, 0)] * 5
    assert issue.colophon.printed_on == TODAY  # follows the new date: printed_on was dropped
    assert issue.colophon.submit_to == ("区委组织部", "区委宣传部") and issue.colophon.copies == 60
    assert comments(written) == [comment for comment in comments(ANNOTATED_SAMPLE)
                                 if comment != "# 印发日期"]
    # Only the number, the date, printed_on and the lists changed; every other line is as it was.
    kept = difflib.SequenceMatcher(a=ANNOTATED_SAMPLE.splitlines(), b=written.splitlines(),
                                   autojunk=False)
    removed = [line for operation, i1, i2, _, _ in kept.get_opcodes() if operation != "equal"
               for line in ANNOTATED_SAMPLE.splitlines()[i1:i2]]
    assert all(re.match(r"\s*(number|date|printed_on|articles|photos):|\s*- (articles/|file:)"
                        r"|\s*caption:", line) for line in removed), removed
    assert "number: 2            # 期号" in written and f"date: {TODAY}     # 日期" in written
    assert (folder / "articles").is_dir() and not any((folder / "articles").iterdir())
    out = capsys.readouterr().out
    assert f"已创建第 2 期（{TODAY}）：" in out and "沿用" in out and "2025-001" in out
    assert re.search(r"bulletin-pdf import \S*2025-002 稿件\.docx --section 简讯", out)
    assert re.search(r"bulletin-pdf build \S*2025-002", out)


def test_new_without_any_issue_writes_a_template_that_check_explains(tmp_path, capsys):
    root = projects_root(tmp_path)
    folder = root / "issues" / "2025-001"
    assert new(str(folder)) == 0
    assert "新模板" in capsys.readouterr().out
    issue = load_issue(folder)  # loads as it is
    assert (issue.number, issue.date) == (1, TODAY)
    assert [section.kind for section in issue.sections] == ["articles", "articles", "gallery"]
    written = (folder / "issue.yaml").read_text(encoding="utf-8")
    assert "# 简报名（必填）" in written and "# 期号（必填，正整数）" in written
    assert main(["check", "-q", str(folder)]) == 2
    error = capsys.readouterr().err
    assert "issue.yaml:4：name：“简报名称（请修改）” 是模板中的占位文字：请改成实际内容" in error
    assert "issue.yaml:9：publisher：“编印单位（请修改）” 是模板中的占位文字" in error
    assert "sections：本期的栏目（简讯、学习感悟、学习掠影）都还没有文章或照片" in error


def test_an_issue_made_by_new_builds_once_it_has_an_article(tmp_path, capsys):
    root = with_sample(tmp_path)
    folder = root / "issues" / "2025-002"
    assert new(str(folder)) == 0
    (folder / "articles" / "one.md").write_text(
        "---\ntitle: 第二期的第一篇文章\nauthors: [王五]\n---\n\n第二期的正文。\n", encoding="utf-8")
    append_articles(folder / "issue.yaml", "学习交流", ["articles/one.md"])
    capsys.readouterr()
    assert main(["build", "-q", str(folder), "--profile", "screen"]) == 0
    error = capsys.readouterr().err
    assert "sections[0]（第 1 个栏目）：栏目 “简讯” 还没有文章，本期不排这个栏目" in error
    assert "栏目 “学习掠影” 还没有照片" in error
    pdf = root / "build" / "2025-002.pdf"
    assert [title for title, _, _ in outline(pdf)] == ["【学习交流】"]  # empty sections left out
    text = squash("".join(page.body for page in read_pages(pdf)))
    assert "第二期的第一篇文章" in text and "第二期的正文。" in text and "第2期" in text


def test_new_from_a_named_issue_and_else_from_the_latest(tmp_path, capsys):
    root = with_sample(tmp_path)
    other = root / "issues" / "other"
    other.mkdir()
    (other / "issue.yaml").write_text(MINIMAL_MANIFEST.replace("articles/a.md", "a.md")
                                      .replace("number: 3", "number: 7"), encoding="utf-8")
    broken = root / "issues" / "broken"
    broken.mkdir()
    (broken / "issue.yaml").write_text("name: [坏\nnumber: 99\n", encoding="utf-8")
    assert new(str(root / "issues" / "named"), "--from", str(root / "issues" / "2025-001")) == 0
    named = load_issue(root / "issues" / "named")
    assert (named.name, named.number) == ("2023-2027松江区第九期处级干部轮训班简报", 2)
    assert new(str(root / "issues" / "latest")) == 0  # number 7 beats 1; the broken one is skipped
    latest = load_issue(root / "issues" / "latest")
    assert (latest.name, latest.number, [len(section.articles) for section in latest.sections]) == (
        "测试简报", 8, [0, 0])
    assert re.search(r"警告：\S*broken/issue.yaml：期刊清单有 1 个问题（YAML 语法错误",
                     capsys.readouterr().err)
    # The same number: the later date wins (2025-06-01 over the sample's 2025-05-21).
    for made in ("named", "latest"):
        shutil.rmtree(root / "issues" / made)
    (other / "issue.yaml").write_text(MINIMAL_MANIFEST.replace("number: 3", "number: 1"),
                                      encoding="utf-8")
    assert new(str(root / "issues" / "by-date")) == 0
    assert load_issue(root / "issues" / "by-date").name == "测试简报"


def test_number_and_date_options(tmp_path):
    root = with_sample(tmp_path)
    folder = root / "issues" / "2026-001"
    assert new(str(folder), "--number", "1", "--date", "2026-01-15") == 0
    issue = load_issue(folder)
    assert (issue.number, issue.date, issue.colophon.printed_on) == (
        1, datetime.date(2026, 1, 15), datetime.date(2026, 1, 15))


@pytest.mark.parametrize("arguments, message", [
    (["--number", "0"], "参数 --number：应为正整数，而不是 0"),
    (["--date", "2026-02-30"], "参数 --date：“2026-02-30” 不是有效日期，应写成 YYYY-MM-DD"),
])
def test_bad_options_are_refused_in_chinese(tmp_path, capsys, arguments, message):
    root = with_sample(tmp_path)
    with pytest.raises(SystemExit) as exited:
        new(str(root / "issues" / "x"), *arguments)
    assert exited.value.code == 2
    assert message in capsys.readouterr().err
    assert not (root / "issues" / "x").exists()


def test_new_never_overwrites_and_writes_nothing_when_refused(tmp_path, capsys):
    root = with_sample(tmp_path)
    existing = root / "issues" / "2025-001"
    before = {path: path.read_bytes() for path in existing.rglob("*") if path.is_file()}
    assert new(str(existing)) == 2
    assert "2025-001：已存在，不会覆盖" in capsys.readouterr().err
    assert {path: path.read_bytes() for path in existing.rglob("*") if path.is_file()} == before
    empty = root / "issues" / "empty"
    empty.mkdir()
    assert new(str(empty)) == 2 and not any(empty.iterdir())
    assert new(str(root / "issues" / "x"), "--from", str(root / "issues" / "nothing")) == 2
    assert "issues/nothing：期刊文件夹不存在" in capsys.readouterr().err
    assert not (root / "issues" / "x").exists()
    outside = tmp_path.parent / f"{tmp_path.name}-outside"
    assert new(str(outside)) == 2
    assert "找不到项目根目录" in capsys.readouterr().err and not outside.exists()
