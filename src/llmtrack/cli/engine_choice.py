"""Which engine runs an estimate: --engine or the one `llmtrack config` keeps, what each
refuses, and the serving engines (vLLM, SGLang) that take their share of the card up front."""

from __future__ import annotations

from llmtrack.cli import session
from llmtrack.errors import UsageError
from llmtrack.memory.measure import DEFAULT_MEASURE, measure_named


def remembered_engine_and_ram(
    engine: str | None, ram: str | None, settings: dict[str, str], precision_name: str | None
):
    """--engine and --ram, or what `llmtrack config` keeps for them (said on stderr). A
    remembered engine yields to a --precision only llama.cpp runs, and a remembered llama.cpp
    to one it cannot read: the option was typed."""
    remembered = dict(settings)
    kept = remembered.get("engine", "llama.cpp").lower()
    if engine is None and precision_name and kept != "llama.cpp" and is_ggml(precision_name):
        session.note(
            f"engine {remembered.pop('engine')} from your config set aside: "
            f"{precision_name} is a llama.cpp format"
        )
    elif (
        engine is None
        and precision_name
        and kept == "llama.cpp"
        and "engine" in remembered
        and not llama_cpp_reads(precision_name)
    ):
        session.note(
            f"engine {remembered.pop('engine')} from your config set aside: "
            f"{precision_name} is not a GGUF format"
        )
    for key, given in (("engine", engine), ("ram", ram)):
        if given is None and key in remembered:
            session.note(f"{key} {remembered[key]}: from your config")
    return engine or remembered.get("engine"), ram or remembered.get("ram")


def _precision_named(precision_name: str):
    """The --precision's format, or None for an unknown name: the estimate refuses that
    one itself, with its did-you-mean."""
    from llmtrack.memory.precisions import precision

    try:
        return precision(precision_name)
    except UsageError:
        return None


def is_ggml(precision_name: str) -> bool:
    """Whether a --precision is a llama.cpp format (aliases too: q4_k is q4_k_m)."""
    prec = _precision_named(precision_name)
    return prec is not None and prec.ggml


SERVING_ENGINES = ("vllm", "sglang")


def serving_engine_checked(
    engine: str | None,
    typed: str | None,
    recipe,
    measure: str | None,
    mem_fraction_static: float | None,
) -> str | None:
    """The engine to run with, after the checks a serving engine needs: it serves, so a
    fine-tune refuses a typed one (a remembered one is set aside, as said on stderr); it
    takes its share of the card up front, so no allocator figure applies to it."""
    served_by = (engine or "").lower()
    serving = served_by in SERVING_ENGINES
    if recipe.training and (mem_fraction_static is not None or (serving and typed)):
        given = (
            "--mem-fraction-static" if mem_fraction_static is not None else f"--engine {served_by}"
        )
        from llmtrack.memory.stacks import STACK_NAMES

        raise UsageError(
            f"{given} is for serving a model; a fine-tune's software is --stack "
            f"({', '.join(STACK_NAMES)})"
        )
    if mem_fraction_static is not None and served_by != "sglang":
        raise UsageError("--mem-fraction-static is SGLang's serving setting: give --engine sglang")
    if not serving:
        return engine
    if recipe.training:
        session.note(f"engine {served_by} from your config set aside: a fine-tune runs on --stack")
        return None
    if measure is not None and measure_named(measure) != DEFAULT_MEASURE:
        raise UsageError(
            f"--measure {measure} is a PyTorch allocator's figure; --engine {served_by} takes "
            f"its share of the card up front{'' if typed else _FROM_CONFIG.format(served_by)}"
        )
    return engine


# what a refusal adds when the engine came from `llmtrack config`
_FROM_CONFIG = (
    " (engine {0} is from your config: --engine transformers for this run, or "
    "`llmtrack config unset engine`)"
)


def refuse_another_engines_cache(
    engine: str | None,
    typed: str | None,
    legacy_cache: bool,
    fuse_layers: bool,
    gptq_kernel: str | None = None,
):
    """--legacy-cache, --fuse-layers and --gptq-kernel say how transformers' generate,
    AutoAWQ's loader and AutoGPTQ's kernels hold the model; an engine with its own cache,
    loader and kernels has none of them."""
    if engine is None or engine.lower() == "transformers":
        return
    given = (
        (legacy_cache, "--legacy-cache", "is how transformers' generate keeps its cache"),
        (fuse_layers, "--fuse-layers", "is how AutoAWQ's loader holds the model"),
        (gptq_kernel is not None, "--gptq-kernel", "picks the AutoGPTQ kernel transformers runs"),
    )
    for on, option, what in given:
        if on:
            raise UsageError(
                f"{option} {what}; --engine {engine} keeps its own cache, loader and kernels: "
                f"drop {option}"
                + (", or give --engine transformers" if typed else _FROM_CONFIG.format(engine))
            )


def on_serving_engine(
    result, base, card, engine: str | None, typed: str | None, mem_fraction_static: float | None
):
    """The estimate as a serving engine runs it, and what its KV cache gets of the card;
    the estimate unchanged and None for any other engine. A refusal of an engine the
    config chose says so, and how to run without it."""
    served_by = (engine or "").lower()
    if served_by not in SERVING_ENGINES:
        if served_by == "llama.cpp":
            _refuse_what_llama_cpp_cannot_read(result.recipe.precision)
        if served_by not in ("", "transformers"):
            from llmtrack.memory.gptq_kernels import without_transformers_kernel

            result = without_transformers_kernel(result, engine or served_by)
        return result, None
    from llmtrack.errors import NotApplicable
    from llmtrack.memory.serving import ENGINE_LABELS, on_vllm
    from llmtrack.memory.sglang import on_sglang

    try:
        if card is None:
            raise UsageError(
                f"{ENGINE_LABELS[served_by]} sizes its KV cache from the card: give --gpu NAME "
                "or --vram"
            )
        assert base.architecture is not None  # the estimate needed it
        from llmtrack.memory.gptq_kernels import without_transformers_kernel

        label = ENGINE_LABELS[served_by]
        result = without_transformers_kernel(result, label)
        if served_by == "vllm":
            return on_vllm(result, base.architecture, card.memory_gib, card.label)
        return on_sglang(result, base.architecture, card.memory_gib, mem_fraction_static)
    except (UsageError, NotApplicable) as refused:
        if typed:
            raise
        raise type(refused)(f"{refused}{_FROM_CONFIG.format(served_by)}") from None


# quantized formats llama.cpp has GGUF types of its own for (gpt-oss ships MXFP4 in GGUF)
_READ_BY_LLAMA_CPP = ("mxfp4",)


def llama_cpp_reads(precision_name: str) -> bool:
    """Whether llama.cpp runs weights of this --precision: a GGUF type, 16- or 32-bit, or
    MXFP4; not a checkpoint quantized by GPTQ, AWQ, bitsandbytes or ExLlama, which is no
    file it can open."""
    prec = _precision_named(precision_name)
    return prec is None or prec.ggml or prec.bits >= 16 or prec.name in _READ_BY_LLAMA_CPP


def _refuse_what_llama_cpp_cannot_read(precision_name: str | None) -> None:
    """A typed --engine llama.cpp with such a format (a remembered one was set aside)."""
    if not llama_cpp_reads(precision_name or "fp16"):
        raise UsageError(
            f"{precision_name} is not a format llama.cpp reads (it runs GGUF files): give a "
            "GGUF --precision such as q4_k_m, or another --engine"
        )
