"""Name resolution: what real-world spellings resolve to, and which must be refused."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from llmtrack.errors import NotFoundError
from llmtrack.match import NameIndex, find, normalize


@pytest.mark.parametrize(
    "spelling, expected",
    [
        ("LLaMA-7B", "llama7b"),
        ("llama 7b", "llama7b"),
        ("llama_7b", "llama7b"),
        ("OPT-1.3B", "opt1.3b"),
        ("opt-13b", "opt13b"),
        ("BELLE (LLaMA-7B)", "bellellama7b"),
        ("  Vicuna  ", "vicuna"),
        ("ＬＬａＭＡ", "llama"),  # full-width letters fold to ASCII
        ("中文LLaMA&Alpaca", "中文llamaalpaca"),
    ],
)
def test_normalize(spelling, expected):
    assert normalize(spelling) == expected


# (spelling, what it must resolve to). "ambiguous:" and "unknown:" mark refusals; a third
# element is the base model a project variant names, or the note a confident guess prints.
SPELLINGS = [
    # ids, names and the separators people use
    ("vicuna", "vicuna"),
    ("LLaMA-7B", "llama-7b"),
    ("llama 7b", "llama-7b"),
    ("llama_7b", "llama-7b"),
    ("llama7b", "llama-7b"),
    ("llama-7", "llama-7b"),  # a trailing size unit does not matter
    ("opt 1.3b", "opt-1.3b"),
    ("OPT-13B", "opt-13b"),  # a decimal point does matter
    ("opt13", "opt-13b"),
    ("bloomz 7b1 mt", "bloomz-7b1-mt"),
    ("gpt j 6b", "gpt-j-6b"),
    ("flan t5 xxl", "flan-t5-xxl"),
    ("palm 540b", "palm-540b"),
    ("gpt4", "gpt-4"),
    ("stack llama", "stackllama"),
    ("StackLLaMA", "stackllama"),
    ("alpaca lora", "alpaca-lora"),
    ("deepspeed chat", "deepspeed-chat", "'deepspeed chat' also names deepspeed-chat-paper"),
    ("colossal chat", "colossalchat"),
    ("instruct gpt-j", "instruct-gpt-j"),
    ("zero 3", "zero-3"),
    ("llama.cpp", "llama-cpp"),
    ("RTX 4090", "rtx-4090"),
    ("rtx4090", "rtx-4090"),
    # the models since 2023: versions, repo ids, checkpoint suffixes
    ("llama 2 7b", "llama-2-7b"),
    ("llama2-7b", "llama-2-7b"),
    # checkpoints as people paste them: the model they were made from, said
    (
        "Llama-2-7b-hf",
        "llama-2-7b",
        "using llama-2-7b for 'Llama-2-7b-hf' (Llama-2-7b), assuming the checkpoint keeps its shapes",
    ),
    ("meta-llama/Llama-2-7b-hf", "llama-2-7b"),  # an alias in the data
    ("meta-llama/Llama-2-7b-chat-hf", "llama-2-7b", "using llama-2-7b for"),
    ("Mistral-7B-Instruct-v0.2", "mistral-7b", "using mistral-7b for"),
    ("gemma-2-9b-it", "gemma-2-9b", "using gemma-2-9b for"),
    ("Qwen/Qwen2.5-7B-Instruct", "qwen2.5-7b", "using qwen2.5-7b for"),
    ("Llama-3.1-8B-Base", "llama-3.1-8b", "using llama-3.1-8b for"),
    # a name of several sections: the entry the others are about, the others said
    ("gpt-3", "gpt-3-175b", "'gpt-3' also names gpt-3-paper (references): give its id to see it"),
    ("qlora", "qlora-nf4", "'qlora' also names qlora-paper (references)"),
    ("llama-adaptor", "llama-adapter", "'llama-adaptor' also names llama-adapter-paper"),
    ("moss", "moss-moon-003-base", "'moss' also names moss-003 (projects)"),
    (
        "direct preference optimization",
        "dpo",
        "'direct preference optimization' also names dpo-paper",
    ),
    ("llama 3.1 8b", "llama-3.1-8b"),
    ("Qwen/Qwen2.5-7B", "qwen2.5-7b"),
    ("qwen2.5 7b", "qwen2.5-7b"),  # not Qwen2 or Qwen 2.5's 72B
    ("gemma 2 9b", "gemma-2-9b"),
    ("phi3 mini", "phi-3-mini"),
    ("Zephyr-7B", "zephyr", "mistral-7b"),
    # aliases in the data
    ("alpaca", "alpaca"),
    ("Stanford Alpaca", "alpaca"),
    ("dolly2", "dolly-v2"),
    ("Dolly v2", "dolly-v2"),
    ("coati", "colossalchat"),
    ("GPT 3.5", "chatgpt"),
    ("4090", "rtx-4090"),
    ("A100 80GB", "a100-80gb"),
    ("self instruct", "self-instruct-paper"),
    ("firefly 1b4", "firefly"),
    # names in Chinese, as the projects write them
    ("白泽", "baize"),
    ("流萤", "firefly"),
    ("中文LLaMA&Alpaca", "chinese-llama-alpaca"),
    # project variants: a project and the size of one of its base models
    ("Vicuna-13B", "vicuna", "llama-13b"),
    ("vicuna 7b", "vicuna", "llama-7b"),
    ("Baize 13B", "baize", "llama-13b"),
    # typos: a unique, confident guess is used and said
    ("koalla", "koala", "using koala for 'koalla'"),
    ("vicunna", "vicuna", "using vicuna for 'vicunna'"),
    # refused: several entries fit, the user must pick
    (
        "llama",  # Meta's whole Llama line: every size of LLaMA, Llama 2, 3, 3.1, 3.2, 3.3, 4
        "ambiguous: llama-7b, llama-13b, llama-33b, llama-65b, llama-2-7b, llama-2-13b, "
        "llama-2-70b, llama-3-8b, llama-3-70b, llama-3.1-8b, llama-3.1-70b, llama-3.1-405b, "
        "llama-3.2-1b, llama-3.2-3b, llama-3.3-70b, llama-4-scout, llama-4-maverick, "
        "llama-paper",
    ),
    ("llama 2", "ambiguous: llama-2-7b, llama-2-13b, llama-2-70b, llama-2-paper"),  # one generation
    ("t5", "ambiguous: t5-small, t5-base, t5-large, t5-3b, t5-11b, t5-paper"),
    ("mixtral", "ambiguous: mixtral-8x7b, mixtral-8x22b"),
    # refused: nothing fits well enough to guess
    ("dolly", "unknown: dolly-v1, dolly-v2"),
    ("cerebras 13b", "unknown: cerebras-gpt-13b, cerebras-gpt-1.3b"),
    ("chimera", "unknown"),  # LLM Zoo's LLaMA model: not in the catalog, and not Phoenix
    # refused: a size or a version is never a typo (each was once a confident swap)
    ("gpt-oss-240b", "unknown: gpt-oss-20b"),
    ("gpt-oss-120b", "gpt-oss-120b"),  # once estimated as the 20b; in the catalog since
    ("llama-3.2-11b", "unknown: llama-3.2-1b"),
    ("chatglm2", "unknown: chatglm, chatglm-6b"),
    ("deepseek-v5", "unknown: deepseek-v3"),
    ("deepseek-v4", "ambiguous: deepseek-v4-flash, deepseek-v4-pro"),  # a family of two
    ("deepseek-v3", "deepseek-v3"),  # once a DeepSeek-V2 paper; in the catalog since
    ("vicuna-12b", "unknown: vicuna, vicuna-v1.5"),
    ("vicuna-7b-v1.5", "vicuna-v1.5"),  # a project's checkpoint: its own alias, not Vicuna v1
    ("xyzzy", "unknown"),
]


@pytest.fixture(scope="module")
def index(catalog):
    return NameIndex.build(catalog)


@pytest.mark.parametrize("case", SPELLINGS, ids=[case[0] for case in SPELLINGS])
def test_real_world_spellings(index, case):
    spelling, expected, *extra = case
    if expected.startswith(("ambiguous", "unknown")):
        kind, _, listed = expected.partition(": ")
        with pytest.raises(NotFoundError) as caught:
            index.resolve(spelling)
        message = str(caught.value)
        if kind == "ambiguous":
            assert message == f"{spelling!r} is ambiguous; which one: {listed}?"
        else:
            assert message.startswith(f"unknown name {spelling!r}")
            if listed:
                assert f"did you mean: {listed}" in message
            else:
                assert "did you mean" not in message
        return
    resolution = index.resolve(spelling)
    assert resolution.entry_id == expected
    if extra and extra[0].startswith("using"):
        assert resolution.how in ("fuzzy", "checkpoint")
        assert resolution.note and resolution.note.startswith(extra[0])
    elif extra and " also names " in extra[0]:
        assert resolution.note and resolution.note.startswith(extra[0])
    elif extra:
        assert resolution.base == extra[0]
    else:
        assert resolution.how in ("id", "name") and resolution.note is None


def test_there_are_at_least_40_spellings():
    assert len(SPELLINGS) >= 40


def test_a_family_is_every_size_for_filters(catalog):
    index = NameIndex.build(catalog, ["base_models"])
    ids, note = index.resolve_many("pythia")
    assert set(ids) == {b.id for b in catalog.base_models if b.family == "Pythia"}
    assert note is None


def test_find_returns_the_entry_and_how(catalog):
    entry, resolution = find(catalog, "Vicuna-13B")
    assert entry.id == "vicuna" and resolution.base == "llama-13b"


@given(st.text(max_size=30))
def test_normalize_is_idempotent_and_ignores_separators(text):
    once = normalize(text)
    assert normalize(once) == once
    assert normalize(f" {text}_-") == once


def test_a_name_shared_between_sections_never_fails_unless_peers_compete(index):
    """Issue 13 counted 19 aliases of several sections that made `show` fail; now a name
    fails only where two entries of the winning section compete (a family: 'bloom')."""
    for spelling, ids in index.spellings.items():
        sections = {index.sections[i] for i in ids}
        if len(sections) < 2:
            continue
        try:
            resolution = index.resolve(spelling)
        except NotFoundError as refused:
            listed = str(refused).split("which one: ")[1].rstrip("?").split(", ")
            assert index.sections[listed[0]] == index.sections[listed[1]], spelling
        else:
            assert resolution.note and " also names " in resolution.note, spelling
