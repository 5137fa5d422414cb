"""Write the bundled catalog's compiled form, ``data/catalog.json``, from the YAML files.

python -m llmtrack.catalog.build          # after editing the data or a stored module
python -m llmtrack.catalog.build --check  # exit 1 when the shipped file is out of date
"""

from __future__ import annotations

import sys
from pathlib import Path

from llmtrack.catalog.load import COMPILED_BUNDLED, build_bundled

TARGET = Path(__file__).resolve().parent.parent / "data" / COMPILED_BUNDLED


def main(argv: list[str]) -> int:
    data = build_bundled()
    if "--check" in argv:
        current = TARGET.read_bytes() if TARGET.exists() else b""
        if current != data:
            print(f"{TARGET} is out of date: run python -m llmtrack.catalog.build")
            return 1
        return 0
    TARGET.write_bytes(data)
    print(f"wrote {TARGET} ({len(data) / 1024:.0f} KiB)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
