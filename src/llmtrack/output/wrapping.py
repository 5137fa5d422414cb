"""Text wrapped for a person: at spaces only, so option names, URLs, ids and values such as
q4_k_m are never broken; later lines under the first's text. Help, `show` and `reproduce`
wrap this way."""

from __future__ import annotations

import textwrap


def wrap_words(text: str, width: int, indent: str = "", first: str | None = None) -> list[str]:
    """``text`` in lines of at most ``width`` (a longer word runs past it): the first after
    ``first`` (``indent`` when None), the others after ``indent``. Never an empty list."""
    lead = indent if first is None else first
    return textwrap.wrap(
        text,
        width=width,
        initial_indent=lead,
        subsequent_indent=indent,
        break_long_words=False,
        break_on_hyphens=False,
    ) or [lead.rstrip()]
