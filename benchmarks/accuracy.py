"""The estimator against published measurements, beside two rules of thumb.

Prints the Markdown tables the README shows: every numeric row of
tests/fixtures/memory_measurements.yaml with llmtrack's estimate, Accelerate's
estimate-memory figure (the model size in the dtype; 4x that to train with Adam) and the
"weights x 1.2" rule, each with its error; the medians per source; every fits/OOM statement
with the verdict; and the rows of a stack the estimator does not model yet.

    python benchmarks/accuracy.py
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


if __name__ == "__main__":
    main()
