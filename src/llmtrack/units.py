"""Reading and writing quantities: parameter counts, money, memory sizes."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import NamedTuple

from llmtrack.errors import UsageError

# ASCII digits only: int("٣") works in Python, but a size with Arabic-Indic digits is junk here.
_SIZE = re.compile(
    r"\s*([0-9]+(?:\.[0-9]+)?)\s*(tib|tb|t|gib|gb|g|mib|mb|m)?\s*", re.IGNORECASE | re.ASCII
)
_GIB_PER_UNIT = {"t": 1024.0, "g": 1.0, "m": 1 / 1024}
SIZE_EXAMPLE = "e.g. 24GB, 24 GiB, 1.5TB or 512MiB"


def article_for(spoken: str) -> str:
    """'a' or 'an' before a figure as it is read aloud: an 8, an 11, an 18, an 80; a 24."""
    digits = spoken.split(".")[0].replace(",", "")
    vowel = digits[:1] == "8" or (digits[:2] in ("11", "18") and len(digits) % 3 == 2)
    return "an" if vowel else "a"


def format_count(count: int, noun: str) -> str:
    """'1 file', '3 files', '48,833 tokens': a count with its noun, plural but for one."""
    return f"{count:,} {noun}{'' if count == 1 else 's'}"


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


def format_hours(hours: float) -> str:
    """An estimated duration: '6 min' under an hour ('under a minute' below one), '1.7 h',
    '12 h' from ten hours: never '0.0 h' for a run that takes minutes."""
    if hours < 1 / 60:
        return "under a minute"
    if hours < 1:
        return f"{hours * 60:.0f} min"
    return f"{hours:,.1f} h" if hours < 10 else f"{hours:,.0f} h"


def format_gpu_hours(hours: float) -> str:
    return f"{hours:,.2f} GPU-hours" if hours < 1 else f"{hours:,.1f} GPU-hours"


def format_estimated_usd(amount: float) -> str:
    """An estimated cost to the cent under $10 ('$0.44', never '$0'), in dollars above."""
    return f"${amount:,.2f}" if amount < 10 else f"${amount:,.0f}"


_BOUND_MARKS = {"upper-bound": "≤", "approximate": "~"}


def format_cost(amount: float | None, bound: str | None) -> str:
    """A reported cost with how exact it is: '≤$600' (at most), '~$300' (about), '$100'."""
    if amount is None:
        return ""
    return _BOUND_MARKS.get(bound or "", "") + format_usd(amount)


def parse_memory_gib(text: str) -> float:
    """A memory size as GPUs count it: '24GB', '24G', '24GiB' and '24 gb' all mean 24 GiB
    (1024-based, as nvidia-smi counts). No sign, no exponent, no NaN, ASCII digits only."""
    match = _SIZE.fullmatch(text)
    if not match:
        raise UsageError(f"invalid memory size {text!r}; {SIZE_EXAMPLE}")
    unit = (match.group(2) or "g")[0].lower()
    gib = float(match.group(1)) * _GIB_PER_UNIT[unit]
    if not 0 < gib < float("inf"):
        raise UsageError(f"invalid memory size {text!r}: it must be more than zero; {SIZE_EXAMPLE}")
    return gib


def format_gib(gib: float) -> str:
    """24.0 -> '24GiB', 0.5 -> '0.5GiB'; never an exponent, so parse_memory_gib reads it back."""
    if gib == int(gib):
        return f"{int(gib)}GiB"
    return f"{Decimal(repr(gib)):f}GiB"


_PARAMS = re.compile(r"\s*(\d+(?:\.\d+)?)\s*([kmbt])?\s*", re.IGNORECASE | re.ASCII)
_PARAMS_SCALE = {None: 1, "k": 10**3, "m": 10**6, "b": 10**9, "t": 10**12}
MOST_PARAMS = 10**18  # far above any model (the catalog holds at most 10**15), and finite


def parse_params(text: str) -> int:
    """A parameter count: '6.7B', '125M', '6700000000'."""
    match = _PARAMS.fullmatch(text)
    if not match:
        raise UsageError(f"invalid parameter count {text!r}; expected e.g. 7B, 125M or 6700000000")
    scale = _PARAMS_SCALE[(match.group(2) or "").lower() or None]
    count = float(match.group(1)) * scale
    if not count <= MOST_PARAMS:  # 10**400 is inf as a float: no model, and no integer
        shown = repr(text) if len(text) <= 40 else f"of {len(text)} characters"
        raise UsageError(f"invalid parameter count {shown}: more than {MOST_PARAMS:.0e}")
    return round(count)


class ParamRange(NamedTuple):
    """Parameter counts from ``low`` to ``high`` (either end open). ``nominal`` when they were
    said as people say sizes, with a unit: '7B' is the 7B class, not 7,000,000,000 exactly."""

    low: int | None
    high: int | None
    nominal: bool = False


def parse_params_range(text: str) -> ParamRange:
    """'6B..13B', '..13B', '6B..', a size ('7B': the 7B class) or an exact count."""
    nominal = bool(re.search(r"[kmbt]", text, re.IGNORECASE))
    if ".." not in text:
        count = parse_params(text)
        return ParamRange(count, count, nominal)
    low_text, _, high_text = text.partition("..")
    low = parse_params(low_text) if low_text.strip() else None
    high = parse_params(high_text) if high_text.strip() else None
    if low is None and high is None:
        raise UsageError(f"invalid parameter range {text!r}; give at least one end, e.g. 6B..13B")
    if low is not None and high is not None and low > high:
        raise UsageError(f"invalid parameter range {text!r}: {low_text} is more than {high_text}")
    return ParamRange(low, high, nominal)


_USD = re.compile(r"\s*\$?\s*(\d+(?:\.\d+)?)\s*(k)?\s*(usd)?\s*", re.IGNORECASE)


def parse_usd(text: str) -> float:
    """An amount of US dollars: '500', '$500', '1.5k', '300 USD'."""
    match = _USD.fullmatch(text)
    if not match:
        raise UsageError(f"invalid amount {text!r}; expected US dollars, e.g. 500 or $1.5k")
    return float(match.group(1)) * (1000 if match.group(2) else 1)


_DATE = re.compile(r"\d{4}(-(0[1-9]|1[0-2])(-(0[1-9]|[12]\d|3[01]))?)?", re.ASCII)  # not ٢٠٢٣


def parse_date(text: str) -> str:
    """An ISO date the user typed: '2023-03-13', '2023-03' or '2023'."""
    value = text.strip()
    if not _DATE.fullmatch(value):
        raise UsageError(f"invalid date {text!r}; expected YYYY-MM-DD, YYYY-MM or YYYY")
    return value


_RATE = re.compile(r"\s*(\d+(?:\.\d+)?)\s*(tb|gb|mb)?(?:/s|ps)?\s*", re.IGNORECASE | re.ASCII)
_GB_PER_UNIT = {"tb": 1000.0, "gb": 1.0, "mb": 0.001}


def parse_bandwidth(text: str) -> float:
    """A memory bandwidth in decimal GB/s, as vendors state it: '1008GB/s', '3.35TB/s',
    '936'. No sign, exponent or NaN; at most 10^6 GB/s."""
    match = _RATE.fullmatch(text)
    if not match:
        raise UsageError(f"invalid bandwidth {text!r}; expected e.g. 1008GB/s or 3.35TB/s")
    value = float(match.group(1)) * _GB_PER_UNIT[(match.group(2) or "gb").lower()]
    if not 0 < value <= 10**6:
        raise UsageError(f"invalid bandwidth {text!r}: between 0 and 1,000,000 GB/s")
    return value


def parse_positive(text: str, what: str, most: float = 10**9, example: str = "165") -> float:
    """A plain positive number ('165', '0.79'): TFLOPS, dollars per hour."""
    match = re.fullmatch(r"\s*\$?(\d+(?:\.\d+)?)\s*", text, re.ASCII)
    value = float(match.group(1)) if match else 0.0
    if not match or not 0 < value <= most:
        raise UsageError(f"invalid {what} {text!r}; expected a number above 0, e.g. {example}")
    return value
