"""Time cold builds of an issue: wall seconds, peak RSS, pages and size.

Each run is a fresh `bulletin-pdf build` process (imports, fonts, layout,
PDF), as an editor or CI would run it. Usage:

    python bench/bench_build.py [issues/2025-001] [--runs 3] [--profile screen|print|all]

Without --profile the layout's default profiles are built (screen and print).
"""

from __future__ import annotations

import argparse
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
SAMPLE_SECONDS = 0.05  # memory sampling interval


def cold_build(issue: Path, output: Path, profile: str | None) -> tuple[float, float, float]:
    """(wall seconds, peak RSS of the largest process, peak total RSS of all of them) in MB.

    A build may fork (screen and print on two cores), so the total is sampled
    every 10 ms over the whole process tree as proportional set size (PSS):
    pages the forked processes share are counted once, not once per process.
    """
    command = [sys.executable, "-m", "bulletin_pdf", "build", "-q", "--force", str(issue), "-o", str(output),
               *(["--profile", profile] if profile else [])]
    started = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL)
    peak_total = 0.0
    while process.poll() is None:
        peak_total = max(peak_total, tree_pss_mb(process.pid))
        time.sleep(SAMPLE_SECONDS)
    elapsed = time.perf_counter() - started
    if process.returncode != 0:
        sys.exit(f"build failed with exit code {process.returncode}")
    # ru_maxrss of waited-for children includes their own waited-for children.
    peak_single = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return elapsed, peak_single, peak_total


def tree_pss_mb(root: int) -> float:
    """Memory of `root` and all its descendants (PSS, from /proc/<pid>/smaps_rollup).

    Descendants are found through /proc/<pid>/task/<tid>/children, not by reading every
    process on the machine: sampling must cost the measured build as little as it can.
    """
    total, pending = 0, [root]
    while pending:
        pid = pending.pop()
        try:
            status = Path(f"/proc/{pid}/smaps_rollup").read_text()
            for task in Path(f"/proc/{pid}/task").iterdir():
                pending += [int(child) for child in (task / "children").read_text().split()]
        except OSError:  # ended meanwhile
            continue
        match = re.search(r"^Pss:\s+(\d+) kB", status, re.MULTILINE)
        total += int(match.group(1)) if match else 0
    return total / 1024


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
    for index, (seconds, single, total) in enumerate(runs, 1):
        print(f"run {index}: {seconds:.2f} s, peak RSS {single:.0f} MB (largest process), "
              f"{total:.0f} MB all processes (PSS)")
    seconds = statistics.median(run[0] for run in runs)
    total = max(run[2] for run in runs)
    print(f"{args.issue} ({args.profile or 'default profiles'}): median {seconds:.2f} s "
          f"(target < {TARGET_SECONDS:.0f} s), peak memory {total:.0f} MB all processes "
          f"(target < {TARGET_RSS_MB:.0f} MB)")
    for name, pages, size in written:
        print(f"  {name}: {pages} pages, {size / 1024:.0f} KB")
    return 0 if seconds < TARGET_SECONDS and total < TARGET_RSS_MB else 1


if __name__ == "__main__":
    sys.exit(main())
