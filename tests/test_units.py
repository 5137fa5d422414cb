from __future__ import annotations

import contextlib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from llmtrack.errors import UsageError
from llmtrack.units import format_params, format_usd, parse_memory_gib


@pytest.mark.parametrize("text", ["24GB", "24G", "24GiB", "24 gb", "24", " 24 GB "])
def test_memory_sizes_follow_gpu_convention(text):
    assert parse_memory_gib(text) == 24


def test_memory_units_scale():
    assert parse_memory_gib("512MB") == 0.5
    assert parse_memory_gib("1TB") == 1024


@pytest.mark.parametrize("text", ["banana", "", "-4GB", "0GB", "24 PB", "1e3GB"])
def test_bad_memory_sizes_are_usage_errors(text):
    with pytest.raises(UsageError):
        parse_memory_gib(text)


@given(st.text(max_size=20))
def test_any_text_is_a_size_or_a_usage_error(text):
    with contextlib.suppress(UsageError):
        assert parse_memory_gib(text) > 0


@pytest.mark.parametrize(
    "count, shown",
    [
        (6738415616, "6.74B"),
        (124000000, "124M"),
        (175000000000, "175B"),
        (13015864320, "13B"),
        (None, ""),
    ],
)
def test_format_params(count, shown):
    assert format_params(count) == shown


def test_format_usd():
    assert format_usd(600) == "$600"
    assert format_usd(0.595) == "$0.59" or format_usd(0.595) == "$0.60"
    assert format_usd(None) == ""


# --- user-given memory sizes (GPU convention) ------------------------------------------

from llmtrack.units import format_gib  # noqa: E402

sizes = st.floats(min_value=1e-3, max_value=1e6, allow_nan=False, allow_infinity=False)


@given(sizes)
def test_parse_of_format_is_identity(gib):
    assert parse_memory_gib(format_gib(gib)) == gib


@given(st.integers(min_value=1, max_value=100_000), st.sampled_from(["gb", "GB", "Gb", "g", "G", "gib", "GiB"]),
       st.sampled_from(["", " ", "  "]))  # fmt: skip
def test_case_and_spaces_do_not_matter(n, unit, space):
    assert parse_memory_gib(f"{space}{n}{space}{unit}{space}") == n


@given(st.integers(min_value=1, max_value=10**6), st.integers(min_value=1, max_value=10**6))
def test_bigger_numbers_are_bigger_sizes(a, b):
    assert (parse_memory_gib(f"{a}GB") <= parse_memory_gib(f"{b}GB")) == (a <= b)
    assert parse_memory_gib(f"{a}MiB") < parse_memory_gib(f"{a}GiB") < parse_memory_gib(f"{a}TB")


@pytest.mark.parametrize(
    "text",
    ["24GB", "24G", "24 GiB", "24gb", "1.5TB", "512MiB", "24576MB"],
)
def test_the_documented_spellings(text):
    assert parse_memory_gib(text) in (24, 1536, 0.5)


@pytest.mark.parametrize(
    "text", ["nan", "inf", "1e3GB", "-24GB", "0GB", "٢٤GB", "24 GB RAM", "0x18GB", "1" * 400]
)
def test_rejects_junk_with_an_example(text):
    with pytest.raises(UsageError, match=r"e\.g\. 24GB"):
        parse_memory_gib(text)


def test_metal_share_follows_the_measurements():
    from llmtrack.memory.unified import gpu_share, usable_gib

    assert usable_gib(16)[0] == pytest.approx(10.667, abs=1e-3)  # 10922.67 MiB measured
    assert usable_gib(32)[0] == pytest.approx(21.333, abs=1e-3)  # 21845.34 MB measured
    assert usable_gib(64)[0] == 48 and usable_gib(96)[0] == 72  # 49152 MiB, 73728 MB
    assert gpu_share(36) == 2 / 3  # unmeasured between 32 and 64: the smaller share
