"""Synthetic catalogs for scale benchmarks: the bundled catalog plus N generated base models
and N generated projects with realistic field sizes.

    python benchmarks/synthetic.py 5000 -o /tmp/synthetic-10k.json   # 10,000 entries, as JSON
"""

from __future__ import annotations

import argparse
import random
import sys
from pathlib import Path

FAMILIES = ["Orca", "Heron", "Marten", "Ibex", "Lynx", "Wren", "Tern", "Vole", "Kite", "Newt"]
SIZES = [
    (125e6, 12, 768),
    (1.3e9, 24, 2048),
    (2.7e9, 32, 2560),
    (6.7e9, 32, 4096),
    (13e9, 40, 5120),
]
WORDS = [
    "instruction",
    "tuning",
    "data",
    "generated",
    "with",
    "self-instruct",
    "from",
    "seed",
    "tasks",
    "in",
    "english",
    "and",
    "chinese",
    "collected",
    "conversations",
    "filtered",
    "for",
    "quality",
    "deduplicated",
    "translated",
    "multilingual",
]


def base_record(n: int, rng: random.Random) -> dict:
    family = FAMILIES[n % len(FAMILIES)]
    params, layers, hidden = SIZES[n % len(SIZES)]
    return {
        "id": f"{family.lower()}-{n}",
        "name": f"{family}-{n}",
        "aliases": [f"{family} {n}", f"{family.lower()}{n}"],
        "family": f"{family}{n // 1000}",
        "org": f"Lab {n % 97}",
        "params": int(params),
        "released": f"20{20 + n % 4}-{1 + n % 12:02d}",
        "license": "Apache-2.0",
        "access": "open-weights",
        "context_length": 2048,
        "architecture": {
            "kind": "decoder",
            "layers": layers,
            "hidden_size": hidden,
            "heads": hidden // 128,
            "kv_heads": hidden // 128,
            "ffn_size": hidden * 4,
            "ffn_kind": "mlp",
            "vocab_size": 50304,
            "tied_embeddings": False,
            "position": "rotary",
        },
        "notes": " ".join(rng.choice(WORDS) for _ in range(30)),
        "sources": [f"https://example.org/models/{n}"],
    }


def project_record(n: int, rng: random.Random) -> dict:
    return {
        "id": f"tune-{n}",
        "name": f"Tune {n}",
        "aliases": [f"tune{n}"],
        "org": f"Group {n % 131}",
        "released": f"2023-{1 + n % 12:02d}-{1 + n % 28:02d}",
        "base_models": [f"{FAMILIES[n % len(FAMILIES)].lower()}-{n}", "llama-7b"],
        "data": {
            "description": " ".join(rng.choice(WORDS) for _ in range(40)),
            "size": f"{rng.randint(1, 900)}K examples",
            "origins": ["self-instruct"],
            "languages": ["en", "zh"] if n % 3 == 0 else ["en"],
        },
        "methods": ["sft", "lora"] if n % 2 else ["sft"],
        "training": {
            "gpu": "a100-80gb",
            "gpu_count": 1 + n % 8,
            "hours": round(rng.uniform(1, 48), 1),
        },
        "cost": {"training_usd": rng.randint(50, 5000), "bound": "approximate"},
        "notes": " ".join(rng.choice(WORDS) for _ in range(25)),
        "sources": [f"https://example.org/tunes/{n}"],
    }


def synthetic_sections(n: int, seed: int = 0) -> dict[str, list[dict]]:
    """N base models and N projects, as a catalog file holds them."""
    rng = random.Random(seed)  # the same seed, the same catalog
    return {
        "base_models": [base_record(i, rng) for i in range(n)],
        "projects": [project_record(i, rng) for i in range(n)],
    }


def synthetic_catalog(n: int, seed: int = 0):
    """The bundled catalog plus the synthetic entries, as typed records (validated by pydantic)."""
    from llmtrack.catalog.load import load_catalog
    from llmtrack.catalog.store import Catalog
    from llmtrack.catalog.validation import adapters as entry_adapters

    bundled = load_catalog()
    adapters = entry_adapters()
    extra = {name: [adapters[name].validate_python(r) for r in rows]
             for name, rows in synthetic_sections(n, seed).items()}  # fmt: skip
    return Catalog.from_sections(
        {
            name: [*bundled.section(name), *extra.get(name, [])]
            for name in ("base_models", "projects", "references", "stages", "techniques", "gpus")
        }
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("n", type=int)
    parser.add_argument("-o", "--output", type=Path, required=True)
    args = parser.parse_args()
    import json

    # JSON is YAML: a catalog file any loader reads, written quickly
    args.output.write_text(json.dumps(synthetic_sections(args.n), indent=1), encoding="utf-8")
    print(f"wrote {2 * args.n} entries to {args.output}", file=sys.stderr)


if __name__ == "__main__":
    main()
