"""Shared fixtures: the sample issue built once, and small throw-away projects."""

from __future__ import annotations

import fcntl
import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest

from bulletin_pdf.cli import main

ROOT = Path(__file__).resolve().parent.parent
SAMPLE_ISSUE = ROOT / "issues" / "2025-001"

MINIMAL_MANIFEST = """\
name: 测试简报
slogan: 测试口号
number: 3
date: 2025-06-01
publisher: 测试单位
sections:
  - title: 简讯
    articles:
      - articles/a.md
      - articles/b.md
  - title: 感悟
    untitled_articles: true
    new_page_per_article: false
    articles:
      - articles/c.md
"""

MINIMAL_ARTICLES = {
    "a.md": "---\ntitle: 第一篇文章\nauthors: [张 炜]\nphotographers: [李四]\n---\n\n"
            "# 一、第一部分\n\n正文第一段。\n\n## （一）细目\n\n正文第二段。\n",
    "b.md": "---\ntitle: 第二篇文章\nauthors: [王五]\n---\n\n第二篇的正文。\n",
    "c.md": "---\nauthors: [赵六]\n---\n\n一段没有标题的感悟。\n",
}


@dataclass
class Project:
    """A throw-away project: the real layouts and fonts, one small issue."""

    root: Path

    @property
    def issue(self) -> Path:
        return self.root / "issues" / "test"

    @property
    def pdf(self) -> Path:
        return self.root / "build" / "test.pdf"

    def write(self, relative: str, text: str) -> Path:
        path = self.issue / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        return path

    @property
    def print_pdf(self) -> Path:
        return self.root / "build" / "test-print.pdf"

    def build(self, *options: str) -> int:
        """Build the issue; the screen profile only, unless `options` name another."""
        profile = () if any(option.startswith("--profile") for option in options) else (
            "--profile", "screen")
        return main(["build", "-q", str(self.issue), *profile, *options])


def make_project(root: Path) -> Project:
    shutil.copytree(ROOT / "layouts", root / "layouts")
    (root / "fonts").mkdir()
    shutil.copy(ROOT / "fonts" / "fonts.yaml", root / "fonts" / "fonts.yaml")
    made = Project(root)
    made.write("issue.yaml", MINIMAL_MANIFEST)
    for name, text in MINIMAL_ARTICLES.items():
        made.write(f"articles/{name}", text)
    return made


@pytest.fixture
def project(tmp_path: Path) -> Project:
    return make_project(tmp_path)


def _build_sample(tmp_path_factory: pytest.TempPathFactory, worker_id: str, profile: str) -> Path:
    """The sample built once per run: with xdist, the first worker to ask builds it for
    all (the others wait on a lock), so two workers do not each lay it out."""
    if worker_id == "master":
        folder = tmp_path_factory.mktemp(f"sample-{profile}")
    else:  # the run's temporary folder, shared by its workers
        folder = tmp_path_factory.getbasetemp().parent / f"sample-{profile}"
        folder.mkdir(exist_ok=True)
    output = folder / f"sample-{profile}.pdf"
    with (folder / "lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not output.exists():  # written whole or not at all (the build's staging)
            assert main(["build", "-q", str(SAMPLE_ISSUE), "-o", str(output), "--strict",
                         "--profile", profile]) == 0
    return output


@pytest.fixture(scope="session")
def sample_pdf(tmp_path_factory: pytest.TempPathFactory, worker_id: str) -> Path:
    """The sample issue for screen."""
    return _build_sample(tmp_path_factory, worker_id, "screen")


@pytest.fixture(scope="session")
def sample_print_pdf(tmp_path_factory: pytest.TempPathFactory, worker_id: str) -> Path:
    """The sample issue for print (PDF/X-4): preflight is part of the build and passes."""
    return _build_sample(tmp_path_factory, worker_id, "print")
