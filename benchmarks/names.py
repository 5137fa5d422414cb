"""How fast names resolve in a catalog of 100,000 entries (and the bundled one).

python benchmarks/names.py            # 50,000 base models + 50,000 projects
python benchmarks/names.py --n 5000
"""

from __future__ import annotations

import argparse
import contextlib
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))


def timed(action, repeat: int = 5) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        action()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    from synthetic import synthetic_catalog

    from llmtrack.errors import NotFoundError
    from llmtrack.match import NameIndex

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=50_000, help="base models and projects each")
    args = parser.parse_args()
    catalog = synthetic_catalog(args.n)
    print(f"{len(catalog):,} entries")
    # worked out once, when the catalog is compiled, and stored with it
    build = timed(lambda: NameIndex.build_full(catalog), repeat=3)
    index = NameIndex.build(catalog)
    print(f"{'build the index (at compile time)':<34}{build * 1000:>9.0f} ms")

    def attempt(name):
        with contextlib.suppress(NotFoundError):  # an unknown name is a result too
            index.resolve(name)

    probe = catalog.base_models[-args.n // 2]  # a synthetic model deep in the catalog
    for label, name in [
        ("exact id", probe.id),
        ("alias with other separators", probe.aliases[0].upper()),
        ("project variant", "vicuna 13b"),
        ("typo (rapidfuzz over every name)", probe.id[:-1] + "x"),
        ("unknown name (suggestions)", "qwertyuiop"),
    ]:
        print(f"{label:<34}{timed(lambda n=name: attempt(n)) * 1000:>9.1f} ms")


if __name__ == "__main__":
    main()
