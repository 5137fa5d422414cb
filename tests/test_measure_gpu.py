"""benchmarks/measure_gpu.py, the script a session with a GPU runs (issue 17): its shapes are
the catalog's, its grid is what the issue asks for, and the rows it writes are ones the
fixture's checks can estimate. No GPU and no torch: the script imports torch only to run."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

from tests.memory_fixture import check

_SCRIPT = Path(__file__).resolve().parent.parent / "benchmarks" / "measure_gpu.py"


@pytest.fixture(scope="module")
def script():
    spec = importlib.util.spec_from_file_location("measure_gpu", _SCRIPT)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    yield module
    del sys.modules[spec.name]


@pytest.mark.parametrize("model", ["llama-7b", "llama-13b", "mixtral-8x7b"])
def test_its_shapes_are_the_catalogs(catalog, script, model):
    arch = catalog.get(model).architecture
    shape = script.SHAPES[model]
    assert shape["hidden_size"] == arch.hidden_size
    assert shape["intermediate_size"] == (arch.expert_ffn_size or arch.ffn_size)
    assert shape["num_hidden_layers"] == arch.layers
    assert shape["num_attention_heads"] == arch.heads
    assert shape["num_key_value_heads"] == (arch.kv_heads or arch.heads)
    assert shape["vocab_size"] == arch.vocab_size
    assert shape.get("num_local_experts") == arch.experts
    assert shape.get("num_experts_per_tok") == arch.experts_per_token


def test_the_grid_covers_what_the_issue_asks(script):
    grid = script.cases(quick=False)
    assert {c.model for c in grid} == {"llama-7b", "llama-13b", "mixtral-8x7b"}
    assert {(c.mode, c.precision) for c in grid} == {
        ("inference", "fp16"), ("inference", "nf4"), ("lora", "bf16"), ("qlora", "nf4-dq")
    }  # fmt: skip
    assert min(c.seq_len for c in grid) == 512 and max(c.seq_len for c in grid) == 4096
    assert {c.batch for c in grid} == {1, 4, 8}
    assert len({c.id for c in grid}) == len(grid)
    quick = script.cases(quick=True)
    assert len(quick) == 4 and all(c in grid for c in quick)


def test_its_rows_are_ones_the_fixture_can_estimate(catalog, script):
    figures = {"outcome": "fits", "allocated": 20 * 2**30, "reserved": 21 * 2**30,
               "nvml_device_used": 22 * 2**30}  # fmt: skip
    for case in script.cases(quick=True):
        rows = script.rows_of(case, figures, "measured on a test")
        assert [r["compare"] for r in rows] == ["allocated", "reserved", "peak"]
        for row in rows:
            checked = check(catalog, row)
            assert checked.measured_gib in (20, 21, 22)
            assert checked.estimated_gib > 0


def test_an_out_of_memory_case_is_a_statement(script):
    case = script.cases(quick=True)[0]
    (row,) = script.rows_of(case, {"outcome": "oom"}, "measured on a test")
    assert row["outcome"] == "oom" and "measured" not in row
