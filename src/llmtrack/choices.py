"""Values of an enumeration as people type them: matched without regard to case, with the
other spellings people use (``md`` for markdown, ``project`` for projects), and a clear
error naming every allowed value otherwise. One place, so that ``--format JSON``,
``--method LoRA``, ``--mode QLoRA`` and ``new project`` behave alike."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

from llmtrack.errors import UsageError

_SEPARATORS = re.compile(r"[\s_-]+")


def _key(text: str) -> str:
    return _SEPARATORS.sub("-", text.strip().casefold())


def choose(
    value: str, allowed: Sequence[str], what: str, aliases: Mapping[str, str] | None = None
) -> str:
    """The allowed value ``value`` spells (its case, spaces, '_' and '-' aside), or one of
    ``aliases`` (other spellings -> an allowed value); otherwise a usage error naming them."""
    key = _key(value)
    for option in allowed:
        if _key(option) == key:
            return option
    for alias, option in (aliases or {}).items():
        if _key(alias) == key:
            return option
    raise UsageError(
        f"unknown {what} {value!r};{did_you_mean(value, allowed)} choose from: {', '.join(allowed)}"
    )


def did_you_mean(value: str, allowed: Sequence[str]) -> str:
    """' did you mean X?' for the one allowed value ``value`` most likely misspells, or ''.
    A value with other numbers is never a typo of it (``match.numbers_of``, as for names):
    q4km may be q4_k_m, never q5_k_m."""
    from rapidfuzz import fuzz

    from llmtrack.match import numbers_of

    def bare(text: str) -> str:
        return re.sub(r"[\W_]+", "", text.casefold())

    numbers = numbers_of(value)
    close = sorted(
        (fuzz.ratio(bare(value), bare(option)), option)
        for option in allowed
        if numbers_of(option) == numbers
    )
    best = [option for score, option in close if score >= 80 and score == close[-1][0]]
    return f" did you mean {best[0]}?" if len(best) == 1 else ""


def section_aliases() -> dict[str, str]:
    """Every way a section is named: 'base model', 'base-models', 'bases', 'project'..."""
    from llmtrack.catalog.sections import SECTIONS

    aliases: dict[str, str] = {}
    for section in SECTIONS.values():
        for spelling in (section.singular, section.plural, section.command):
            aliases[spelling] = section.name
    return aliases


def choose_section(value: str) -> str:
    """A section name as people write it, singular or plural, with '-', '_' or a space."""
    from llmtrack.catalog.sections import SECTIONS

    return choose(value, tuple(SECTIONS), "section", section_aliases())
