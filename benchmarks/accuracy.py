"""The estimator against published measurements, beside two rules of thumb.

Prints the Markdown tables the README shows: every numeric row of
tests/fixtures/memory_measurements.yaml with llmtrack's estimate, Accelerate's
estimate-memory figure (the model size in the dtype; 4x that to train with Adam) and the
"weights x 1.2" rule, each with its error; the medians per source; every fits/OOM statement
with the verdict; and the rows of a stack the estimator does not model yet.

    python benchmarks/accuracy.py
    python benchmarks/accuracy.py --fit   # the CUDA context and allocator-cache shares
"""

from __future__ import annotations

import statistics
import sys
from pathlib import Path

# the fixture and its checks live with the tests; run from anywhere
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def setting(row: dict) -> str:
    parts = [row["mode"], row["precision"]]
    for key, label in (("seq_len", "seq"), ("batch", "batch"), ("gpus", "GPUs")):
        if row.get(key) not in (None, 1) or (key == "seq_len" and row.get(key)):
            parts.append(f"{label} {row[key]}")
    return ", ".join(str(p) for p in parts)


HEADER = "| row | setting | compared | measured GiB | llmtrack | error | Accelerate | error | x1.2 | error |"


def main() -> None:
    from tests.memory_fixture import (
        accelerate_gib,
        check,
        load_rows,
        rule_of_thumb_gib,
    )

    from llmtrack.catalog.load import load_catalog

    catalog = load_catalog()
    checked = [check(catalog, row) for row in load_rows()]
    numeric = [c for c in checked if c.measured_gib is not None]
    print(
        "| row | setting | compared | measured GiB | llmtrack | error | Accelerate | error | x1.2 | error |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|")
    errors = {"llmtrack": [], "accelerate": [], "rule": []}
    for c in numeric:
        acc, rule = accelerate_gib(catalog, c.row), rule_of_thumb_gib(catalog, c.row)
        acc_err, rule_err = acc / c.measured_gib - 1, rule / c.measured_gib - 1
        errors["llmtrack"].append(abs(c.error))
        errors["accelerate"].append(abs(acc_err))
        errors["rule"].append(abs(rule_err))
        print(
            f"| [{c.row['id']}]({c.row['source']}) | {setting(c.row)} | {c.row.get('compare', 'peak')} | "
            f"{c.measured_gib:.2f} | {c.estimated_gib:.2f} | {c.error:+.0%} | {acc:.2f} | {acc_err:+.0%} | "
            f"{rule:.2f} | {rule_err:+.0%} |"
        )
    for kind in ("inference", "training"):
        subset = [c for c in numeric if c.training == (kind == "training")]
        print(
            f"\n{kind}: {len(subset)} rows, median absolute error "
            f"{statistics.median(abs(c.error) for c in subset):.1%}"
        )
    print(
        "all numeric rows, median absolute error: "
        + ", ".join(f"{name} {statistics.median(v):.1%}" for name, v in errors.items())
    )

    print("\n| measure (--measure) | kind | rows | llmtrack |")
    print("|---|---|---|---|")
    by_measure: dict[tuple[str, str], list] = {}
    for c in numeric:
        if c.row.get("compare") in ("weights", "loaded"):
            continue
        kind = "training" if c.training else "inference"
        by_measure.setdefault((c.estimate.recipe.measure, kind), []).append(abs(c.error))
    for (measure, kind), errs in sorted(by_measure.items()):
        print(f"| {measure} | {kind} | {len(errs)} | {statistics.median(errs):.1%} |")

    print("\n| source | kind | rows | llmtrack | Accelerate | x1.2 |")
    print("|---|---|---|---|---|---|")
    groups: dict[tuple[str, str], list] = {}
    for c in numeric:
        repo = "/".join(c.row["source"].split("/")[3:5])
        groups.setdefault((repo, "training" if c.training else "inference"), []).append(c)
    for (repo, kind), group in sorted(groups.items(), key=lambda g: (-len(g[1]), g[0])):
        ours = statistics.median(abs(c.error) for c in group)
        acc = statistics.median(
            abs(accelerate_gib(catalog, c.row) / c.measured_gib - 1) for c in group
        )
        rule = statistics.median(
            abs(rule_of_thumb_gib(catalog, c.row) / c.measured_gib - 1) for c in group
        )
        print(f"| {repo} | {kind} | {len(group)} | {ours:.1%} | {acc:.0%} | {rule:.0%} |")

    print("\n| statement | setting | card GiB | published | llmtrack peak GiB | verdict |")
    print("|---|---|---|---|---|---|")
    for c in checked:
        if not c.row.get("outcome"):
            continue
        verdict = c.estimate.verdict(c.row["card_gib"])
        mark = " (known disagreement)" if c.row.get("known_disagreement") else ""
        print(
            f"| [{c.row['id']}]({c.row['source']}) | {setting(c.row)} | {c.row['card_gib']} | "
            f"{c.row['outcome']} | {c.estimate.peak_gib:.2f} | {verdict}{mark} |"
        )
    pending(catalog)


def pending(catalog) -> None:
    from tests.memory_fixture import check, pending_rows

    rows = [check(catalog, row) for row in pending_rows()]
    print(
        f"\nHeld to nothing until the estimator has an option for their setting ({len(rows)} "
        "rows: torch.compile, chunked cross-entropy, the optimizer step inside the backward "
        "pass, pure bf16 outside torchtune):\n"
    )
    print("| row | setting | measured GiB | llmtrack | error |")
    print("|---|---|---|---|---|")
    for c in rows:
        if c.measured_gib is None:
            continue
        print(
            f"| [{c.row['id']}]({c.row['source']}) | {setting(c.row)} | {c.measured_gib:.2f} | "
            f"{c.estimated_gib:.2f} | {c.error:+.0%} |"
        )


def fit() -> None:
    """Try CUDA-context sizes and allocator-cache shares over the fixture; print the best,
    fewest disagreeing fits/OOM statements first, then the lowest median error."""
    import itertools

    from tests.memory_fixture import check, load_rows

    from llmtrack.catalog.load import load_catalog
    from llmtrack.memory import measure

    estimate_module = sys.modules["llmtrack.memory.estimate"]
    catalog, rows = load_catalog(), load_rows()
    trials = []
    for context, fixed, variable in itertools.product(
        (0.5, 0.75, 1.0, 1.25), (0.0, 0.1, 0.2, 0.3), (0.0, 0.1, 0.2, 0.3, 0.5)
    ):
        estimate_module.CUDA_CONTEXT_BYTES = int(context * measure.GIB)  # type: ignore[attr-defined]
        measure.FIXED_SHAPE_CACHE, measure.VARIABLE_SHAPE_CACHE = fixed, variable
        checked = [check(catalog, row) for row in rows]
        numeric = [c for c in checked if c.measured_gib is not None]
        wrong = sum(
            1
            for c in checked
            if c.row.get("outcome")
            and not c.row.get("known_disagreement")
            and c.estimate.verdict(c.row["card_gib"]) != "tight"
            and (c.estimate.verdict(c.row["card_gib"]) == "no") != (c.row["outcome"] == "oom")
        )
        medians = [
            statistics.median(abs(c.error) for c in numeric if c.training == training)
            for training in (False, True)
        ]
        overall = statistics.median(abs(c.error) for c in numeric)
        trials.append((wrong, overall, context, fixed, variable, medians))
    print("| statements wrong | all rows | inference | training | context GiB | fixed | padded |")
    print("|---|---|---|---|---|---|---|")
    for wrong, overall, context, fixed, variable, (inf, train) in sorted(trials)[:10]:
        print(
            f"| {wrong} | {overall:.1%} | {inf:.1%} | {train:.1%} | {context} | {fixed} | "
            f"{variable} |"
        )


if __name__ == "__main__":
    fit() if "--fit" in sys.argv[1:] else main()
