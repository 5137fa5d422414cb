"""What one run of the command line shares: the root options and the environment, loading
the catalog (saying which of your files replaced entries), and the helpers every command
uses to map options to domain objects. Public within the ``cli`` package; nothing here
renders."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import field
from typing import TYPE_CHECKING

from llmtrack.errors import UsageError
from llmtrack.lazyclass import lazy_dataclass
from llmtrack.output.env import Env
from llmtrack.output.write import note as note  # what commands say on stderr

if TYPE_CHECKING:
    from llmtrack.catalog.store import Catalog
    from llmtrack.memory.fits import Card


@lazy_dataclass()
class Session:
    debug: bool = False
    catalogs: list[str] = field(default_factory=list)  # --catalog FILE, in order
    bundled: bool = True  # False with --no-bundled
    env: Env = field(default_factory=Env)
    settings: dict[str, str] | None = None  # config.toml, read when first asked for


session = Session()  # reset by the error policy at the start of every run


def start(env: Env) -> None:
    """A new run: fresh settings and this run's environment."""
    global session
    session = Session(env=env)


def current() -> Session:
    return session


def settings() -> dict[str, str]:
    """What `llmtrack config` keeps, read once per run (the format, the card, the engine)."""
    if session.settings is None:
        from llmtrack import config

        session.settings = config.read()
    return session.settings


def load() -> Catalog:
    """The catalog this run sees: bundled and user files, compiled."""
    from llmtrack.catalog.files import catalog_files
    from llmtrack.catalog.load import load_catalog
    from llmtrack.output.progress import LoadProgress

    files = catalog_files(session.catalogs, bundled=session.bundled)
    progress = LoadProgress()
    try:
        catalog = load_catalog(files, report=progress)
    finally:
        progress.close()
    for source in catalog.files:
        if source.replaced:  # said once per run, one line per file
            shown = ", ".join(source.replaced[:5]) + (" ..." if len(source.replaced) > 5 else "")
            count = len(source.replaced)
            note(
                f"{source.path} replaces {count} earlier entr{'y' if count == 1 else 'ies'}: "
                f"{shown}"
            )
    return catalog


def output_format(
    given: str | None,
    output: str | None,
    allowed: Sequence[str],
    default: str | None = None,
    suggest: Mapping[str, str] | None = None,
) -> str:
    """The format to write in: --format, else what -o FILE's extension names, else the one
    ``llmtrack config`` keeps (when this command has it), else ``default``; with no
    ``default``, a table on a terminal and TSV in a pipe or a file, as listings do.
    ``suggest``: the name to offer for a format that is not one file (a folder)."""
    from llmtrack.output.write import refuse_a_name_for_another_format

    fmt = _format_to_write(given, output, allowed, default)
    refuse_a_name_for_another_format(fmt, output, allowed, (suggest or {}).get(fmt))
    return fmt


def _format_to_write(
    given: str | None, output: str | None, allowed: Sequence[str], default: str | None
) -> str:
    from llmtrack.output.formats import check_format, default_format
    from llmtrack.output.write import file_format, to_stdout

    if given:
        return check_format(given, allowed)
    chosen = file_format(output, allowed, "") or remembered_format(allowed)
    if chosen:
        return chosen
    if default is not None:
        return default
    return default_format(session.env) if to_stdout(output) else "tsv"


def remembered_format(allowed: Sequence[str]) -> str | None:
    """The format ``llmtrack config`` keeps, when this command has it (said on stderr); None
    otherwise: a command without that format uses its own default."""
    fmt = settings().get("format")
    if fmt is None or fmt not in allowed:
        return None
    note(f"format {fmt}: from your config (`llmtrack config unset format` to forget it)")
    return fmt


def card(
    catalog: Catalog,
    vram: str | None,
    gpu: str | None,
    gpus: int = 1,
    bandwidth: str | None = None,
    tflops: str | None = None,
    remembered: dict[str, str] | None = None,
) -> Card | None:
    """The card the user named, or None; the size always comes back said in GiB. A preset
    brings its bandwidth, throughput and price; ``bandwidth``/``tflops`` describe a bare
    ``--vram`` card (or override a preset's). ``remembered``: the settings of ``llmtrack
    config``, whose card stands in when none is given (a line on stderr says so)."""
    if not vram and not gpu and remembered:
        gpu, vram = remembered.get("gpu"), remembered.get("vram")
        if gpu or vram:
            key = "gpu" if gpu else "vram"
            note(
                f"card {gpu or vram}: from your config (`llmtrack config unset {key}` to forget it)"
            )
    if not vram and not gpu:
        if bandwidth or tflops:
            raise UsageError("--bandwidth and --tflops describe a card: give --vram SIZE too")
        return None
    from llmtrack.units import parse_bandwidth, parse_positive

    chosen = _card(catalog, vram, gpu, gpus)
    if bandwidth:
        chosen = chosen._replace(bandwidth_gb_s=parse_bandwidth(bandwidth))
    if tflops:
        chosen = chosen._replace(tflops=parse_positive(tflops, "--tflops", 10**6))
    return chosen


def _card(catalog: Catalog, vram: str | None, gpu: str | None, gpus: int) -> Card:
    from llmtrack.memory.fits import Card
    from llmtrack.memory.speed import half_accumulate_factor
    from llmtrack.units import format_gib, parse_memory_gib

    if vram and gpu:
        raise UsageError("give --vram or --gpu, not both")
    if vram:
        gib = parse_memory_gib(vram)
        return Card(f"{format_gib(gib)} card", gib, gpus, preset=False)
    if gpu and gpu.strip().lower() == "auto":
        return _detected_card(catalog, gpus)
    entry, size = _gpu_and_size(catalog, gpu or "")
    price = entry.price
    figures = {
        "bandwidth_gb_s": entry.bandwidth_gb_s,
        "tflops": entry.bf16_tflops,
        "usd_per_hour": price.usd_per_hour if price else None,
        "price_label": f"{price.provider or 'price'}, {price.date}" if price else None,
        "half_accumulate": half_accumulate_factor(entry.name),
    }
    if entry.memory_kind != "unified":
        if size is not None and size != entry.memory_gib:
            raise UsageError(f"{entry.name} has {entry.memory_gib:g} GiB, not {size:g}")
        return Card(entry.name, entry.memory_gib, gpus, **figures)
    from llmtrack.memory.unified import usable_gib

    sizes = entry.configurations or (entry.memory_gib,)
    if size is None:
        size = max(sizes)
        if len(sizes) > 1:
            note(
                f"{entry.name}: its largest memory, {size:g} GB; name yours, e.g. "
                f'--gpu "{entry.id} {min(sizes):g}gb" ({", ".join(f"{s:g}" for s in sizes)})'
            )
    elif size not in sizes:
        raise UsageError(
            f"{entry.name} comes with {', '.join(f'{s:g}' for s in sizes)} GB, not {size:g}"
        )
    usable, why = usable_gib(size)
    note(f"{entry.name} {size:g} GB: {why}")
    return Card(f"{entry.name} {size:g} GB", usable, gpus, unified=True, **figures)


def _detected_card(catalog: Catalog, gpus: int) -> Card:
    """``--gpu auto``: the preset of the card this machine's tools report, or, when the
    catalog has none by that name, a bare card of the memory they report."""
    from llmtrack.detect import local_card
    from llmtrack.errors import NotFoundError
    from llmtrack.memory.fits import Card

    found = local_card()
    size = (
        f" {found.memory_gib:g}gb" if found.tool == "system_profiler" and found.memory_gib else ""
    )
    more = f" (one of {found.gpus}; --gpus N for several)" if found.gpus > 1 else ""
    try:
        card = _card(catalog, None, found.name + size, gpus)
    except (NotFoundError, UsageError):
        if found.memory_gib is None:
            raise UsageError(
                f"--gpu auto: {found.tool} reports {found.name} without its memory; "
                "give --vram SIZE"
            ) from None
        note(
            f"--gpu auto: {found.name}, {found.memory_gib:.2f} GiB, from {found.tool}{more}; "
            "no preset of that name, so no bandwidth or price (--gpu NAME for one)"
        )
        return Card(found.name, round(found.memory_gib, 2), gpus)
    note(f"--gpu auto: {found.name} from {found.tool}{more}")
    return card


def _gpu_and_size(catalog: Catalog, text: str):
    """A GPU preset and the memory size the name ends with, if any ('m2 16gb': M2, 16)."""
    from llmtrack.match import NameIndex
    from llmtrack.units import parse_memory_gib

    index = NameIndex.build(catalog, ["gpus"])
    if index.exact(text):
        return catalog.get(resolve(catalog, text, "GPU", ["gpus"])), None
    match = re.fullmatch(r"(.+?)[\s_-]*(\d+(?:\.\d+)?\s*(?:gb|gib|g))", text.strip(), re.I)
    if match and index.exact(match.group(1)):
        entry = catalog.get(resolve(catalog, match.group(1), "GPU", ["gpus"]))
        return entry, parse_memory_gib(match.group(2))
    return catalog.get(resolve(catalog, text, "GPU", ["gpus"])), None


def resolve(catalog: Catalog, name: str, what: str, sections=None) -> str:
    """The id ``name`` denotes, through the one resolver, saying on stderr when it guessed."""
    from llmtrack.match import NameIndex

    resolution = NameIndex.build(catalog, sections).resolve(name, what)
    if resolution.note:
        note(resolution.note)
    return resolution.entry_id
