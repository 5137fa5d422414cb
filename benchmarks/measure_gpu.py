"""Measure peak GPU memory of random-initialised models at the catalog's architectures.

Issue 17's fourth deliverable, for a session that is lent a GPU: each case builds a model of
a catalog architecture with random weights on the GPU, runs one workload the estimator has a
recipe for, and records what PyTorch and the driver saw, as rows in the shape of
tests/fixtures/memory_measurements.yaml (one per counter: compare allocated, reserved, and
peak for NVML's device figure).

    python benchmarks/measure_gpu.py --out $OUT/rows.json             # every case
    python benchmarks/measure_gpu.py --out rows.json --quick          # one case of each kind
    python benchmarks/measure_gpu.py --out rows.json --device cpu --tiny  # the plumbing, no GPU

It needs torch, transformers and peft (on the lent H200 they are there); the 4-bit cases
need bitsandbytes and are skipped, with a line saying so, where it cannot be imported. On
the H200, bitsandbytes travels as a wheel (43 MB; 0.50.2 carries CUDA 13's library):

    echo /.whl/ >> .git/info/exclude
    python3 -m pip download --no-deps --only-binary=:all: --python-version 3.12 \
        --implementation cp --platform manylinux_2_24_x86_64 -d .whl bitsandbytes==0.50.2
    # device run, carry [".whl"]:
    python3 -m pip install -q --no-index --no-deps --target /tmp/site .whl/*.whl &&
        PYTHONPATH=/tmp/site PYTHONUNBUFFERED=1 python3 benchmarks/measure_gpu.py \
        --out $OUT/rows.json --budget-s 420 2>&1 | tee $OUT/log.txt

Each model is built once for all its shapes; --budget-s stops starting new models so the
rows (written after every case) come back inside the 10-minute limit of one command. It
never imports llmtrack (the GPU machine lacks its dependencies): the shapes below are the
catalog's, which tests/test_measure_gpu.py holds them to.

The workloads, as the estimator names them:
- inference: a prompt of --seq-len minus 128 tokens, then 128 generated with
  ``generate(min_new_tokens=128, max_new_tokens=128)`` (greedy, the model's default SDPA
  attention): ``--new-tokens 128 --seq-len N``;
- lora: bf16 weights, PEFT LoRA rank 8 on q_proj and v_proj, AdamW over the adapter, two
  optimizer steps of one batch padded to one shape (``--mode lora --packed``);
- qlora: NF4 with double quantization and bf16 compute, PEFT's prepare_model_for_kbit_training
  (gradient checkpointing on), LoRA rank 64 on every linear layer, bitsandbytes' paged AdamW
  (``--mode qlora --packed``).

The counters are read after the model is loaded and the peak reset, so weights count once:
``torch.cuda.max_memory_allocated``, ``torch.cuda.max_memory_reserved``, and NVML's device
used memory (the CUDA context included) sampled after each step.
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import json
import platform
import sys
import time
from dataclasses import dataclass

# The catalog's architectures (src/llmtrack/data/base_models.yaml), as transformers' configs
# name them; tests/test_measure_gpu.py checks them against the catalog.
SHAPES = {
    "llama-7b": {
        "family": "llama",
        "hidden_size": 4096,
        "intermediate_size": 11008,
        "num_hidden_layers": 32,
        "num_attention_heads": 32,
        "num_key_value_heads": 32,
        "vocab_size": 32000,
    },
    "llama-13b": {
        "family": "llama",
        "hidden_size": 5120,
        "intermediate_size": 13824,
        "num_hidden_layers": 40,
        "num_attention_heads": 40,
        "num_key_value_heads": 40,
        "vocab_size": 32000,
    },
    "mixtral-8x7b": {
        "family": "mixtral",
        "hidden_size": 4096,
        "intermediate_size": 14336,
        "num_hidden_layers": 32,
        "num_attention_heads": 32,
        "num_key_value_heads": 8,
        "vocab_size": 32000,
        "num_local_experts": 8,
        "num_experts_per_tok": 2,
    },
}
# a few layers of the same widths, to try the plumbing on a CPU
TINY_LAYERS = 2
NEW_TOKENS = 128


@dataclass(frozen=True)
class Case:
    model: str
    mode: str  # inference, lora, qlora
    precision: str  # fp16, bf16, nf4, nf4-dq
    seq_len: int
    batch: int

    @property
    def id(self) -> str:
        return f"gpu-{self.model}-{self.mode}-{self.precision}-s{self.seq_len}-b{self.batch}"


def cases(quick: bool) -> list[Case]:
    """The grid: both LLaMA shapes and the MoE, 512 to 4,096 tokens, batch 1 to 8."""
    grid = []
    for model in SHAPES:
        moe = model == "mixtral-8x7b"
        for seq, batch in ((512, 1), (2048, 1), (4096, 1), (2048, 4), (512, 8)):
            if moe and batch > 1 and seq > 512:
                continue  # the MoE's rows stay few: its weights take most of the time
            grid.append(Case(model, "inference", "fp16", seq, batch))
            grid.append(Case(model, "inference", "nf4", seq, batch))
            grid.append(Case(model, "lora", "bf16", seq, batch))
            grid.append(Case(model, "qlora", "nf4-dq", seq, batch))
    if quick:
        seen, first = set(), []
        for case in grid:
            if (case.mode, case.precision) not in seen:
                seen.add((case.mode, case.precision))
                first.append(case)
        return first
    return grid


def build_model(case: Case, device: str, tiny: bool):
    """A model of the case's shape with random weights, on the device, in its precision."""
    import torch
    import transformers

    shape = dict(SHAPES[case.model])
    family = shape.pop("family")
    if tiny:
        shape["num_hidden_layers"] = TINY_LAYERS
    config_class = transformers.MixtralConfig if family == "mixtral" else transformers.LlamaConfig
    config = config_class(**shape, max_position_embeddings=8192, tie_word_embeddings=False)
    dtype = torch.float16 if case.precision == "fp16" else torch.bfloat16
    if case.precision.startswith("nf4"):
        return _quantized(config, case, device)
    with torch.device(device):
        model = transformers.AutoModelForCausalLM.from_config(config, dtype=dtype)
    return model.eval() if case.mode == "inference" else model


def _quantized(config, case: Case, device: str):
    """bitsandbytes NF4 of random weights: a 16-bit model built on the device, each linear
    layer (not the head) replaced by a Linear4bit whose weight is quantized as it is placed,
    as transformers replaces them for a quantization_config (which needs a checkpoint)."""
    import bitsandbytes as bnb
    import torch
    import transformers

    with torch.device(device):
        model = transformers.AutoModelForCausalLM.from_config(config, dtype=torch.bfloat16)
    double = case.precision == "nf4-dq"
    for parent in list(model.modules()):
        for name, child in list(parent.named_children()):
            if isinstance(child, torch.nn.Linear) and name != "lm_head":
                layer = bnb.nn.Linear4bit(
                    child.in_features,
                    child.out_features,
                    bias=child.bias is not None,
                    compute_dtype=torch.bfloat16,
                    compress_statistics=double,
                    quant_type="nf4",
                    device="meta",
                )
                weight = bnb.nn.Params4bit(
                    child.weight.data, requires_grad=False, quant_type="nf4",
                    compress_statistics=double,
                )  # fmt: skip
                layer.weight = weight.to(device)  # quantizes (Params4bit.to -> _quantize)
                if child.bias is not None:
                    layer.bias = child.bias
                setattr(parent, name, layer)
    model.is_loaded_in_4bit = True  # what PEFT's prepare_model_for_kbit_training looks for
    return model


def prepared(case: Case, model):
    """The model as the workload runs it: for a fine-tune, wrapped in PEFT's LoRA with its
    optimizer; built once for every shape of the same model, mode and precision."""
    if case.mode == "inference":
        return model, None
    import torch
    from peft import LoraConfig, get_peft_model, prepare_model_for_kbit_training

    if case.mode == "qlora":
        model = prepare_model_for_kbit_training(model, use_gradient_checkpointing=True)
        lora = LoraConfig(r=64, lora_alpha=16, target_modules="all-linear", task_type="CAUSAL_LM")
    else:
        lora = LoraConfig(r=8, lora_alpha=16, target_modules=["q_proj", "v_proj"],
                          task_type="CAUSAL_LM")  # fmt: skip
    model = get_peft_model(model, lora)
    model.train()
    trainable = [p for p in model.parameters() if p.requires_grad]
    if case.mode == "qlora":
        import bitsandbytes as bnb

        return model, bnb.optim.PagedAdamW(trainable, lr=1e-4)
    return model, torch.optim.AdamW(trainable, lr=1e-4)


def workload(case: Case, model, optimizer, device: str, sample) -> None:
    import torch

    vocab = SHAPES[case.model]["vocab_size"]
    if case.mode == "inference":
        prompt = torch.randint(0, vocab, (case.batch, case.seq_len - NEW_TOKENS), device=device)
        with torch.no_grad():
            model.generate(
                prompt,
                attention_mask=torch.ones_like(prompt),
                min_new_tokens=NEW_TOKENS,
                max_new_tokens=NEW_TOKENS,
                do_sample=False,
                pad_token_id=0,
            )
        sample()
        return
    ids = torch.randint(0, vocab, (case.batch, case.seq_len), device=device)
    for _ in range(2):  # the second step holds the optimizer's states from the first
        loss = model(input_ids=ids, labels=ids).loss
        loss.backward()
        sample()
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)
        sample()


def measure(case: Case, model, optimizer, device: str) -> dict:
    """One case's peaks, from a clean allocator: the model stays, everything else is freed
    and the peaks reset before it runs."""
    import torch

    nvml = _nvml(device)
    peak_nvml = 0

    def sample():
        nonlocal peak_nvml
        if nvml is not None:
            peak_nvml = max(peak_nvml, nvml())

    gc.collect()
    if device == "cuda":
        torch.cuda.synchronize()
        torch.cuda.empty_cache()
        torch.cuda.reset_peak_memory_stats()
    start = time.time()
    outcome = "fits"
    try:
        workload(case, model, optimizer, device, sample)
    except torch.OutOfMemoryError:
        outcome = "oom"
        if optimizer is not None:
            optimizer.zero_grad(set_to_none=True)
    figures = {"outcome": outcome, "seconds": round(time.time() - start, 1)}
    if device == "cuda":
        torch.cuda.synchronize()
        figures["allocated"] = torch.cuda.max_memory_allocated()
        figures["reserved"] = torch.cuda.max_memory_reserved()
        figures["nvml_device_used"] = peak_nvml or None
    return figures


def _nvml(device: str):
    if device != "cuda":
        return None
    try:
        import pynvml
    except ImportError:
        return None
    pynvml.nvmlInit()
    handle = pynvml.nvmlDeviceGetHandleByIndex(0)
    return lambda: pynvml.nvmlDeviceGetMemoryInfo(handle).used


def rows_of(case: Case, figures: dict, environment: str) -> list[dict]:
    """The fixture's rows for one case: one per counter it read."""
    recipe = {
        "model": case.model,
        "mode": case.mode,
        "precision": case.precision,
        "seq_len": case.seq_len,
        "batch": case.batch,
        "gpus": 1,
        "flash_attention": True,
        "random_weights": True,
    }
    if case.mode == "inference":
        recipe |= {"new_tokens": NEW_TOKENS, "all_logits": False}
    else:
        recipe |= {"packed": True, "lora_rank": 64 if case.mode == "qlora" else 8,
                   "lora_targets": "all-linear" if case.mode == "qlora" else "attention"}  # fmt: skip
    if figures["outcome"] == "oom":
        return [{"id": case.id + "-oom", **recipe, "outcome": "oom", "note": environment}]
    counters = (
        ("allocated", "allocated", "torch.cuda.max_memory_allocated"),
        ("reserved", "reserved", "torch.cuda.max_memory_reserved"),
        ("nvml_device_used", "peak", "nvml-device-used (nvmlDeviceGetMemoryInfo.used, sampled)"),
    )
    rows = []
    for key, compare, measure in counters:
        if figures.get(key):
            rows.append({"id": f"{case.id}-{compare}", **recipe, "measured": figures[key],
                         "unit": "bytes", "compare": compare, "measure": measure,
                         "source": "benchmarks/measure_gpu.py", "note": environment})  # fmt: skip
    return rows


def environment(device: str) -> str:
    import torch
    import transformers

    versions = f"torch {torch.__version__}, transformers {transformers.__version__}"
    for name in ("peft", "bitsandbytes"):
        with contextlib.suppress(ImportError):
            versions += f", {name} {__import__(name).__version__}"
    card = torch.cuda.get_device_name(0) if device == "cuda" else platform.processor() or "CPU"
    return f"measured by benchmarks/measure_gpu.py on {card}: {versions}; random weights"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", required=True, help="where the rows go (JSON)")
    parser.add_argument("--quick", action="store_true", help="one case of each kind")
    parser.add_argument("--device", default="cuda", choices=("cuda", "cpu"))
    parser.add_argument("--tiny", action="store_true", help=f"{TINY_LAYERS} layers a model")
    parser.add_argument("--only", help="cases whose id contains this")
    parser.add_argument(
        "--budget-s", type=float, default=480, help="start no new model after this many seconds"
    )
    args = parser.parse_args(argv)
    try:
        import bitsandbytes  # noqa: F401

        quantized = True
    except ImportError:
        quantized = False
    env = environment(args.device)
    print(env, flush=True)
    started = time.time()
    rows: list[dict] = []
    chosen = [c for c in cases(args.quick) if not args.only or args.only in c.id]
    by_build: dict[tuple[str, str, str], list[Case]] = {}
    for case in chosen:
        by_build.setdefault((case.model, case.mode, case.precision), []).append(case)
    for (model_id, mode, precision), shapes in by_build.items():
        if precision.startswith("nf4") and not quantized:
            print(f"skip {model_id} {mode} {precision}: bitsandbytes cannot be imported")
            continue
        if time.time() - started > args.budget_s:
            print(f"stop: {args.budget_s} s spent; the rows so far are in {args.out}")
            break
        model, optimizer = prepared(shapes[0], build_model(shapes[0], args.device, args.tiny))
        for case in shapes:
            figures = measure(case, model, optimizer, args.device)
            print(case.id, json.dumps(figures), flush=True)
            rows += rows_of(case, figures, env)
            with open(args.out, "w", encoding="utf-8") as out:  # each case: a timeout keeps them
                json.dump(rows, out, indent=1)
        del model, optimizer
        _free(args.device)
    return 0


def _free(device: str) -> None:
    import torch

    gc.collect()
    if device == "cuda":
        torch.cuda.empty_cache()


if __name__ == "__main__":
    sys.exit(main())
