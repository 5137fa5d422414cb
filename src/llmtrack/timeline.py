"""Releases over time: the rows of ``llmtrack timeline``, one per month (or year)."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from typing import NamedTuple

from llmtrack.catalog.rows import Row

DEFAULT_SECTIONS = ("base_models", "projects")
PERIODS = ("month", "year")
BAR_WIDTH = 40  # the longest bar, in characters
UNKNOWN_MONTH = "??"  # a date known only to the year sits in "2023-??", before January


def period_of(date: str, by: str) -> str:
    if by == "year":
        return date[:4]
    return date[:7] if len(date) >= 7 else f"{date[:4]}-{UNKNOWN_MONTH}"


def _order(period: str) -> str:
    return period.replace(UNKNOWN_MONTH, "00")


def timeline_rows(
    dated: Iterable[tuple[str, str, str]], sections: Sequence[str], by: str
) -> list[Row]:
    """``dated`` holds (section, id, date) for every entry to place; one row per period from
    the first to the last, oldest first, an empty one too (a count of 0 says a quiet month
    as plainly as a busy one), with a count per section and a bar for the terminal."""
    counts: dict[str, Counter] = defaultdict(Counter)
    ids: dict[str, list[str]] = defaultdict(list)
    for section, entry_id, date in dated:
        period = period_of(date, by)
        counts[period][section] += 1
        ids[period].append(entry_id)
    busiest = max((sum(c.values()) for c in counts.values()), default=1)
    rows = []
    for period in _every_period(counts, by):
        total = sum(counts[period].values())
        record = {by: period, "count": total}
        if len(sections) > 1:
            record.update({section: counts[period][section] for section in sections})
        record["ids"] = ids[period]
        # at least one block, so a month with one release is visible next to a busy one
        bar = "█" * max(1, round(total * BAR_WIDTH / busiest)) if total else ""
        rows.append(Row(record, {**record, "chart": bar}))
    return rows


def _every_period(periods: Iterable[str], by: str) -> list[str]:
    """The periods given and every one between the first and the last, oldest first; a year
    known without its month ("2023-??") keeps its place before January."""
    found = set(periods)
    known = sorted(p for p in found if UNKNOWN_MONTH not in p)
    if known:
        first, last = known[0], known[-1]
        if by == "year":
            found.update(str(year) for year in range(int(first), int(last) + 1))
        else:
            year, month = int(first[:4]), int(first[5:7])
            while f"{year:04d}-{month:02d}" <= last:
                found.add(f"{year:04d}-{month:02d}")
                year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return sorted(found, key=_order)


def field_names(sections: Sequence[str], by: str) -> list[str]:
    extra = list(sections) if len(sections) > 1 else []
    return [by, "count", *extra, "ids", "chart"]


class Timeline(NamedTuple):
    rows: list[Row]
    field_names: list[str]
    by: str
    undated: int  # entries left out because their date is unknown


def timeline(
    catalog,
    sections: Sequence[str] = DEFAULT_SECTIONS,
    by: str = "month",
    since: str | None = None,
    until: str | None = None,
) -> Timeline:
    """Releases per period in these sections, within [since, until] (ISO, partial dates as
    spans); each entry's date is read once, and the undated are counted, never guessed."""
    from llmtrack import query
    from llmtrack.choices import choose, choose_section
    from llmtrack.units import parse_date

    sections = list(dict.fromkeys(choose_section(name) for name in sections))
    by = choose(by, PERIODS, "period for --by")
    bounds = [parse_date(d) if d else None for d in (since, until)]
    in_range = query.dated_between(lambda date: date, *bounds) if since or until else None
    dated, undated = [], 0
    for name in sections:
        for entry in catalog.section(name):
            date = catalog.date_of(entry)
            if date is None:
                undated += 1
            elif in_range is None or in_range(date):
                dated.append((name, entry.id, date))
    return Timeline(timeline_rows(dated, sections, by), field_names(sections, by), by, undated)


def newest_by_section(catalog) -> dict[str, str]:
    """The newest date in each section that has dated entries: how far the data goes."""
    newest: dict[str, str] = {}
    for entry in catalog:
        date = catalog.date_of(entry)
        if date and date > newest.get(entry.section, ""):
            newest[entry.section] = date
    return newest


def reach(catalog) -> str:
    """How far the data goes, in words: 'base models 2026-04-22, projects 2025-07-08, ...'."""
    from llmtrack.catalog.sections import SECTIONS

    return ", ".join(f"{SECTIONS[s].plural} {d}" for s, d in newest_by_section(catalog).items())
