"""Reading and writing quantities: parameter counts, money, memory sizes."""

from __future__ import annotations

import re

from llmtrack.errors import UsageError

_SIZE = re.compile(r"\s*(\d+(?:\.\d+)?)\s*(g|gb|gib|m|mb|mib|t|tb|tib)?\s*", re.IGNORECASE)
_GIB_PER_UNIT = {"t": 1024.0, "g": 1.0, "m": 1 / 1024}


def format_params(count: int | None) -> str:
    """6738415616 -> '6.74B'; 124439808 -> '124M'."""
    if count is None:
        return ""
    for scale, suffix in ((1e12, "T"), (1e9, "B"), (1e6, "M"), (1e3, "K")):
        if count >= scale:
            value = count / scale
            return f"{value:.3g}{suffix}" if value < 100 else f"{value:.0f}{suffix}"
    return str(count)


def format_usd(amount: float | None) -> str:
    if amount is None:
        return ""
    return f"${amount:,.0f}" if amount == int(amount) else f"${amount:,.2f}"


def parse_memory_gib(text: str) -> float:
    """A memory size as GPUs count it: '24GB', '24G', '24GiB' and '24 gb' all mean 24 GiB."""
    match = _SIZE.fullmatch(text)
    if not match:
        raise UsageError(f"invalid memory size {text!r}; expected a number with a unit, e.g. 24GB")
    value = float(match.group(1))
    unit = (match.group(2) or "g")[0].lower()
    gib = value * _GIB_PER_UNIT[unit]
    if gib <= 0:
        raise UsageError(f"invalid memory size {text!r}; it must be more than zero")
    return gib
