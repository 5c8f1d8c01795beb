"""`bulletin-pdf watch`: the preview page in a real browser (Debian's chromium, driven by
Playwright) follows edits on disk, shows problems in Chinese and keeps the last good PDF;
the server answers on 127.0.0.1 only, for its own few paths; Ctrl-C stops it cleanly."""

from __future__ import annotations

import http.client
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator

import pytest
from conftest import ROOT, Project

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
STARTUP_SECONDS = 120  # the first build of a small issue, on a busy 2-core machine
BUILD_SECONDS = 90


class Watching:
    """A `bulletin-pdf watch` process, as an editor starts it in a terminal."""

    def __init__(self, project: Project, *options: str) -> None:
        self.project = project
        environment = {**os.environ, "PYTHONPATH": str(ROOT / "src"), "PYTHONUNBUFFERED": "1"}
        self.process = subprocess.Popen(
            [sys.executable, "-m", "bulletin_pdf", "watch", str(project.issue), "--port", "0", "-q",
             *options], cwd=project.root, env=environment, stdout=subprocess.PIPE,
            stderr=subprocess.PIPE, text=True)
        assert self.process.stdout is not None
        first = self.process.stdout.readline()
        found = re.search(r"预览：(http://127\.0\.0\.1:(\d+)/)", first)
        assert found, first + self.process.stderr.read() if self.process.stderr else first
        self.url, self.port = found.group(1), int(found.group(2))

    def stop(self) -> tuple[int, str]:
        """Ctrl-C, as the terminal sends it; the exit code and what it printed."""
        self.process.send_signal(signal.SIGINT)
        out, _ = self.process.communicate(timeout=30)
        return self.process.returncode, out

    def get(self, path: str, host: str | None = None) -> tuple[int, bytes]:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        connection.request("GET", path, headers={"Host": host or f"127.0.0.1:{self.port}"})
        response = connection.getresponse()
        return response.status, response.read()


@pytest.fixture
def watching(project: Project) -> Iterator[Watching]:
    (project.root / "node_modules").symlink_to(ROOT / "node_modules")  # pdf.js, as set-up installs it
    running = Watching(project)
    yield running
    if running.process.poll() is None:
        running.process.kill()
        running.process.communicate()


def wait_for_version(page, version: int) -> None:
    page.wait_for_selector(f"body[data-version='{version}']", timeout=BUILD_SECONDS * 1000)


def page_in_view(page) -> int:
    """The number of the PDF page under the status bar, where the reader is reading."""
    return int(page.evaluate("""() => {
        const bar = document.getElementById('bar').getBoundingClientRect().bottom;
        return document.elementFromPoint(window.innerWidth / 2, bar + 40).closest('.page').dataset.pageNumber;
    }"""))


def page_text(page) -> str:
    """The text layers of all pages, scrolled through as a reader does (pages are drawn
    as they come into view): what a reader selects and copies."""
    texts = []
    for index in range(int(page.evaluate("document.querySelectorAll('.page').length"))):
        page.evaluate(f"document.querySelectorAll('.page')[{index}].scrollIntoView()")
        page.wait_for_function(f"document.querySelectorAll('.page')[{index}].dataset.drawn",
                               timeout=BUILD_SECONDS * 1000)
        texts.append(page.evaluate(f"document.querySelectorAll('.page')[{index}].textContent"))
    return re.sub(r"\s+", "", "".join(texts))


def test_the_preview_follows_edits_and_shows_problems_in_a_browser(watching):
    sync_playwright = pytest.importorskip("playwright.sync_api").sync_playwright
    article = watching.project.issue / "articles" / "a.md"
    other = watching.project.issue / "articles" / "b.md"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": 900, "height": 700})
        page.goto(watching.url)
        wait_for_version(page, 1)
        assert "正文第一段" in page_text(page) and "第二篇的正文" in page_text(page)
        assert page.locator("#state").get_attribute("data-state") == "ready"
        pages = int(page.evaluate("document.body.dataset.pages"))
        assert pages >= 3

        # The reader is on the last page; an edit brings the new text and keeps them there.
        page.evaluate("document.querySelectorAll('.page')[document.querySelectorAll('.page').length - 1]"
                      ".scrollIntoView()")
        reading = page_in_view(page)
        assert reading == pages
        edited = article.read_text(encoding="utf-8").replace("正文第一段。", "编辑刚改过的一句话。")
        article.write_text(edited, encoding="utf-8")
        wait_for_version(page, 2)
        assert page_in_view(page) == reading
        text = page_text(page)
        assert "编辑刚改过的一句话" in text and "正文第一段" not in text

        # A broken front matter: the problem, in Chinese with the file, above the last good PDF.
        good = other.read_text(encoding="utf-8")
        other.write_text(good.replace("title: 第二篇文章", "title: [第二篇文章"), encoding="utf-8")
        page.wait_for_selector("#state[data-state='failed']", timeout=BUILD_SECONDS * 1000)
        problems = page.locator("#problems").inner_text()
        assert "b.md:2" in problems and "没有配对" in problems, problems
        assert page.locator("#problems-box").is_visible()
        assert page.evaluate("document.body.dataset.version") == "2"  # the last good PDF stays
        assert "编辑刚改过的一句话" in page_text(page)
        assert watching.project.pdf.is_file()

        # Put back as it was: the PDF on show is that text's already, so it stays, problems gone.
        other.write_text(good, encoding="utf-8")
        page.wait_for_selector("#state[data-state='ready']", timeout=BUILD_SECONDS * 1000)
        assert not page.locator("#problems-box").is_visible()
        assert page.evaluate("document.body.dataset.version") == "2"
        browser.close()
    code, out = watching.stop()
    assert code == 0 and "已停止预览" in out
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", watching.port), timeout=2)


def test_the_server_answers_only_its_own_paths_on_loopback(watching):
    deadline = time.monotonic() + STARTUP_SECONDS
    while watching.get("/status")[1].find(b'"version": 1') < 0:
        assert time.monotonic() < deadline, "no PDF built"
        time.sleep(0.5)
    assert watching.get("/")[0] == 200
    status, pdf = watching.get("/document.pdf?v=1")
    assert status == 200 and pdf.startswith(b"%PDF") and pdf == watching.project.pdf.read_bytes()
    for path in ("/issue.yaml", "/articles/a.md", "/../fonts/fonts.yaml", "/%2e%2e/fonts/fonts.yaml",
                 "/node_modules/pdfjs-dist/package.json", "/pdfjs/../../pyproject.toml", "/build/test.pdf"):
        assert watching.get(path)[0] == 404, path
    # A page elsewhere reaching the port through a name of its own (DNS rebinding) is refused.
    assert watching.get("/document.pdf", host="attacker.example:80")[0] == 403
    listening = subprocess.run(["ss", "-ltnH", f"sport = :{watching.port}"], capture_output=True,
                               text=True, check=False).stdout if shutil.which("ss") else ""
    if listening:  # the local address column: loopback only
        assert [line.split()[3] for line in listening.splitlines()] == [f"127.0.0.1:{watching.port}"]
    code, _ = watching.stop()
    assert code == 0


def test_a_port_in_use_is_refused_in_chinese(project, capsys):
    from bulletin_pdf.cli import main
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        assert main(["watch", str(project.issue), "--port", str(port)]) == 2
    err = capsys.readouterr().err
    assert f"127.0.0.1:{port}" in err and "--port" in err


def test_watch_needs_a_project(tmp_path, capsys):
    from bulletin_pdf.cli import main
    assert main(["watch", str(tmp_path / "nowhere")]) == 2
    assert "找不到项目根目录" in capsys.readouterr().err
