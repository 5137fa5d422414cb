"""Name resolution: what real spellings resolve to."""

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
    ],
)
def test_normalize(spelling, expected):
    assert normalize(spelling) == expected


@pytest.mark.parametrize(
    "spelling, entry_id",
    [
        ("vicuna", "vicuna"),
        ("Vicuna-13B", "vicuna"),
        ("alpaca", "alpaca"),
        ("Stanford Alpaca", "alpaca"),
        ("alpaca lora", "alpaca-lora"),
        ("Dolly v2", "dolly-v2"),
        ("stack llama", "stackllama"),
        ("LLaMA 7B", "llama-7b"),
        ("opt 1.3b", "opt-1.3b"),
        ("OPT-13B", "opt-13b"),
        ("RTX 4090", "rtx-4090"),
        ("ChatGLM-6B", "chatglm-6b"),
        ("lora", "lora"),
        ("sft", "sft"),
    ],
)
def test_find_resolves_real_spellings(catalog, spelling, entry_id):
    assert find(catalog, spelling).id == entry_id


def test_a_family_is_every_size_for_filters_and_a_question_for_show(catalog):
    index = NameIndex.build(catalog, ["base_models"])
    assert set(index.resolve_many("pythia")) == {
        b.id for b in catalog.base_models if b.family == "Pythia"
    }
    with pytest.raises(NotFoundError, match=r"ambiguous; which one: .*pythia-70m"):
        find(catalog, "pythia")


def test_unknown_names_get_close_suggestions_only(catalog):
    with pytest.raises(NotFoundError, match=r"did you mean: vicuna"):
        find(catalog, "vicunna")
    with pytest.raises(NotFoundError) as caught:
        find(catalog, "qwxzy")
    assert "did you mean" not in str(caught.value)


@given(st.text(max_size=30))
def test_normalize_is_idempotent_and_ignores_separators(text):
    once = normalize(text)
    assert normalize(once) == once
    assert normalize(f" {text}_-") == once
