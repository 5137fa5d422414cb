"""Start-up cost of each llmtrack command against typer's hello world, in one run.

Every command runs as a real process, interleaved with the baseline so that both see the
same machine load: piped (TSV or JSON) for the read commands, and on a pseudo-terminal for
`list` as a rich table. Prints the median wall time and the median CPU time (user + system,
steadier on a busy machine) of each, and the ratios to the baseline; then the ratio of the
fastest runs ("best"), the figure least disturbed by whatever else the machine was doing. The last row is the
first command after installing (an empty cache folder) against a warm run of the same
command, not against typer.

    python benchmarks/bench.py            # 15 runs of each
    python benchmarks/bench.py --runs 40
    python benchmarks/bench.py --compare /path/to/older/checkout/src   # and an older llmtrack

With --compare, the same commands also run from another source tree (its own cache folder)
in the same loop, and a last column gives its CPU ratio to the baseline: a regression check
that does not depend on how busy the machine was on another day.
"""

from __future__ import annotations

import argparse
import os
import pty
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
BASELINE = [sys.executable, str(HERE / "hello_typer.py")]
# the console script pip installs beside this Python, as users run it
SCRIPT = Path(sys.executable).parent / "llmtrack"
LLMTRACK = [str(SCRIPT)] if SCRIPT.exists() else [sys.executable, "-m", "llmtrack"]
# Python as a user runs it: free to cache compiled bytecode (this machine's environment sets
# PYTHONDONTWRITEBYTECODE, which would recompile every module of every run, ours and typer's)
ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}

PIPED = {
    "list --base LLaMA-7B": ["list", "--base", "LLaMA-7B"],
    "list --format json": ["list", "--format", "json"],
    "bases": ["bases"],
    "refs": ["refs"],
    "stages": ["stages"],
    "techniques --format json": ["techniques", "--format", "json"],
    "gpus --format json": ["gpus", "--format", "json"],
    "show vicuna --format json": ["show", "vicuna", "--format", "json"],
    "search chinese": ["search", "chinese"],
    "sources": ["sources"],
    "fits --vram 24GB --format json": ["fits", "--vram", "24GB", "--format", "json"],
    "estimate llama-7b --format json": ["estimate", "llama-7b", "--format", "json"],
    # speed needs a card with a bandwidth: the decode column of fits, the speed of estimate
    'fits --gpu "RTX 4090"': ["fits", "--gpu", "RTX 4090"],
    'estimate --gpu "RTX 4090"': [
        *("estimate", "llama-3-8b", "--precision", "q4_k_m", "--gpu", "RTX 4090"),
        *("--format", "json"),
    ],
    "timeline": ["timeline"],
}
# The first command after installing: an empty cache folder, as on a fresh machine.
FIRST_RUN = {"first run: bases (empty cache)": ["bases"]}
TERMINAL = {"list (table on a terminal)": ["list"]}


def run(argv: list[str], terminal: bool, env: dict | None = None) -> tuple[float, float]:
    """Wall and CPU seconds of one run of ``argv``."""
    env = env or ENV
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    if terminal:
        leader, follower = pty.openpty()
        env = {**env, "COLUMNS": "120", "TERM": "xterm"}
        process = subprocess.Popen(argv, stdout=follower, stderr=subprocess.DEVNULL, env=env)
        os.close(follower)
        while True:
            try:
                if not os.read(leader, 65536):
                    break
            except OSError:
                break
        process.wait()
        os.close(leader)
    else:
        subprocess.run(argv, capture_output=True, check=True, env=env)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--only", default="", help="only the commands whose label has this text")
    parser.add_argument("--compare", default=None, help="another llmtrack source tree (its src/)")
    args = parser.parse_args()
    other = None
    if args.compare:
        other_cache = tempfile.mkdtemp(prefix="llmtrack-bench-")
        other_env = {**ENV, "PYTHONPATH": args.compare, "LLMTRACK_CACHE_DIR": other_cache}
        entry = "import sys; sys.argv[0] = 'llmtrack'; from llmtrack.cli import main; main()"
        other = ([sys.executable, "-c", entry], other_env)
        run([*other[0], "bases"], terminal=False, env=other_env)

    for warm in ([*LLMTRACK, "bases"], BASELINE):  # compile bytecode, fill the catalog cache
        run(warm, terminal=False)
    print(
        f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs, {args.runs} runs each; "
        "medians in ms"
    )
    header = f"{'command':<30}{'wall':>7}{'base':>7}{'ratio':>7}{'cpu':>9}{'base':>7}{'ratio':>7}"
    header += f"{'best':>7}"
    print(header + (f"{'other':>8}" if other else ""))
    for table, commands in ((False, PIPED), (True, TERMINAL), (False, FIRST_RUN)):
        for label, command in commands.items():
            if args.only not in label:
                continue
            ours, base, theirs = [], [], []
            for _ in range(args.runs):
                if other and commands is not FIRST_RUN:
                    theirs.append(run(other[0] + command, table, other[1]))
                if commands is FIRST_RUN:  # against a warm run of the same command
                    with tempfile.TemporaryDirectory() as empty:
                        fresh = {**ENV, "LLMTRACK_CACHE_DIR": empty}
                        ours.append(run(LLMTRACK + command, table, fresh))
                    base.append(run(LLMTRACK + command, table))
                    continue
                ours.append(run(LLMTRACK + command, table))
                base.append(run(BASELINE, table))
            wall, base_wall = (statistics.median(t[0] for t in x) for x in (ours, base))
            cpu, base_cpu = (statistics.median(t[1] for t in x) for x in (ours, base))
            line = (
                f"{label:<30}{wall * 1000:>7.0f}{base_wall * 1000:>7.0f}{wall / base_wall:>7.2f}"
                f"{cpu * 1000:>9.0f}{base_cpu * 1000:>7.0f}{cpu / base_cpu:>7.2f}"
                f"{min(t[0] for t in ours) / min(t[0] for t in base):>7.2f}"
            )
            if theirs:
                line += f"{statistics.median(t[1] for t in theirs) / base_cpu:>8.2f}"
            print(line)


if __name__ == "__main__":
    main()
