"""Every kind of bad input: a Chinese message naming file, line and key; exit 2; no PDF."""

from __future__ import annotations

import subprocess
import sys

import pytest
from conftest import MINIMAL_MANIFEST, ROOT, Project
from pdfread import read_pages, squash

GOOD_PDF = b"%PDF-1.7 a good PDF from an earlier build\n"


def failed_build(project: Project, capsys: pytest.CaptureFixture[str]) -> str:
    """Build over an existing good PDF; the build must fail and leave that PDF alone."""
    project.pdf.parent.mkdir(parents=True, exist_ok=True)
    project.pdf.write_bytes(GOOD_PDF)
    capsys.readouterr()
    assert project.build() == 2
    assert project.pdf.read_bytes() == GOOD_PDF
    assert [path.name for path in project.pdf.parent.iterdir()] == ["test.pdf"]
    return capsys.readouterr().err


def test_yaml_syntax_error_names_file_and_line(project, capsys):
    project.write("issue.yaml", MINIMAL_MANIFEST.replace("number: 3", "number: [3"))
    error = failed_build(project, capsys)
    assert "YAML 语法错误" in error
    assert "issues/test/issue.yaml:" in error


def test_unknown_key_is_reported_with_its_path_and_a_suggestion(project, capsys):
    project.write("issue.yaml", MINIMAL_MANIFEST.replace("  - title: 简讯", "  - titel: 简讯"))
    error = failed_build(project, capsys)
    assert "issue.yaml:7：sections[0].titel（第 1 个栏目）：未知的键 “titel”，是否想写 “title”？" in error
    assert "sections[0].title（第 1 个栏目）：缺少必填的键 “title”" in error


def test_wrong_type_names_the_key(project, capsys):
    project.write("issue.yaml", MINIMAL_MANIFEST.replace("number: 3", "number: 第三期"))
    error = failed_build(project, capsys)
    assert "issue.yaml:3：number：应为正整数" in error


def test_missing_required_field(project, capsys):
    project.write("issue.yaml", MINIMAL_MANIFEST.replace("publisher: 测试单位\n", ""))
    error = failed_build(project, capsys)
    assert "issue.yaml:1：publisher：缺少必填的键 “publisher”" in error


def test_invalid_date(project, capsys):
    project.write("issue.yaml", MINIMAL_MANIFEST.replace("2025-06-01", "2025-02-30"))
    error = failed_build(project, capsys)
    assert "issue.yaml:4：date：“2025-02-30” 不是有效日期" in error


def test_missing_article_file(project, capsys):
    (project.issue / "articles" / "b.md").unlink()
    error = failed_build(project, capsys)
    assert ("issue.yaml:10：sections[0].articles[1]（第 1 个栏目的第 2 篇文章）："
            "文章文件 “articles/b.md” 不存在\n") in error


def test_duplicated_article(project, capsys):
    project.write("issue.yaml", MINIMAL_MANIFEST.replace("articles/c.md", "articles/a.md"))
    error = failed_build(project, capsys)
    assert ("sections[1].articles[0]（第 2 个栏目的第 1 篇文章）：文章 “articles/a.md” 重复列出："
            "已见于 sections[0].articles[0]（第 1 个栏目的第 1 篇文章）") in error


def test_article_path_outside_the_issue(project, capsys):
    project.write("issue.yaml", MINIMAL_MANIFEST.replace("articles/c.md", "../../fonts/fonts.yaml"))
    error = failed_build(project, capsys)
    assert ("sections[1].articles[0]（第 2 个栏目的第 1 篇文章）：文章文件 “../../fonts/fonts.yaml” "
            "在期刊文件夹之外") in error


def test_article_without_front_matter(project, capsys):
    project.write("articles/b.md", "第二篇的正文，没有头信息。\n")
    error = failed_build(project, capsys)
    assert "issues/test/articles/b.md:1：缺少 YAML 头信息" in error


def test_article_front_matter_errors_name_file_line_and_key(project, capsys):
    project.write("articles/b.md", "---\nauthor: [王五]\nsubtitle: [1, 2]\n---\n\n正文。\n")
    error = failed_build(project, capsys)
    assert "articles/b.md:2：author：未知的键 “author”，是否想写 “authors”？" in error
    assert "articles/b.md:3：subtitle：应为文字" in error
    assert "articles/b.md:2：title：缺少必填的键 “title”（文章标题）" in error


def test_every_problem_of_a_run_is_reported_together(project, capsys):
    project.write("issue.yaml", MINIMAL_MANIFEST.replace("number: 3", "number: -1")
                  .replace("2025-06-01", "2025-13-01"))
    project.write("articles/a.md", "没有头信息\n")
    project.write("articles/c.md", "---\nauthors: 3.5.1\nmood: 好\n---\n\n正文\n")
    error = failed_build(project, capsys)
    # Manifest problems stop before articles are read: the manifest names them.
    assert "number：应为正整数" in error and "date：“2025-13-01” 不是有效日期" in error
    project.write("issue.yaml", MINIMAL_MANIFEST + "paper: B5\n")
    (project.root / "fonts" / "fonts.yaml").write_text("roles:\n  body: 宋体\n", encoding="utf-8")
    error = failed_build(project, capsys)
    # Articles, layout and fonts are checked side by side: one run shows all of them.
    assert "发现 4 个问题" in error
    assert "articles/a.md:1：缺少 YAML 头信息" in error
    assert "articles/c.md:3：mood：未知的键 “mood”" in error
    assert "paper：版式 “bulletin” 不支持纸张 “B5”" in error
    assert "fonts/fonts.yaml:2：roles.body：应为“键: 值”形式的映射" in error


@pytest.mark.parametrize(("reference", "message"), [
    ("![图](https://example.com/a.jpg)", "图片 “https://example.com/a.jpg” 是网络地址"),
    ("![图](ftp://example.com/a.jpg)", "图片 “ftp://example.com/a.jpg” 是网络地址"),
    ("[网站](http://example.com)", "引用了网络地址 “http://example.com”"),
    ("![图](file:///etc/passwd)", "图片 “file:///etc/passwd” 是 file: 地址"),
    ("![图](/etc/hosts)", "图片 “/etc/hosts” 是绝对路径"),
    ("[点我](javascript:alert(1))", "链接地址 “javascript:alert(1)” 不能使用"),
    # The `)` before Chinese text is not punctuation to normalise: the link is still checked.
    ("[点击这里](javascript:void(0))。", "链接地址 “javascript:void(0)” 不能使用"),
    ("[文件](b.md)", "链接 “b.md” 指向文件"),
    ("![图](../../../fonts/fonts.yaml)", "图片 “../../../fonts/fonts.yaml” 在期刊文件夹之外"),
    ("![图](images/missing.jpg)", "图片 “images/missing.jpg” 不存在"),
])
def test_references_outside_the_issue_are_refused(project, capsys, reference, message):
    project.write("articles/b.md", f"---\ntitle: 第二篇\n---\n\n第一段。\n\n图片 {reference} 在此。\n")
    error = failed_build(project, capsys)
    assert f"articles/b.md:7：{message}" in error


@pytest.mark.parametrize(("markdown", "shown", "advice"), [
    ("![开班合影](images/开班 合影 (1).jpg)", "“![开班合影](images/开班 合影 (1).jpg)”",
     "路径含空格或括号时请写在尖括号中"),
    ("见[链接](#第 二节)。", "“[链接](#第 二节)”", "地址含空格或括号时请写在尖括号中"),
    ("如正文所述[^9]。", "“[^9]” 是没有对应定义的脚注标记", "请在文末写上脚注"),
    ("见[上文][未定义]。", "“[上文][未定义]” 像引用式链接", "请补上定义"),
    ("**一是加强学习 **然后。", "“**” 没有配对成加粗或强调", "确要印出这些符号时"),
    ("文件名 a__b 里的下划线。", "“__” 没有配对成加粗或强调", "确要印出这些符号时"),
    ("代码写作 `print(1)。", "反引号 “`” 没有配对成代码", "代码请写在一对反引号之间"),
])
def test_markdown_left_in_the_printed_text_is_an_error(project, capsys, markdown, shown, advice):
    project.write("articles/b.md", f"---\ntitle: 第二篇\n---\n\n第一段。\n\n{markdown}\n")
    error = failed_build(project, capsys)
    problem = next(line for line in error.splitlines() if shown in line)
    assert "issues/test/articles/b.md:7：" in problem and advice in problem


def test_escaped_markdown_is_printed_as_written(project):
    project.write("articles/b.md", "---\ntitle: 第二篇\n---\n\n"
                                   "确要印出星号时写 \\*\\*，反引号写 \\`。\n")
    assert project.build() == 0
    text = squash("".join(page.body for page in read_pages(project.pdf)))
    assert "确要印出星号时写**，反引号写`。" in text


def test_layout_resources_outside_allowed_folders_stop_the_build(project, capsys):
    stylesheet = project.root / "layouts" / "bulletin" / "css" / "bulletin.css"
    stylesheet.write_text('@import url("http://example.com/x.css");\n'
                          + stylesheet.read_text(encoding="utf-8"), encoding="utf-8")
    error = failed_build(project, capsys)
    assert "css/bulletin.css:1：样式表引用了版式文件夹之外的资源 “http://example.com/x.css”" in error


def test_unknown_layout_and_paper(project, capsys):
    project.write("issue.yaml", MINIMAL_MANIFEST + "layout: fancy\n")
    assert "layout：版式 “fancy” 不存在；可用版式：bulletin" in failed_build(project, capsys)
    project.write("issue.yaml", MINIMAL_MANIFEST + "paper: Letter\n")
    assert "paper：版式 “bulletin” 不支持纸张 “Letter”；可选：A4、A5" in failed_build(project, capsys)


def test_missing_issue_folder(project, capsys):
    assert project.build() == 0  # sanity: the minimal project builds
    capsys.readouterr()
    assert main_exit(["build", str(project.root / "issues" / "nope")]) == 2
    assert "期刊文件夹不存在" in capsys.readouterr().err


def test_cli_process_exit_code_and_message(project):
    project.write("issue.yaml", MINIMAL_MANIFEST.replace("number: 3", "number: 三"))
    result = subprocess.run([sys.executable, "-m", "bulletin_pdf", "build", str(project.issue)],
                            capture_output=True, text=True, cwd=ROOT)
    assert result.returncode == 2
    assert "number：应为正整数" in result.stderr
    assert not project.pdf.exists()


def main_exit(argv: list[str]) -> int:
    from bulletin_pdf.cli import main
    return main(argv)
