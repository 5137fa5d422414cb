"""`--gpu auto`: the card in this machine, as its own tools report it.

Asked in order: ``nvidia-smi --query-gpu=name,memory.total --format=csv,noheader,nounits``
(one line per GPU, memory in MiB), ``rocm-smi --showproductname --showmeminfo vram --json``
(per card, "Card series" and "VRAM Total Memory (B)"), and on a Mac ``system_profiler
SPHardwareDataType -json`` ("chip_type", "physical_memory"). Each runs with a timeout and
without a shell; what it prints is parsed, never run, and output that does not parse is
said as such rather than guessed at."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from typing import NamedTuple

from llmtrack.errors import UsageError

TIMEOUT_S = 10


class Detected(NamedTuple):
    name: str
    memory_gib: float | None  # None when the tool names the chip without its memory
    gpus: int  # GPUs of that kind
    tool: str


def local_card() -> Detected:
    """The first card a tool reports; a usage error when none does."""
    for tool, ask in (("nvidia-smi", _nvidia), ("rocm-smi", _rocm), ("system_profiler", _apple)):
        if shutil.which(tool) is None:
            continue
        found = ask(_output(tool, _ARGS[tool]))
        if found is not None:
            return found
    raise UsageError(
        "--gpu auto found no GPU (nvidia-smi, rocm-smi, system_profiler): name it with "
        "--gpu NAME or --vram SIZE"
    )


_ARGS = {
    "nvidia-smi": ["--query-gpu=name,memory.total", "--format=csv,noheader,nounits"],
    "rocm-smi": ["--showproductname", "--showmeminfo", "vram", "--json"],
    "system_profiler": ["SPHardwareDataType", "-json"],
}


def _output(tool: str, args: list[str]) -> str:
    try:
        done = subprocess.run(
            [tool, *args], capture_output=True, text=True, timeout=TIMEOUT_S, check=False
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise UsageError(f"--gpu auto: {tool} did not answer ({exc})") from None
    if done.returncode != 0:
        first = (done.stderr or done.stdout).strip().splitlines()[:1]
        raise UsageError(f"--gpu auto: {tool} failed: {first[0] if first else done.returncode}")
    return done.stdout


def _clean(name: str) -> str:
    """A name as a tool printed it, without control characters: it is shown, never run."""
    return "".join(ch for ch in name if ch.isprintable()).strip()[:100]


def _unreadable(tool: str, text: str) -> UsageError:
    shown = text.strip().splitlines()[0][:80] if text.strip() else "nothing"
    return UsageError(f"--gpu auto: cannot read what {tool} printed ({shown!r})")


def _nvidia(text: str) -> Detected | None:
    rows = [line.rsplit(",", 1) for line in text.strip().splitlines() if line.strip()]
    if not rows:
        return None
    try:
        name, mib = _clean(rows[0][0]), float(rows[0][1])
    except (IndexError, ValueError):
        raise _unreadable("nvidia-smi", text) from None
    if not name or not 0 < mib < 1e8:
        raise _unreadable("nvidia-smi", text)
    same = sum(1 for row in rows if _clean(row[0]) == name)
    return Detected(name, mib / 1024, same, "nvidia-smi")


def _rocm(text: str) -> Detected | None:
    try:
        cards = json.loads(text)
    except ValueError:
        raise _unreadable("rocm-smi", text) from None
    if not isinstance(cards, dict):
        raise _unreadable("rocm-smi", text)
    found = [c for key, c in cards.items() if key.startswith("card") and isinstance(c, dict)]
    if not found:
        return None
    first = found[0]
    name = _clean(str(first.get("Card series") or first.get("Card model") or "")) or "AMD GPU"
    try:
        gib = int(first["VRAM Total Memory (B)"]) / 1024**3
    except (KeyError, ValueError, TypeError):
        raise _unreadable("rocm-smi", text) from None
    same = sum(1 for c in found if _clean(str(c.get("Card series") or "")) == name) or 1
    return Detected(name, gib, same, "rocm-smi")


def _apple(text: str) -> Detected | None:
    try:
        items = json.loads(text)["SPHardwareDataType"]
        chip = _clean(str(items[0]["chip_type"]))
    except (ValueError, KeyError, IndexError, TypeError):
        return None  # an Intel Mac names no chip: no GPU llmtrack can size
    memory = re.fullmatch(r"(\d+)\s*GB", str(items[0].get("physical_memory", "")).strip())
    return Detected(chip, float(memory.group(1)) if memory else None, 1, "system_profiler")
