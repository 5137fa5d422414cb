"""The speed model against published measurements (tests/fixtures/speed_measurements.yaml)
and reported fine-tuning runs (tests/fixtures/training_runs.yaml).

    python benchmarks/speed.py          # errors per kind, engine and source; the naive rule
    python benchmarks/speed.py --fit    # the engine and stack constants that fit best

The constants in src/llmtrack/memory/engines.py and memory/stacks.py are what --fit prints:
for each engine, the share of bandwidth, the fixed time per layer and the share of tensor
throughput that make the median row's error smallest (a grid search; the rows of Apple's
unified memory apart); for each training stack, its time per layer per micro-batch and its
utilisation by mode.
"""

from __future__ import annotations

import argparse
import statistics
import sys
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests import speed_fixture as sf
from tests import training_runs as tr

from llmtrack.api import load_catalog
from llmtrack.memory.engines import ENGINES, UNIFIED
from llmtrack.memory.stacks import STACKS, Stack


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


def report_runs(catalog) -> None:
    runs = tr.checked(catalog)
    print(f"\nreported runs: {len(runs)} scored, median |error| {tr.median_abs_error(runs):.1%}")
    for r in runs:
        print(
            f"  {r.row['id'][:52]:52} {r.row.get('stack') or '(default)'!s:13} reported "
            f"{r.row['hours']:7.2f} h predicted {r.predicted_hours:7.2f} h ({r.error:+.0%})"
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
    runs = tr.checked(catalog)
    print(
        f"\nReported fine-tuning runs (`tests/fixtures/training_runs.yaml`): {len(runs)} with a "
        f"token count and a known card, median error {tr.median_abs_error(runs):.0%}; "
        "`stack` is the software llmtrack models the run with ((default): no profile for it).\n"
    )
    print("| run | stack | GPUs | reported | llmtrack | error |")
    print("|---|---|---|---|---|---|")
    for r in runs:
        row = r.row
        card = f"{row['gpus']} x {row['gpu']}" if row.get("gpu") else row["gpu_name"]
        print(
            f"| [{row['id']}]({row['hours_source']}) | {row.get('stack') or '(default)'} | "
            f"{card} | {row['hours']:g} h | "
            f"{r.predicted_hours:.2f} h | {r.error:+.0%} |"
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


def fit_stacks(catalog) -> None:
    """Per stack: one time per layer per micro-batch, and per mode the utilisation that
    minimises the median error over its throughput rows and reported runs."""
    throughput = [r for r in sf.checked(catalog, "train")]
    runs = [r for r in tr.load_runs() if tr.scored(r) and r.get("stack")]
    for name, stack in STACKS.items():
        best = None
        for overhead in (0, 500, 1000, 1500, 2000, 2500, 3000, 4000, 5000):
            modes, errors = [], []
            for mode, default, _ in stack.modes:
                mine_t = [
                    c.row
                    for c in throughput
                    if sf.stack_of(c.row).name == name and (c.row.get("mode") or "full") == mode
                ]
                mine_r = [
                    r
                    for r in runs
                    if r["stack"] == name and tr.MODE.get(r["mode"], r["mode"]) == mode
                ]
                if not mine_t and not mine_r:
                    modes.append((mode, default, overhead))
                    continue
                chosen = None
                for share in [x / 100 for x in range(10, 100)]:
                    trial = Stack(
                        name,
                        stack.description,
                        (("full", share, overhead), (mode, share, overhead)),
                    )
                    errs = [abs(sf.check(r, catalog, stack=trial).error) for r in mine_t]
                    errs += [abs(tr.predict(r, catalog, trial).error) for r in mine_r]
                    if chosen is None or statistics.median(errs) < chosen[0]:
                        chosen = (statistics.median(errs), share, errs)
                modes.append((mode, chosen[1], overhead))
                errors += chosen[2]
            if errors and (best is None or statistics.median(errors) < best[0]):
                best = (statistics.median(errors), overhead, modes, len(errors))
        if best:
            shares = ", ".join(f"{m} {s:.2f}" for m, s, _ in best[2])
            print(
                f"stack {name:12} rows {best[3]:4}  {best[1]:5} us per layer per micro-batch  "
                f"{shares}  median |error| {best[0]:.1%}"
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fit", action="store_true", help="fit the engine and stack constants")
    parser.add_argument("--markdown", action="store_true", help="the docs' summary tables")
    args = parser.parse_args()
    catalog = load_catalog()
    if args.fit:
        fit(catalog)
        fit_stacks(catalog)
    elif args.markdown:
        markdown(catalog)
    else:
        report(catalog)
        report_runs(catalog)


if __name__ == "__main__":
    main()
