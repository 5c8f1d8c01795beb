"""`build` of several issues (`build issues/`, or several folders): every issue built or
skipped, one summary (`--json` for machines), a non-zero exit naming the issues that failed."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pikepdf
import pytest

from bulletin_pdf.cli import main
from bulletin_pdf.errors import display_path as shown


@pytest.fixture
def issues(project):
    """issues/test, issues/test-2 (a copy), and issues/broken (an issue.yaml missing keys)."""
    root = project.issue.parent
    shutil.copytree(project.issue, root / "test-2")
    manifest = root / "test-2" / "issue.yaml"
    manifest.write_text(manifest.read_text(encoding="utf-8").replace("number: 3", "number: 4"),
                        encoding="utf-8")
    (root / "broken").mkdir()
    (root / "broken" / "issue.yaml").write_text("name: 坏的一期\nnumber: 5\n", encoding="utf-8")
    return root


def build(*arguments: str) -> int:
    return main(["build", "-q", "--profile", "screen", *arguments])


def test_a_folder_of_issues_builds_each_and_names_the_one_that_failed(issues, capsys):
    assert build(str(issues)) == 2
    out, err = capsys.readouterr()
    built = issues.parent / "build"
    for name in ("test", "test-2"):
        with pikepdf.open(built / f"{name}.pdf") as pdf:
            assert len(pdf.pages) >= 3
        assert f"{shown(issues / name)}  屏幕版 " in out
    assert not (built / "broken.pdf").exists()
    assert f"{shown(issues / 'broken')}：发现 3 个问题" in out and "broken/issue.yaml:1" in out
    assert f"2 期成功，1 期未通过：{shown(issues / 'broken')}" in err


def test_json_summary_for_ci_and_unchanged_issues_skipped(issues, capsys):
    shutil.rmtree(issues / "broken")
    assert build(str(issues / "test"), str(issues / "test-2"), "--json") == 0
    first = json.loads(capsys.readouterr().out)
    assert first["ok"] is True and [entry["issue"] for entry in first["issues"]] == [
        shown(issues / "test"), shown(issues / "test-2")]
    for entry in first["issues"]:
        [output] = entry["outputs"]
        path = Path(output["path"])
        assert output["skipped"] is False and output["profile"] == "screen"
        assert output["bytes"] == path.stat().st_size
        with pikepdf.open(path) as pdf:
            assert output["pages"] == len(pdf.pages)
    # Nothing changed: both skipped. One edited: only it is built again.
    article = issues / "test-2" / "articles" / "b.md"
    article.write_text(article.read_text(encoding="utf-8") + "\n补上的一段。\n", encoding="utf-8")
    assert build(str(issues), "--json") == 0
    second = json.loads(capsys.readouterr().out)
    assert [entry["outputs"][0]["skipped"] for entry in second["issues"]] == [True, False]


def test_json_names_the_problems_with_file_and_line(issues, capsys):
    assert build(str(issues / "broken"), "--json") == 2
    [entry] = json.loads(capsys.readouterr().out)["issues"]
    assert entry["ok"] is False and entry["outputs"] == []
    assert {problem["key"][0] for problem in entry["problems"]} == {"date", "publisher", "sections"}
    assert all(problem["file"] == shown(issues / "broken" / "issue.yaml") and problem["line"] == 1
               for problem in entry["problems"])


def test_output_path_only_for_one_issue(issues, capsys):
    assert build(str(issues), "-o", str(issues.parent / "x.pdf")) == 2
    assert "-o 只能用于一期" in capsys.readouterr().err


def test_a_path_that_holds_no_issue_is_refused(issues, tmp_path, capsys):
    (tmp_path / "empty").mkdir()
    assert build(str(issues / "test"), str(tmp_path / "empty"), str(tmp_path / "missing")) == 2
    err = capsys.readouterr().err
    assert "empty：不是期刊文件夹" in err and "missing：找不到此文件夹" in err
    assert not (issues.parent / "build" / "test.pdf").exists()  # refused before building any
