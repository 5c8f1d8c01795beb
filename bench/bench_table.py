"""The speed table of issue 12: every measure in one run, medians of several.

    python bench/bench_table.py [issues/2025-001] [--runs 3]

Works on a copy of the project in a temporary folder (the issue, layouts/, fonts/), so the
repository's build/ and .cache/ are left alone. Measures, each a fresh process as an editor
or CI runs it:
  cold screen build           build --force --profile screen (--force: no cache read)
  cold build, both profiles   build --force
  no-op build                 build again, nothing changed
  one-sentence edit           a sentence of one article changed, then build --profile screen
  watch: save → new PDF       `watch` running; from the save to the new PDF on disk
  4× the sample, screen       an issue holding every article four times, build --force
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import yaml
from bench_build import SAMPLE_SECONDS, tree_pss_mb

ROOT = Path(__file__).resolve().parent.parent
WATCH_TIMEOUT = 300


def run(command: list[str], cwd: Path, sampled: bool) -> tuple[float, float]:
    """(wall seconds, peak PSS of the process tree in MB, when `sampled`) of one
    bulletin-pdf command. Sampling reads every process's smaps (about 20 ms for each
    300 MB process, several per sample with layout units), so timed runs do not sample."""
    started = time.perf_counter()
    process = subprocess.Popen([sys.executable, "-m", "bulletin_pdf", *command], cwd=cwd,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=_environment())
    peak = 0.0
    while process.poll() is None:
        if sampled:
            peak = max(peak, tree_pss_mb(process.pid))
        time.sleep(SAMPLE_SECONDS)
    if process.returncode != 0:
        sys.exit(f"bulletin-pdf {' '.join(command)} failed with exit code {process.returncode}")
    return time.perf_counter() - started, peak


def _environment() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(ROOT / "src")}


def project_copy(issue: Path, folder: Path) -> Path:
    """The issue, layouts/ and fonts/ in `folder`; the issue folder's path there."""
    for name in ("layouts", "fonts"):
        shutil.copytree(ROOT / name, folder / name)
    copied = folder / "issues" / issue.name
    shutil.copytree(issue, copied)
    if (ROOT / "node_modules").exists():
        (folder / "node_modules").symlink_to(ROOT / "node_modules")
    return copied


def an_article(issue: Path) -> Path:
    manifest = yaml.safe_load((issue / "issue.yaml").read_text(encoding="utf-8"))
    first = next(section for section in manifest["sections"] if section.get("articles"))
    return issue / first["articles"][0]


def edit_a_sentence(article: Path, number: int) -> None:
    """Change one sentence of the article's body (the first 。 gets a new clause before it)."""
    text = article.read_text(encoding="utf-8")
    head, body = text.split("\n---\n", 1)
    body = re.sub(r"(。)", rf"，第{number}次修改\1", body, count=1)
    article.write_text(f"{head}\n---\n{body}", encoding="utf-8")


def four_times(issue: Path) -> Path:
    """An issue beside `issue` listing every article four times (as copies of its files)."""
    target = issue.parent / f"{issue.name}-x4"
    shutil.copytree(issue, target)
    manifest = yaml.safe_load((target / "issue.yaml").read_text(encoding="utf-8"))
    for section in manifest["sections"]:
        listed = []
        for copy in range(4):
            for name in section.get("articles") or []:
                source = target / name
                copied = source.with_name(f"{source.stem}-{copy}{source.suffix}")
                shutil.copy(source, copied)
                listed.append(copied.relative_to(target).as_posix())
        if listed:
            section["articles"] = listed
        if section.get("photos"):
            section["photos"] = section["photos"] * 4
    (target / "issue.yaml").write_text(yaml.safe_dump(manifest, allow_unicode=True, sort_keys=False),
                                       encoding="utf-8")
    return target


def watch_latency(issue: Path, cwd: Path, runs: int) -> list[float]:
    """Seconds from a saved edit to the new PDF on disk, `watch` running."""
    pdf = cwd / "build" / f"{issue.name}.pdf"
    command = [sys.executable, "-m", "bulletin_pdf", "watch", str(issue), "--port", "0", "-q"]
    process = subprocess.Popen(command, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
                               env=_environment())
    try:
        assert process.stdout is not None
        process.stdout.readline()  # the preview's address
        process.stdout.readline()  # the first PDF written
        latencies = []
        for number in range(runs):
            before = pdf.stat().st_mtime_ns
            saved = time.perf_counter()
            edit_a_sentence(an_article(issue), 100 + number)
            while pdf.stat().st_mtime_ns == before:
                if time.perf_counter() - saved > WATCH_TIMEOUT:
                    sys.exit("watch wrote no new PDF")
                time.sleep(0.01)
            latencies.append(time.perf_counter() - saved)
            process.stdout.readline()  # its report of that build
        return latencies
    finally:
        process.send_signal(signal.SIGINT)
        process.wait(timeout=60)


def median_of(runs: int, measure: Callable[[int, bool], tuple[float, float]]
              ) -> tuple[float, float]:
    """The median time of `runs` unsampled runs; the peak memory of one more, sampled."""
    seconds = [measure(number, False)[0] for number in range(runs)]
    return statistics.median(seconds), measure(runs, True)[1]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("issue", type=Path, nargs="?", default=ROOT / "issues" / "2025-001")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    rows: list[tuple[str, float, float | None]] = []
    with tempfile.TemporaryDirectory(prefix="bulletin-bench-") as folder:
        cwd = Path(folder)
        issue = project_copy(args.issue.resolve(), cwd)
        screen = ["build", "-q", str(issue), "--profile", "screen"]
        rows.append(("cold screen build",
                     *median_of(args.runs, lambda _, sampled: run([*screen, "--force"], cwd, sampled))))
        rows.append(("cold build, both profiles", *median_of(args.runs, lambda _, sampled: run(
            ["build", "-q", "--force", str(issue)], cwd, sampled))))
        rows.append(("no-op build", *median_of(args.runs, lambda _, sampled: run(
            ["build", "-q", str(issue)], cwd, sampled))))

        def edited(number: int, sampled: bool) -> tuple[float, float]:
            edit_a_sentence(an_article(issue), number)
            return run(screen, cwd, sampled)

        rows.append(("one-sentence edit, CLI build", *median_of(args.runs, edited)))
        latencies = watch_latency(issue, cwd, args.runs)
        rows.append(("watch: save → new PDF", statistics.median(latencies), None))
        larger = four_times(issue)
        rows.append(("4× the sample, screen", *median_of(args.runs, lambda _, sampled: run(
            ["build", "-q", "--force", str(larger), "--profile", "screen"], cwd, sampled))))
    print(f"{args.issue.name}, medians of {args.runs} runs on {os.cpu_count()} cores")
    print("| measure | seconds | peak MB (all processes) |\n|---|---|---|")
    for name, seconds, peak in rows:
        print(f"| {name} | {seconds:.2f} | {'' if peak is None else f'{peak:.0f}'} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
