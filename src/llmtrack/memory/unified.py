"""How much of a Mac's unified memory its GPU may use.

macOS lets Metal keep at most ``recommendedMaxWorkingSetSize`` bytes resident for the GPU,
and Apple does not document the rule. What llama.cpp and ollama print at start-up
(``ggml_metal_init: recommendedMaxWorkingSetSize``) shows it on the machines people run:
two thirds of the memory on 16 and 32 GB Macs (10922.67 MiB of 16 GiB on an M1, 21845.34
MB of 32 GB on an M1 Max and an M2 Max) and three quarters on 64 and 96 GB ones (49152 MiB
on an M1 Max, 73728 MB on an M2 Max). No measurement of a 36 or 48 GB Mac was found, so
those take the smaller share; newer macOS releases report more on some machines (84 % on
an M5 Max with 128 GB under macOS 26), which is why the share is said with every answer
and ``--vram`` overrides it. ``sudo sysctl iogpu.wired_limit_mb=N`` raises the limit
(macOS 14 and later).
"""

from __future__ import annotations

SOURCES = (
    "https://github.com/abetlen/llama-cpp-python/issues/687",  # M1, 16 GB: 10922.67 MB
    "https://github.com/ggml-org/llama.cpp/pull/2011",  # M1 Max, 32 GB: 21845.34 MB
    "https://github.com/ggml-org/llama.cpp/issues/1870",  # M1 Max, 64 GB: 49152 MiB
    "https://github.com/ggml-org/llama.cpp/issues/3213",  # M2 Max, 96 GB: 73728 MB
    "https://github.com/antirez/ds4/pull/893",  # M5 Max, 128 GB, macOS 26: 107.52 GiB
    "https://ml-explore.github.io/mlx/build/html/python/_autosummary/mlx.core.set_wired_limit.html",
)
LARGE_FROM_GIB = 64  # measured: 2/3 up to 32 GiB, 3/4 from 64 GiB; between, the smaller


def gpu_share(total_gib: float) -> float:
    """The share of ``total_gib`` of unified memory Metal may use by default."""
    return 3 / 4 if total_gib >= LARGE_FROM_GIB else 2 / 3


def usable_gib(total_gib: float) -> tuple[float, str]:
    """What the GPU may use of a Mac's memory, and the sentence that says so."""
    share = gpu_share(total_gib)
    usable = total_gib * share
    fraction = "3/4" if share == 3 / 4 else "2/3"
    why = (
        f"the GPU may use {usable:.1f} GiB of {total_gib:g} GB ({fraction}, macOS's default "
        "Metal working-set limit); if you raised it (sysctl iogpu.wired_limit_mb), pass --vram"
    )
    return usable, why
