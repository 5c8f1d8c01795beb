"""A failed run changes nothing; user and environment problems exit 2 with a Chinese message.

Every test starts from old files (an earlier build's PDFs, the articles) and checks, byte
for byte, that a failed run left them as they were and left nothing beside them.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import resource
import signal
import stat
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import MINIMAL_ARTICLES, MINIMAL_MANIFEST, ROOT, Project
from PIL import Image, ImageCms

from bulletin_pdf import lint
from bulletin_pdf.cli import main
from bulletin_pdf.files import STAGING_PREFIX
from bulletin_pdf.forked import CHILD_NAME
from bulletin_pdf.icc import output_profile_problem

SRC = ROOT / "src"
PASTED = "---\ntitle: 第二篇文章\n---\n\n正文,有半角逗号...还有省略号.\n"


def old_pdfs(project: Project) -> dict[Path, bytes]:
    """Both outputs as an earlier build left them."""
    project.pdf.parent.mkdir(parents=True, exist_ok=True)
    old = {path: f"%PDF-1.7 {path.name} from an earlier build\n".encode()
           for path in (project.pdf, project.print_pdf)}
    for path, content in old.items():
        path.write_bytes(content)
    return old


def assert_unchanged(old: dict[Path, bytes]) -> None:
    """The old files as they were, and nothing else beside them."""
    assert {path: path.read_bytes() for path in old} == old
    for folder in {path.parent for path in old}:
        assert sorted(folder.iterdir()) == sorted(path for path in old if path.parent == folder)


def cli_process(project: Project, *arguments: str, **options) -> subprocess.Popen:
    """`bulletin-pdf` in its own process (it forks only when its output is a real file)."""
    return subprocess.Popen([sys.executable, "-m", "bulletin_pdf", *arguments],
                            cwd=project.root, env={**os.environ, "PYTHONPATH": str(SRC)},
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **options)


def run_cli(project: Project, *arguments: str, **options) -> tuple[int, str]:
    process = cli_process(project, *arguments, **options)
    out, err = process.communicate(timeout=120)
    return process.returncode, out + err


def break_print_after_layout(project: Project) -> None:
    """Text pushed off the print pages only: print fails its preflight, after layout."""
    stylesheet = project.root / "layouts" / "bulletin" / "css" / "profile-print.css"
    stylesheet.write_text(stylesheet.read_text(encoding="utf-8")
                          + "\np { margin-left: -45mm !important; }\n", encoding="utf-8")


# 1. A build writes every requested output or none.

@pytest.mark.parametrize("forked", [False, True], ids=["one-process", "forked"])
def test_when_print_fails_after_layout_neither_pdf_is_replaced(project, capsys, forked):
    break_print_after_layout(project)
    old = old_pdfs(project)
    if forked:
        code, output = run_cli(project, "build", "-q", str(project.issue))
    else:
        code, output = main(["build", "-q", str(project.issue)]), capsys.readouterr().err
    assert code == 2
    assert "build/test-print.pdf：预检未通过" in output and "超出成品页面" in output
    assert_unchanged(old)  # the screen PDF was made, but is not put in place alone


# 2. kill -9 of the main process; 3. a child killed by a signal.

def children_of(pid: int) -> list[int]:
    """The forked children that have armed their death signal.

    One caught between fork() and prctl() could be stopped before it asks the
    kernel to end it with its parent: a window no user can aim at, but a test can.
    """
    armed = []
    for child in Path(f"/proc/{pid}/task/{pid}/children").read_text().split():
        with contextlib.suppress(FileNotFoundError):
            if Path(f"/proc/{child}/comm").read_text().strip() == CHILD_NAME:
                armed.append(int(child))
    return armed


def is_running(pid: int) -> bool:
    """Alive and not a zombie (a container's init may never reap the dead)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return False
    return state not in ("Z", "X")


def start_build_and_wait_for_layout(project: Project) -> tuple[subprocess.Popen, list[int]]:
    """A build of both outputs, caught while forked children lay out its units (each
    lives for one unit: caught as soon as they are there)."""
    process = cli_process(project, "build", "-q", str(project.issue))
    deadline = time.monotonic() + 60
    children: list[int] = []
    while not children and time.monotonic() < deadline:
        staging = list(project.pdf.parent.glob(f"{STAGING_PREFIX}*"))
        children = children_of(process.pid) if staging else []
        time.sleep(0.005)
    assert children, "the build never forked"
    assert process.poll() is None
    return process, children


def signal_a_child(process: subprocess.Popen, children: list[int], number: int) -> list[int]:
    """Send `number` to every child still there (at least one, or fail); those signalled."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        signalled = []
        for child in children:
            with contextlib.suppress(ProcessLookupError):
                os.kill(child, number)
                signalled.append(child)
        if signalled:
            return signalled
        children = children_of(process.pid)
    raise AssertionError("no layout process to signal")


@pytest.mark.skipif(not Path("/proc/self/task").is_dir(), reason="needs Linux /proc")
def test_kill_9_mid_layout_leaves_no_process_no_litter_and_the_old_pdfs(project):
    old = old_pdfs(project)
    process, children = start_build_and_wait_for_layout(project)
    try:  # frozen mid-layout: only the kernel can end them now
        children = signal_a_child(process, children, signal.SIGSTOP)
        process.kill()  # SIGKILL: the build cannot clean up
        process.wait()
        deadline = time.monotonic() + 5
        while any(map(is_running, children)) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not any(map(is_running, children)), "a layout process outlived its build"
    finally:
        for child in filter(is_running, children):
            os.kill(child, signal.SIGKILL)
    assert {path: path.read_bytes() for path in old} == old
    # The next run removes what the killed one left, and builds.
    code, output = run_cli(project, "build", "-q", str(project.issue))
    assert code == 0, output
    assert sorted(path.name for path in project.pdf.parent.iterdir()) == ["test-print.pdf", "test.pdf"]
    assert all(path.read_bytes().startswith(b"%PDF-") and path.read_bytes() != content
               for path, content in old.items())


@pytest.mark.skipif(not Path("/proc/self/task").is_dir(), reason="needs Linux /proc")
def test_a_layout_process_killed_by_a_signal_fails_the_run(project):
    old = old_pdfs(project)
    process, children = start_build_and_wait_for_layout(project)
    signal_a_child(process, children[:1], signal.SIGKILL)
    out, err = process.communicate(timeout=120)
    assert process.returncode == 1, out + err
    # Named by its output (and, laid out by units, its unit: the first title it holds).
    assert re.search(r"(屏幕版|印刷版)(（.+）)?的进程被信号 9（SIGKILL）终止", err), err
    assert "未写入任何文件" in err
    assert "已写入" not in out
    assert_unchanged(old)


# 4. lint --fix never writes a file the user could not write, and leaves no litter.

def fixable_articles(project: Project) -> dict[Path, bytes]:
    files = {project.write("articles/b.md", PASTED): b"",
             project.write("articles/c.md", "---\nauthors: [赵六]\n---\n\n感悟,就是这样.\n"): b""}
    return {path: path.read_bytes() for path in files}


def assert_articles_unchanged(project: Project, old: dict[Path, bytes]) -> None:
    assert {path: path.read_bytes() for path in old} == old
    assert sorted(path.name for path in (project.issue / "articles").iterdir()) == \
        ["a.md", "b.md", "c.md"]


def test_lint_fix_leaves_a_read_only_article_and_every_other_one(project, capsys):
    old = fixable_articles(project)
    read_only = project.issue / "articles" / "c.md"
    read_only.chmod(0o444)  # as root too: a file nobody may write was made read-only on purpose
    try:
        assert main(["lint", "--fix", str(project.issue)]) == 2
        assert "issues/test/articles/c.md：文件是只读的，未写入任何文件" in capsys.readouterr().err
        assert_articles_unchanged(project, old)
        assert stat.S_IMODE(read_only.stat().st_mode) == 0o444
    finally:
        read_only.chmod(0o644)
    assert main(["lint", "--fix", str(project.issue)]) == 0  # writable again: both are fixed
    assert all(path.read_bytes() != content for path, content in old.items())


def test_lint_fix_leaves_an_immutable_article(project, capsys):
    old = fixable_articles(project)
    immutable = project.issue / "articles" / "b.md"
    if subprocess.run(["chattr", "+i", str(immutable)], capture_output=True).returncode:
        pytest.skip("chattr +i needs CAP_LINUX_IMMUTABLE")
    try:
        assert main(["lint", "--fix", str(project.issue)]) == 2
        assert "articles/b.md：文件是只读的，未写入任何文件" in capsys.readouterr().err
        assert_articles_unchanged(project, old)
    finally:
        subprocess.run(["chattr", "-i", str(immutable)], check=True)


def test_lint_fix_on_a_full_disk_writes_nothing_and_leaves_no_temporary_file(project):
    """The write fails half-way (here: files may not exceed 8 bytes): every article stays whole."""
    old = fixable_articles(project)

    def small_files() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # fail the write instead of killing
        resource.setrlimit(resource.RLIMIT_FSIZE, (8, 8))

    code, output = run_cli(project, "lint", "--fix", str(project.issue), preexec_fn=small_files)
    assert code == 2, output
    assert "文件超出系统允许的大小，无法写入" in output and "Traceback" not in output
    assert_articles_unchanged(project, old)


def test_lint_fix_on_an_article_changed_after_the_check_says_run_again(project, capsys,
                                                                      monkeypatch):
    old = fixable_articles(project)
    edited = project.issue / "articles" / "c.md"
    read = lint.lint_file

    def read_then_edited(path: Path, rules):  # the editor saves while lint runs
        result = read(path, rules)
        if path == edited:
            edited.write_text(old[edited].decode() + "\n编辑同时在改。\n", encoding="utf-8")
        return result

    monkeypatch.setattr(lint, "lint_file", read_then_edited)
    assert main(["lint", "--fix", str(project.issue)]) == 2
    assert ("issues/test/articles/c.md：检查后文件又被改动过，未写入任何文件：请重新运行 lint --fix"
            in capsys.readouterr().err)
    assert edited.read_text(encoding="utf-8").endswith("编辑同时在改。\n")
    b = project.issue / "articles" / "b.md"
    assert b.read_bytes() == old[b]  # all or none: the unchanged one is not fixed either


# 5. A stamp cut short means "rebuild", not an internal error.

def test_a_truncated_build_stamp_means_rebuild(project, capsys):
    assert project.build() == 0
    folder = project.root / ".cache" / "builds"
    stamps = sorted(folder.iterdir())  # the build's, and the no-op shortcut's (quick-…)
    (stamp,) = [path for path in stamps if not path.name.startswith("quick-")]
    assert json.loads(stamp.read_text(encoding="utf-8"))["path"].endswith("test.pdf")
    for each in stamps:
        each.write_bytes(each.read_bytes()[:20])
    capsys.readouterr()
    assert project.build() == 0
    assert "已写入" in capsys.readouterr().out
    assert sorted(folder.iterdir()) == stamps  # no temporary file
    assert json.loads(stamp.read_text(encoding="utf-8"))["path"].endswith("test.pdf")
    assert project.build() == 0
    assert "未改动，跳过" in capsys.readouterr().out  # whole again


# 6. User and environment problems: exit 2, a Chinese message, nothing written.

def test_output_path_that_is_a_folder(project, capsys, tmp_path):
    project.pdf.mkdir(parents=True)  # build/test.pdf is a folder
    assert project.build() == 2
    error = capsys.readouterr().err
    assert "build/test.pdf：输出路径是一个文件夹，不能写入 PDF：请移走或改名这个文件夹" in error
    assert list(project.pdf.parent.iterdir()) == [project.pdf] and not any(project.pdf.iterdir())
    folder = tmp_path / "out"
    folder.mkdir()
    assert project.build("-o", str(folder)) == 2
    assert f"{folder}：输出路径是一个文件夹，不能写入 PDF：请在 -o 后写出文件名" in capsys.readouterr().err
    assert not any(folder.iterdir())


def test_read_only_output_folder(project, capsys):
    old = old_pdfs(project)
    project.pdf.parent.chmod(0o555)
    try:
        assert project.build("--profile", "all") == 2
        assert "build：输出文件夹是只读的，无法写入" in capsys.readouterr().err
    finally:
        project.pdf.parent.chmod(0o755)
    assert_unchanged(old)


@contextlib.contextmanager
def tmpfs(folder: Path, size: str, *flags: str) -> Iterator[Path]:
    folder.mkdir()
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", ",".join((f"size={size}", *flags)),
                              "tmpfs", str(folder)], capture_output=True)
    if mounted.returncode:
        pytest.skip("cannot mount a tmpfs here (needs root and CAP_SYS_ADMIN)")
    try:
        yield folder
    finally:
        subprocess.run(["umount", str(folder)], check=True)


def test_full_disk(project, capsys, tmp_path):
    assert project.build() == 0  # font caches made: the disk fills while writing the PDF
    with tmpfs(tmp_path / "small", "96k") as small:
        old = {small / "简报.pdf": b"%PDF-1.7 an earlier build\n"}
        (small / "简报.pdf").write_bytes(old[small / "简报.pdf"])
        capsys.readouterr()
        assert project.build("-o", str(small / "简报.pdf")) == 2
        error = capsys.readouterr().err
        assert "磁盘已满，无法写入：请腾出空间后重新运行" in error and "内部错误" not in error
        assert_unchanged(old)


def test_output_file_too_large_for_the_system(project):
    """Where no tmpfs can be mounted: a file size limit refuses the write the same way."""
    assert project.build() == 0
    old = {project.pdf: project.pdf.read_bytes()}

    def small_files() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (64 * 1024, 64 * 1024))

    code, output = run_cli(project, "build", "-q", "--force", "--profile", "screen",
                           str(project.issue), preexec_fn=small_files)
    assert code == 2, output
    assert "文件超出系统允许的大小，无法写入" in output and "内部错误" not in output
    assert_unchanged(old)


def test_read_only_file_system(project, capsys, tmp_path):
    with tmpfs(tmp_path / "readonly", "1m") as folder:
        (folder / "简报.pdf").write_bytes(b"%PDF-1.7 an earlier build\n")
        subprocess.run(["mount", "-o", "remount,ro", str(folder)], check=True)
        assert project.build("-o", str(folder / "简报.pdf")) == 2
        assert f"{folder}：输出文件夹是只读的，无法写入" in capsys.readouterr().err
        assert (folder / "简报.pdf").read_bytes() == b"%PDF-1.7 an earlier build\n"


def rgb_profile(path: Path) -> Path:
    path.write_bytes(ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes())
    return path


def text_file(path: Path) -> None:
    path.write_text("不是特性文件\n", encoding="utf-8")


@pytest.mark.parametrize(("content", "message"), [
    (text_file, "不是 ICC 特性文件（缺少 ICC 文件头）"),
    (rgb_profile, "这是 RGB 特性文件，印刷需要 CMYK 输出特性文件"),
], ids=["not-icc", "rgb"])
def test_icc_profile_option_is_checked_before_layout(project, capsys, tmp_path, content, message):
    profile = tmp_path / "印刷厂.icc"
    content(profile)
    old = old_pdfs(project)
    started = time.perf_counter()
    assert project.build("--profile", "print", "--icc-profile", str(profile)) == 2
    assert time.perf_counter() - started < 5  # no layout was made
    assert f"{profile}：--icc-profile：{message}" in capsys.readouterr().err
    assert_unchanged(old)


def test_layout_icc_profile_is_checked_with_its_line(project, capsys):
    layout = project.root / "layouts" / "bulletin" / "layout.yaml"
    rgb_profile(layout.parent / "rgb.icc")
    text = layout.read_text(encoding="utf-8")
    layout.write_text(text.replace("      - /usr/share/color/icc/ghostscript/default_cmyk.icc",
                                   "      - rgb.icc"), encoding="utf-8")
    line = text.splitlines().index("    icc_profiles:") + 1
    assert project.build("--profile", "screen") == 2  # the layout is wrong for every output
    assert (f"layout.yaml:{line}：profiles.print.icc_profiles：rgb.icc：这是 RGB 特性文件"
            in capsys.readouterr().err)
    assert not project.pdf.exists()


def test_a_cmyk_v4_profile_lcms_reads_is_accepted():
    """Ghostscript's ps_cmyk.icc (ICC v4, which Pillow cannot re-serialise) passes the check;
    test_print_render builds with it."""
    ps_cmyk = Path("/usr/share/color/icc/ghostscript/ps_cmyk.icc")
    if not ps_cmyk.is_file():
        pytest.skip("libgs-common is not installed")
    assert ps_cmyk.read_bytes()[8] == 4
    assert output_profile_problem(ps_cmyk) is None


def test_lint_names_every_article_that_is_not_utf8(project, capsys):
    for name in ("b.md", "c.md"):
        (project.issue / "articles" / name).write_bytes(
            MINIMAL_ARTICLES[name].replace("，", ",").encode("gbk"))
    old = {path: path.read_bytes() for path in (project.issue / "articles").iterdir()}
    assert main(["lint", "--fix", str(project.issue)]) == 2
    error = capsys.readouterr().err
    assert "issues/test/articles/b.md：文件不是 UTF-8 编码，请另存为 UTF-8" in error
    assert "issues/test/articles/c.md：文件不是 UTF-8 编码" in error
    assert {path: path.read_bytes() for path in old} == old


# 7. All the problems of a run at once.

def test_every_problem_that_can_be_known_is_reported_in_one_run(project, capsys, tmp_path):
    """A missing article, a bad front matter, a missing glyph, a coarse photo, a too-wide table
    and a wrong ICC file: before, only the first two were reported, the rest a run later each."""
    photo = project.issue / "articles" / "small.jpg"
    Image.new("RGB", (440, 300), (90, 120, 160)).save(photo)
    table = "| " + " | ".join(f"列{index}" for index in range(80)) + " |\n|" + "---|" * 80 + "\n"
    project.write("issue.yaml", MINIMAL_MANIFEST + "      - articles/missing.md\n")
    project.write("articles/a.md", MINIMAL_ARTICLES["a.md"] + "\n私用区\ue000字。\n\n![小图](small.jpg)\n\n"
                  + table)
    project.write("articles/b.md", "---\ntitle: [1]\n---\n\n正文。\n")
    bad_icc = tmp_path / "bad.icc"
    bad_icc.write_text("x", encoding="utf-8")
    assert project.build("--profile", "all", "--icc-profile", str(bad_icc)) == 2
    error = capsys.readouterr().err
    for expected in ("issue.yaml:16：sections[1].articles[1]（第 2 个栏目的第 2 篇文章）："
                     "文章文件 “articles/missing.md” 不存在",
                     "articles/b.md:2：title：应为文字，而不是 列表 [1]",
                     "articles/a.md:15：第 4 列的字符 “\ue000”（U+E000）",
                     "图片 “articles/small.jpg”（440×300 像素）",
                     "articles/a.md:19：表格有 80 列，太宽",
                     "bad.icc：--icc-profile：不是 ICC 特性文件"):
        assert expected in error
    assert "缺少必填的键 “title”" not in error  # it is given, only wrong
    assert not project.pdf.parent.exists()


def test_the_output_folder_made_by_a_failed_build_is_removed(project, capsys):
    break_print_after_layout(project)
    assert project.build("--profile", "print") == 2
    assert not (project.root / "build").exists()
