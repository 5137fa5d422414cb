"""The listings themselves: a catalog section, search hits, what fits, a timeline, the files
loaded. Each turns domain results into a ``Listing``; ``listing.emit`` shows any of them."""

from __future__ import annotations

from collections.abc import Sequence

from llmtrack.catalog import rows as records
from llmtrack.catalog.sections import SECTIONS
from llmtrack.catalog.store import Catalog
from llmtrack.output.listing import Listing

SEARCH_FIELDS = ("section", "id", "name", "field", "match", "score")
FIT_FIELDS = (
    "kind",
    "model",
    "name",
    "mode",
    "precision",
    "peak_gib",
    "headroom_gib",
    "verdict",
    "fits",
    "params",
    "decode_tokens_per_s",
    "source",
    "note",
)
# the parameter count is what the rows are ranked by; the model and verdict are never hidden
# (the speed, when known, goes after the verdict: headroom is the first to go, peak and card say it)
_FIT_TABLE = ("model", "params", "mode", "precision", "peak_gib", "verdict", "headroom_gib", "note")
_FIT_KEPT = ("model", "verdict")
_FIT_PLAIN = ("kind", "model", "mode", "precision", "peak_gib", "headroom_gib", "verdict", "source")
_SPEED = "decode_tokens_per_s"
SOURCE_FIELDS = ("path", "layer", "entries", "replaced")


def section_listing(
    section: str, entries: Sequence, catalog: Catalog, notes=(), extra=None
) -> Listing:
    """A section's entries; ``extra`` (by id) adds the values selecting them worked out,
    as columns after the section's own."""
    info = SECTIONS[section]
    rows = records.build_rows(entries, catalog)
    added: list[str] = []
    for row in rows:
        values = (extra or {}).get(row.record["id"], {})
        row.record.update(values)
        row.flat.update(values)
        added += [key for key in values if key not in added]
    table = list(info.table_columns)
    if "variant" in added and "base_models" in table:  # the variant names its base
        table[table.index("base_models")] = "variant"
    decided = [key for key in added if key != "variant" and key.rsplit(".", 1)[-1] != "base"]
    if decided:  # what decided the selection comes right after who: a narrow terminal drops
        # columns from the right, and these are what `--vram` was asked for
        who = [c for c in table if c in info.kept_columns or c == "variant"]
        table = [*who, *decided, *[c for c in table if c not in who]]
    return Listing(
        rows,
        lambda: [*records.field_names(section), *added],
        tuple(table),
        (*info.plain_columns, *added),
        info.plural,
        notes=list(notes),
        kept=info.kept_columns,
    )


def search_listing(hits) -> Listing:
    spans = {}
    rows = []
    for hit in hits:
        record = hit.record()
        row = records.Row(record, record)
        spans[id(row)] = ("match", *hit.span)
        rows.append(row)
    return Listing(
        rows,
        lambda: SEARCH_FIELDS,
        SEARCH_FIELDS,
        SEARCH_FIELDS,
        "entries",
        highlight=lambda row: spans[id(row)],
        kept=("id", "match"),
    )


def fits_listing(
    fit_rows,
    card,
    seq_len: int | None = None,
    batch: int = 1,
    measure: str | None = None,
    stack: str | None = None,
) -> Listing:
    from llmtrack.memory.recipe import TRAINING_SEQ_LEN

    tokens = (
        f"{seq_len} tokens"
        if seq_len
        else (f"the context up to 2048 tokens (inference), {TRAINING_SEQ_LEN} (training)")
    )
    # a peak that is not nvidia-smi's says what it counts
    from llmtrack.memory.measure import DEFAULT_MEASURE

    counted = f"; peaks as {measure}" if measure and measure != DEFAULT_MEASURE else ""
    if stack:  # the fine-tunes' software, when not the default
        counted += f"; fine-tunes on {stack}"
    rows = []
    for fit in fit_rows:
        record = {name: getattr(fit, name) for name in FIT_FIELDS}
        rows.append(records.Row(record, record))
    # the speed column when the card's bandwidth is known, beside the verdict
    fast = card.bandwidth_gb_s is not None
    table = _FIT_TABLE[:6] + ((_SPEED,) if fast else ()) + _FIT_TABLE[6:]
    plain = _FIT_PLAIN[:7] + ((_SPEED,) if fast else ()) + _FIT_PLAIN[7:]
    return Listing(
        rows,
        lambda: FIT_FIELDS,
        table,
        plain,
        "models",
        title=f"{card.described}, batch {batch} x {tokens}{counted}",
        kept=_FIT_KEPT,
        empty_because={_SPEED: "speed needs the card's bandwidth: --gpu NAME or --bandwidth"},
    )


def timeline_listing(timeline) -> Listing:
    names = timeline.field_names
    plain = [n for n in names if n != "chart"]
    by = timeline.by
    table = [by, "count", "chart", *[n for n in plain if n not in (by, "count", "ids")]]
    notes = []
    if timeline.undated:
        notes.append(f"{timeline.undated} entries with no known date are left out.")
    kept = (by, "count", "chart")
    return Listing(
        timeline.rows,
        lambda: names,
        table,
        plain,
        "releases",
        notes=notes,
        kept=kept,
        bars={"chart": "count"},  # on a terminal, sized to the room the other columns leave
    )


def sources_listing(catalog: Catalog) -> Listing:
    rows = []
    for source in catalog.files:
        record = {
            "path": source.path,
            "layer": source.layer,
            "entries": source.entries,
            "replaced": list(source.replaced),
        }
        rows.append(records.Row(record, record))
    fields = SOURCE_FIELDS
    return Listing(rows, lambda: fields, fields, fields, "files", kept=("path",))


def command_fields(command: str) -> Sequence[str]:
    """The fields a listing command's --fields and --sort take (for completion)."""
    for section, info in SECTIONS.items():
        if info.command == command:
            return records.field_names(section)
    if command == "timeline":
        from llmtrack.timeline import DEFAULT_SECTIONS, field_names

        return field_names(DEFAULT_SECTIONS, "month")
    return {"search": SEARCH_FIELDS, "fits": FIT_FIELDS, "sources": SOURCE_FIELDS}.get(command, ())
