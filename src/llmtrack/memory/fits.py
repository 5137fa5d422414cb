"""What fits on a card: every open model x recipe, estimated; and what projects report."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import replace
from typing import NamedTuple

from llmtrack.catalog import schema
from llmtrack.catalog.store import Catalog
from llmtrack.errors import NotApplicable, UsageError
from llmtrack.lazyclass import lazy_dataclass
from llmtrack.memory.estimate import GIB, Estimate, estimate, verdict
from llmtrack.memory.recipe import Recipe

# The precisions each mode is tried at, best first: inference at 16, 8 and 4 bits, LoRA on a
# 16-bit base, QLoRA on a 4-bit one, full fine-tuning in bf16.
MODE_PRECISIONS: dict[str, tuple[str, ...]] = {
    "inference": ("fp16", "int8", "nf4"),
    "lora": ("fp16",),
    "qlora": ("nf4-dq",),
    "full": ("bf16",),
}
DEFAULT_RECIPES: tuple[Recipe, ...] = tuple(
    Recipe(mode, precision) for mode, ps in MODE_PRECISIONS.items() for precision in ps
)
_VERDICT_ORDER = {"fits": 0, "tight": 1, "no": 2}


class Card(NamedTuple):
    """The memory the user has: a GPU preset or a bare size, times a number of GPUs; and
    what speed depends on, where known."""

    label: str
    memory_gib: float
    gpus: int = 1
    bandwidth_gb_s: float | None = None  # per card, decimal GB/s
    tflops: float | None = None  # dense BF16/FP16 per card
    usd_per_hour: float | None = None  # per GPU
    price_label: str | None = None  # who charges it and when
    unified: bool = False  # Apple Silicon and other shared-memory chips
    half_accumulate: float = 1.0  # GeForce: FP16-accumulate tensor rate over tflops
    preset: bool = True  # False: a bare --vram size, whose label is only its size

    @property
    def size(self) -> str:
        """'24 GiB', or '80 GiB x 8 GPUs'."""
        return f"{self.memory_gib:g} GiB" + (f" x {self.gpus} GPUs" if self.gpus > 1 else "")

    @property
    def described(self) -> str:
        """'NVIDIA GeForce RTX 4090 (24 GiB)'; a bare size is said once: 'a 24 GiB card'."""
        from llmtrack.units import article_for

        if self.preset:
            return f"{self.label} ({self.size})"
        return f"{article_for(self.size)} {self.size} card"


@lazy_dataclass()
class FitRow:
    """One model x recipe on the card, estimated, or one run a project reports."""

    kind: str  # "estimate" or "reported"
    model: str
    name: str
    params: int | None
    mode: str
    precision: str | None
    peak_gib: float | None  # None for a reported setup that states no memory
    verdict: str
    headroom_gib: float | None
    source: str | None = None
    note: str | None = None
    decode_tokens_per_s: float | None = None  # generating, when the card's bandwidth is known

    @property
    def fits(self) -> bool:
        return self.verdict != "no"


def estimate_base(
    base: schema.BaseModelEntry, recipe: Recipe, weight_bytes: int | None = None
) -> Estimate:
    """The estimate for a catalog entry; ``weight_bytes`` when a file says its weights. A
    model released in its own format (gpt-oss in MXFP4) is run in it unless told otherwise."""
    assert base.architecture is not None, "can_estimate(base) first"
    native = base.weights_format if recipe.mode == "inference" else None
    if recipe.precision is None and native:
        from llmtrack.memory.precisions import PRECISIONS

        if native.lower() not in PRECISIONS:  # a catalog file's own value, said as such
            raise UsageError(f"{base.id}: its weights_format {native!r} is not a precision")
        recipe = replace(recipe, precision=native)
    result = estimate(base.id, base.architecture, recipe, base.context_length, weight_bytes)
    if native and result.recipe.precision == native:
        result.assumptions.insert(
            0, f"{native}: the format {base.id}'s checkpoint ships in (--precision to choose)"
        )
    return result


def can_estimate(base: schema.BaseModelEntry) -> bool:
    """The one test of whether the estimator can model a base model: open weights and an
    architecture with its vocabulary."""
    arch = base.architecture
    return base.open_weights and arch is not None and arch.vocab_size is not None


def estimable(catalog: Catalog) -> list[schema.BaseModelEntry]:
    """Open-weights models whose architecture the estimator can use."""
    return [b for b in catalog.base_models if can_estimate(b)]


def fits_on(
    catalog: Catalog,
    card: Card | None,
    modes: Sequence[str] = (),
    precisions: Sequence[str] = (),
    seq_len: int | None = None,
    batch: int = 1,
    show_all: bool = False,
    all_recipes: bool = False,
    kv_cache: str | None = None,
    notes: list[str] | None = None,
    measure: str | None = None,
    stack: str | None = None,
) -> list[FitRow]:
    """What fits on the card, best first, then what projects report. Each mode is tried at
    its precisions (``MODE_PRECISIONS``, or ``precisions``); a model shows its best recipe
    per mode, the highest precision that fits (every recipe with ``all_recipes``), and
    what does not fit only with ``show_all``."""
    if card is None:
        raise UsageError(
            "give the card: --vram SIZE (e.g. 24GB) or --gpu NAME, or remember one with "
            "`llmtrack config set gpu NAME`"
        )
    wanted = list(modes) or list(MODE_PRECISIONS)
    if not modes and not precisions:
        chosen = [
            replace(
                r,
                seq_len=seq_len,
                batch=batch,
                kv_cache=kv_cache if r.mode == "inference" else None,
                measure=measure,
            )
            for r in DEFAULT_RECIPES
        ]
    else:
        chosen = [
            Recipe(
                m,
                p,
                seq_len=seq_len,
                batch=batch,
                kv_cache=kv_cache if m == "inference" else None,
                measure=measure,
            )
            for m in (modes or ["inference"])
            for p in (precisions or MODE_PRECISIONS[m])
        ]
    from llmtrack.memory.stacks import on_stack

    chosen = on_stack(chosen, stack, asked=bool(modes), gpus=card.gpus)
    from llmtrack.memory.remembered import remembered_peaks

    skipped: dict[str, str] = {}
    bases = _long_enough(estimable(catalog), seq_len, notes)
    rows = fit_rows(bases, chosen, card, remembered_peaks(catalog, chosen, card), skipped)
    native = {b.id: b.weights_format for b in bases if b.weights_format}
    if "inference" in wanted and not precisions:  # each model's own format is tried too
        own = Recipe(seq_len=seq_len, batch=batch, kv_cache=kv_cache, measure=measure)
        remembered = remembered_peaks(catalog, [own], card)
        rows = sorted_rows(
            rows + fit_rows([catalog.get(m) for m in native], [own], card, remembered)
        )
    if skipped and notes is not None:
        first = next(iter(skipped.values()))
        notes.append(f"{len(skipped)} models left out where a recipe does not apply ({first})")
    if not all_recipes:
        rows = _best_per_model_and_mode(rows, native)
    if not show_all:
        rows = [row for row in rows if row.fits]
    from llmtrack.memory.row_speed import with_speeds

    shown = {r.precision for r in chosen if r.mode == "inference" and r.precision}
    rows = with_speeds(rows, catalog, seq_len, batch, card, kv_cache, sorted(shown))
    reported = reported_rows(catalog, card, modes or wanted, precisions)
    return rows + [row for row in reported if show_all or row.fits]


def _long_enough(
    bases: list[schema.BaseModelEntry], seq_len: int | None, notes: list[str] | None
) -> list[schema.BaseModelEntry]:
    """The models whose context takes ``seq_len`` tokens: a row past it would say a model
    fits a length it cannot read (``estimate`` says so of one it is asked about)."""
    short = {b.id: b.context_length for b in bases if (b.context_length or 1e12) < (seq_len or 0)}
    if short and notes is not None:
        said = ", ".join(f"{name}: {length:,}" for name, length in list(short.items())[:1])
        notes.append(f"{len(short)} models left out: contexts under {seq_len:,} tokens ({said})")
    return [b for b in bases if b.id not in short]


def _best_per_model_and_mode(rows: list[FitRow], native: dict[str, str]) -> list[FitRow]:
    """For each model and mode, the highest precision that fits (the most bits per weight;
    a model's own released format first, since anything else re-quantizes it) or, when none
    fits, the one that comes closest (the smallest peak)."""
    from llmtrack.memory.precisions import precision

    def rank(row: FitRow) -> tuple:
        bits = precision(row.precision).bits if row.precision else 0.0
        if row.precision and native.get(row.model) == row.precision:
            bits = float("inf")
        return (row.fits, bits if row.fits else -(row.peak_gib or 0.0))

    chosen: dict[tuple[str, str], FitRow] = {}
    for row in rows:
        key = (row.model, row.mode)
        if key not in chosen or rank(row) > rank(chosen[key]):
            chosen[key] = row
    kept = {id(row) for row in chosen.values()}
    return [row for row in rows if id(row) in kept]


def fit_rows(
    bases: Iterable[schema.BaseModelEntry],
    recipes: Sequence[Recipe],
    card: Card,
    peaks: dict[str, list] | None = None,
    skipped: dict[str, str] | None = None,
) -> list[FitRow]:
    """Every model x recipe on the card, best first: what fits, biggest model first.
    ``peaks`` holds the estimates already made (``_peaks``), for models it has. A recipe
    that does not apply to a model (MXFP4 on a dense one) is left out, and said in
    ``skipped`` (model -> why)."""
    rows = []
    for base in bases:
        known = (peaks or {}).get(base.id)
        for n, recipe in enumerate(recipes):
            if known is not None and known[n] is not None:
                precision, peak_bytes = known[n]
            else:
                try:
                    result = estimate_base(base, _on(recipe, card))
                except NotApplicable as why:
                    if skipped is not None:
                        skipped[base.id] = str(why)
                    continue
                precision, peak_bytes = result.recipe.precision, result.peak_bytes
            rows.append(estimate_row(base, recipe.mode, precision, peak_bytes, card))
    return sorted_rows(rows)


def estimate_row(
    base: schema.BaseModelEntry, mode: str, precision: str | None, peak_bytes: int, card: Card
) -> FitRow:
    peak_gib = peak_bytes / GIB
    return FitRow(
        "estimate",
        base.id,
        base.name,
        base.params,
        mode,
        precision,
        round(peak_gib, 2),
        verdict(peak_gib, card.memory_gib),
        round(card.memory_gib - peak_gib, 2),
    )


def sorted_rows(rows: list[FitRow]) -> list[FitRow]:
    """Best first: what fits, biggest model first, then the smallest peak."""
    return sorted(rows, key=lambda r: (_VERDICT_ORDER[r.verdict], -(r.params or 0), r.peak_gib))


def _on(recipe: Recipe, card: Card) -> Recipe:
    if card.gpus == 1:
        return recipe
    # several GPUs: training shards with ZeRO-3 unless told otherwise
    zero = recipe.zero if recipe.zero is not None or recipe.fsdp or not recipe.training else 3
    return replace(recipe, gpus=card.gpus, zero=zero)


def reported_rows(
    catalog: Catalog, card: Card, modes: Sequence[str] = (), precisions: Sequence[str] = ()
) -> list[FitRow]:
    """What projects' own sources report, judged against the card as they state it: a
    memory figure by the estimator's verdict rule, a setup (``2 x rtx-3090``) by its card
    count and memory per card. Nothing is made up: a setup with neither is left out. Only
    the modes asked for (inference, or any training mode) and the precisions given."""
    rows = []
    wanted = {p.casefold() for p in precisions}
    training_wanted = not modes or any(m != "inference" for m in modes)
    for project in catalog.projects:
        if not modes or "inference" in modes:
            for deployment in project.deploy:
                if wanted and (deployment.precision or "").casefold() not in wanted:
                    continue
                count = deployment.gpu_count or 1
                row = _judged(
                    catalog,
                    project,
                    "inference",
                    deployment.precision,
                    card,
                    deployment.memory_gib,
                    deployment.gpu,
                    count,
                    deployment.source or project.sources[0],
                    deployment.note,
                )
                rows += [row] if row else []
        training = project.training
        if training_wanted and training and training.gpu and training.gpu_count:
            if wanted and (training.precision or "").casefold() not in wanted:
                continue
            note = None  # the setup says it: "ran on 8 x a100-80gb"
            row = _judged(
                catalog,
                project,
                "training",
                training.precision,
                card,
                None,
                training.gpu,
                training.gpu_count,
                project.sources[0],
                note,
            )
            rows += [row] if row else []
    return rows


def _judged(catalog, project, mode, precision, card, memory, gpu, count, source, note):
    """A reported run as a row on the card, or None when the source states no requirement:
    a memory figure is judged by the estimator's verdict rule; a setup without one only by
    its card count and memory per card, with no peak or headroom made up for it."""
    total = card.memory_gib * card.gpus
    if memory is not None:
        peak: float | None = float(memory)
        headroom: float | None = round(total - peak, 2)
        verdict_ = verdict(float(memory), total) if count <= card.gpus else "no"
        said = f"needs {count} x GPU" if count > card.gpus else None
    elif gpu is not None:
        peak = headroom = None
        enough = count <= card.gpus and catalog.get(gpu).memory_gib <= card.memory_gib
        verdict_ = "fits" if enough else "no"
        said = f"ran on {count} x {gpu}" if enough else f"needs {count} x {gpu}"
    else:
        return None
    note = "; ".join(part for part in (said, note) if part) or None
    return FitRow(
        "reported", project.id, project.name, None, mode, precision, peak, verdict_, headroom,
        source, note,
    )  # fmt: skip


def project_recipe(project: schema.Project) -> Recipe | None:
    """The training recipe a project's methods describe (QLoRA as QLoRA, DoRA as LoRA,
    LoRA with quantization as 8-bit LoRA, the rest as full fine-tuning), at the sequence
    length its variant states where it does; None for one that trained nothing."""
    methods = set(project.methods)
    if not methods - {"retrieval"}:
        return None
    seq_len = project.variants[0].seq_len if len(project.variants) == 1 else None
    if "qlora" in methods:
        return Recipe("qlora", "nf4-dq", seq_len=seq_len)
    if methods & {"lora", "dora", "adapter", "p-tuning"}:
        return Recipe("lora", "int8" if "quantization" in methods else "fp16", seq_len=seq_len)
    return Recipe("full", "bf16", seq_len=seq_len)


def project_fit(catalog: Catalog, project: schema.Project, card: Card) -> dict | None:
    """How the project's own recipe fits the card on the first of its open base models
    where it does: the recipe, base, peak and verdict that decided it; None when on none."""
    recipe = project_recipe(project)
    if recipe is None:
        return None
    for base in map(catalog.get, project.base_models):
        if not can_estimate(base):
            continue
        result = estimate_base(base, _on(recipe, card))
        verdict = result.verdict(card.memory_gib)
        if verdict != "no":
            used = result.recipe
            return {
                "fit.base": base.id,
                "fit.recipe": f"{used.mode} {used.precision}, {used.seq_len} tokens",
                "fit.peak_gib": round(result.peak_gib, 2),
                "fit.verdict": verdict,
            }
    return None


def project_fits(catalog: Catalog, project: schema.Project, card: Card) -> bool:
    """Its recipe fits the card on at least one of its open base models."""
    return project_fit(catalog, project, card) is not None
