"""Time cold builds of an issue: wall seconds, peak RSS, pages and size.

Each run is a fresh `bulletin-pdf build` process (imports, fonts, layout,
PDF), as an editor or CI would run it. Usage:

    python bench/bench_build.py [issues/2025-001] [--runs 3] [--profile screen|print|all]

Without --profile the layout's default profiles are built (screen and print).
"""

from __future__ import annotations

import argparse
import os
import re
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TARGET_SECONDS = 5.0
TARGET_RSS_MB = 500.0


def cold_build(issue: Path, output: Path, profile: str | None) -> tuple[float, float]:
    """(wall seconds, peak RSS in MB) of one build in a new process."""
    command = [sys.executable, "-m", "bulletin_pdf", "build", "-q", str(issue), "-o", str(output),
               *(["--profile", profile] if profile else [])]
    # A fork per run keeps RUSAGE_CHILDREN's maximum to this run alone.
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(read)
        started = time.perf_counter()
        code = subprocess.run(command, stdout=subprocess.DEVNULL).returncode
        elapsed = time.perf_counter() - started
        peak_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
        os.write(write, f"{code} {elapsed} {peak_kb}".encode())
        os._exit(0)
    os.close(write)
    code, elapsed, peak_kb = os.read(read, 100).decode().split()
    os.waitpid(pid, 0)
    if int(code) != 0:
        sys.exit(f"build failed with exit code {code}")
    return float(elapsed), int(peak_kb) / 1024


def page_count(pdf: Path) -> int:
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
    return int(re.search(r"^Pages:\s+(\d+)", info, re.MULTILINE).group(1))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("issue", type=Path, nargs="?", default=Path("issues/2025-001"))
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--profile", choices=("screen", "print", "all"))
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        output = Path(folder) / "bench.pdf"
        runs = [cold_build(args.issue, output, args.profile) for _ in range(args.runs)]
        files = sorted(Path(folder).glob("*.pdf"))
        written = [(pdf.name, page_count(pdf), pdf.stat().st_size) for pdf in files]
    for index, (seconds, rss) in enumerate(runs, 1):
        print(f"run {index}: {seconds:.2f} s, peak RSS {rss:.0f} MB")
    seconds = statistics.median(run[0] for run in runs)
    rss = max(run[1] for run in runs)
    print(f"{args.issue} ({args.profile or 'default profiles'}): median {seconds:.2f} s "
          f"(target < {TARGET_SECONDS:.0f} s), peak RSS {rss:.0f} MB "
          f"(target < {TARGET_RSS_MB:.0f} MB)")
    for name, pages, size in written:
        print(f"  {name}: {pages} pages, {size / 1024:.0f} KB")
    return 0 if seconds < TARGET_SECONDS and rss < TARGET_RSS_MB else 1


if __name__ == "__main__":
    sys.exit(main())
