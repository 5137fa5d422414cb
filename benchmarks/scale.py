"""Catalogs of 10,000 and 100,000 entries: first load, repeated query, peak memory.

Writes synthetic catalogs (half base models, half projects; benchmarks/synthetic.py) as JSON,
then runs `llmtrack --catalog FILE list --base X --format json` as a real process: once
with an empty cache (the first load compiles the file) and three times more (served from
the compiled cache). Reports wall seconds and peak resident memory of each.

    python benchmarks/scale.py                  # 10,000 and 100,000 entries
    python benchmarks/scale.py --sizes 2000
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from synthetic import synthetic_sections

SCRIPT = Path(sys.executable).parent / "llmtrack"
LLMTRACK = [str(SCRIPT)] if SCRIPT.exists() else [sys.executable, "-m", "llmtrack"]


def measured(argv: list[str], env: dict) -> tuple[float, float]:
    """Wall seconds and peak resident MiB of one run (each run in a fresh child)."""
    wrapper = (
        "import resource, subprocess, sys, time; start = time.perf_counter(); "
        "subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, check=True); "
        "print(time.perf_counter() - start, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)"
    )
    out = subprocess.run(
        [sys.executable, "-c", wrapper, *argv], env=env, capture_output=True, text=True, check=True
    ).stdout.split()
    return float(out[0]), int(out[1]) / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    args = parser.parse_args()
    print(f"{'entries':>9}{'file MB':>9}{'first load s':>14}{'MiB':>7}{'repeat s':>10}{'MiB':>7}")
    for size in args.sizes:
        with tempfile.TemporaryDirectory() as work:
            path = Path(work) / f"synthetic-{size}.json"
            path.write_text(json.dumps(synthetic_sections(size // 2)), encoding="utf-8")
            env = {
                **os.environ,
                "LLMTRACK_CACHE_DIR": str(Path(work) / "cache"),
                "LLMTRACK_MAX_FILE_SIZE": "2GB",
            }
            env.pop("PYTHONDONTWRITEBYTECODE", None)
            argv = [
                *LLMTRACK,
                "--catalog",
                str(path),
                "list",
                "--base",
                "orca-10",
                "--format",
                "json",
            ]
            first, first_mib = measured(argv, env)
            repeats = [measured(argv, env) for _ in range(3)]
            repeat = statistics.median(r[0] for r in repeats)
            repeat_mib = max(r[1] for r in repeats)
            megabytes = path.stat().st_size / 1e6
            print(
                f"{size:>9,}{megabytes:>9.0f}{first:>14.1f}{first_mib:>7.0f}{repeat:>10.2f}{repeat_mib:>7.0f}"
            )


if __name__ == "__main__":
    main()
