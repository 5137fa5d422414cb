"""Start-up cost of each llmtrack command against a hello-world typer app, in one run.

Every command runs as a real process with stdout piped (as in a script), interleaved
with the baseline so that both see the same machine load. Prints the median wall time
of each and the ratio.

    python benchmarks/bench.py            # 15 runs of each
    python benchmarks/bench.py --runs 40
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
BASELINE = [sys.executable, str(HERE / "hello_typer.py")]
COMMANDS = {
    "list --base LLaMA-7B": ["list", "--base", "LLaMA-7B"],
    "list --format json": ["list", "--format", "json"],
    "bases": ["bases"],
    "refs": ["refs"],
    "gpus --format json": ["gpus", "--format", "json"],
    "show vicuna": ["show", "vicuna"],
}


def timed(argv: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(argv, capture_output=True, check=True)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()

    llmtrack = [sys.executable, "-m", "llmtrack"]
    timed([*llmtrack, "bases"])  # warm the compiled-catalog cache and the OS file cache
    timed(BASELINE)
    print(
        f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs, {args.runs} runs each, "
        "stdout piped; medians in ms"
    )
    print(f"{'command':<24}{'llmtrack':>10}{'baseline':>10}{'ratio':>8}")
    for label, command in COMMANDS.items():
        ours, base = [], []
        for _ in range(args.runs):
            ours.append(timed([*llmtrack, *command]))
            base.append(timed(BASELINE))
        mine, theirs = statistics.median(ours), statistics.median(base)
        print(f"{label:<24}{mine * 1000:>10.0f}{theirs * 1000:>10.0f}{mine / theirs:>8.2f}")


if __name__ == "__main__":
    main()
