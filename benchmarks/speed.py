"""The speed model against published measurements (tests/fixtures/speed_measurements.yaml).

    python benchmarks/speed.py          # errors per kind, engine and source; the naive rule
    python benchmarks/speed.py --fit    # the engine constants that fit the fixture best

The constants in src/llmtrack/memory/engines.py are what --fit prints: for each engine, the
share of bandwidth, the fixed time per layer and the share of tensor throughput that make
the median row's error smallest (a grid search; the rows of Apple's unified memory apart).
"""

from __future__ import annotations

import argparse
import statistics
import sys
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests import speed_fixture as sf

from llmtrack.api import load_catalog
from llmtrack.memory.engines import ENGINES, UNIFIED


def report(catalog) -> None:
    for kind in ("decode", "prefill", "train"):
        rows = sf.checked(catalog, kind)
        if not rows:
            continue
        print(f"\n{kind}: {len(rows)} rows, median |error| {sf.median_abs_error(rows):.1%}")
        naive = [abs(r.naive_error) for r in rows if r.naive_error is not None]
        if naive:
            print(
                f"  naive rule (bandwidth / weights): median |error| {statistics.median(naive):.1%}"
            )
        for label, key in (("engine", "engine"), ("source", "source")):
            groups: dict[str, list] = {}
            for r in rows:
                groups.setdefault(str(r.row.get(key)), []).append(r)
            for name, group in sorted(groups.items(), key=lambda g: -len(g[1])):
                print(
                    f"  {label} {name[:70]:70} {len(group):4} rows  {sf.median_abs_error(group):6.1%}"
                )
        worst = sorted(rows, key=lambda r: -abs(r.error))[:8]
        print("  worst:")
        for r in worst:
            print(
                f"    {r.row['id'][:60]:60} measured {r.measured:9.1f} predicted {r.predicted:9.1f} ({r.error:+.0%})"
            )


def markdown(catalog) -> None:
    """The tables the docs show (docs/estimator.md, through cog)."""
    print("| rows | kind | median error, llmtrack | median error, naive rule |")
    print("|---|---|---|---|")
    for kind in ("decode", "prefill", "train"):
        rows = sf.checked(catalog, kind)
        naive = [abs(r.naive_error) for r in rows if r.naive_error is not None]
        shown = f"{statistics.median(naive):.0%}" if naive else "-"
        print(f"| {len(rows)} | {kind} | {sf.median_abs_error(rows):.1%} | {shown} |")
    print("\n| kind | source | rows | median error | naive rule |")
    print("|---|---|---|---|---|")
    for kind in ("decode", "prefill", "train"):
        groups: dict[str, list] = {}
        for r in sf.checked(catalog, kind):
            groups.setdefault(r.row["source"], []).append(r)
        for source, group in sorted(groups.items(), key=lambda g: -len(g[1])):
            naive = [abs(r.naive_error) for r in group if r.naive_error is not None]
            shown = f"{statistics.median(naive):.0%}" if naive else "-"
            label = source.split("/blob/")[0].removeprefix("https://github.com/")
            print(
                f"| {kind} | [{label}]({source}) | {len(group)} | {sf.median_abs_error(group):.0%} | {shown} |"
            )
    print("\nThe worst rows, and what is known of why:\n")
    print("| row | measured | llmtrack | error |")
    print("|---|---|---|---|")
    for kind in ("decode", "prefill", "train"):
        worst = sorted(sf.checked(catalog, kind), key=lambda r: -abs(r.error))[:4]
        for r in worst:
            print(f"| {r.row['id']} | {r.measured:,.1f} | {r.predicted:,.1f} | {r.error:+.0%} |")


def fit(catalog) -> None:
    rows = [r for r in sf.load_rows() if sf.usable(r, catalog) and "tokens_per_s" in r]
    for name, engine in [*ENGINES.items(), *((f"{k} (unified)", v) for k, v in UNIFIED.items())]:
        unified = name.endswith("(unified)")
        mine = [
            r
            for r in rows
            if r["engine"].lower() == engine.name
            and (catalog.get(r["gpu"]).memory_kind == "unified") == unified
        ]
        decode = [r for r in mine if r["kind"] == "decode"]
        prefill = [r for r in mine if r["kind"] == "prefill"]
        best = None
        for share in [x / 100 for x in range(20, 101, 2)]:
            for overhead in (0, 10, 25, 50, 75, 100, 150, 200, 300, 500, 750, 1000, 1500, 2000):
                trial = replace(engine, decode_bandwidth=share, layer_overhead_us=overhead)
                if not decode:
                    break
                error = statistics.median(abs(sf.check(r, catalog, trial).error) for r in decode)
                if best is None or error < best[0]:
                    best = (error, share, overhead)
        shares = []  # 16-bit weights, then quantized where the engine has its own kernels
        unit = replace(engine, prefill_compute=1.0, prefill_compute_quantized=None)
        for quantized in (False, True) if engine.prefill_compute_quantized else (None,):
            ratios = [
                float(r["tokens_per_s"]) / sf.check(r, catalog, unit).predicted
                for r in prefill
                if quantized is None or sf.quantized(r) == quantized
            ]
            if ratios:
                shares.append(f"{statistics.median(ratios):.2f} ({len(ratios)})")
        print(
            f"{name:24} decode rows {len(decode):4}"
            + (
                f"  share {best[1]:.2f} overhead {best[2]:5} us  median |error| {best[0]:.1%}"
                if best
                else ""
            )
            + (f"  prefill compute share {' / '.join(shares)}" if shares else "")
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fit", action="store_true", help="fit the engine constants")
    parser.add_argument("--markdown", action="store_true", help="the docs' summary tables")
    args = parser.parse_args()
    catalog = load_catalog()
    if args.fit:
        fit(catalog)
    elif args.markdown:
        markdown(catalog)
    else:
        report(catalog)


if __name__ == "__main__":
    main()
