"""Properties over every parser: any input gives a value or the parser's own clean error."""

from __future__ import annotations

import string

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from llmtrack import query
from llmtrack.catalog import rows as records
from llmtrack.catalog.validation import load_layers
from llmtrack.errors import CatalogError, NotFoundError, UsageError
from llmtrack.match import NameIndex
from llmtrack.units import parse_date, parse_params, parse_params_range, parse_usd

texts = st.text(max_size=40)
numbers = st.integers(min_value=1, max_value=10**6)


def value_or_usage_error(parse, text):
    try:
        return parse(text)
    except UsageError:
        return None


@given(texts)
def test_parameter_counts(text):
    count = value_or_usage_error(parse_params, text)
    assert count is None or count >= 0


@given(numbers, st.sampled_from(["", "K", "M", "B", "T", "k", "m", "b", "t"]))
def test_parameter_counts_scale(n, unit):
    scale = {"": 1, "k": 10**3, "m": 10**6, "b": 10**9, "t": 10**12}[unit.lower()]
    assert parse_params(f"{n}{unit}") == n * scale


@given(texts)
def test_parameter_ranges(text):
    bounds = value_or_usage_error(parse_params_range, text)
    if bounds is not None:
        low, high, _ = bounds
        assert low is None or high is None or low <= high


@given(texts)
def test_money(text):
    amount = value_or_usage_error(parse_usd, text)
    assert amount is None or amount >= 0


@given(texts)
def test_dates(text):
    date = value_or_usage_error(parse_date, text)
    assert date is None or query.date_span(date)[0] <= query.date_span(date)[1]


@given(st.dates())
def test_every_real_date_parses(day):
    assert parse_date(day.isoformat()) == day.isoformat()


@given(texts)
def test_sort_specs(text):
    valid = records.field_names("projects")
    key = value_or_usage_error(lambda t: query.SortKey.parse(t, valid), text)
    assert key is None or key.field in valid


@given(texts)
def test_field_specs(text):
    valid = records.field_names("base_models")
    fields = value_or_usage_error(lambda t: query.parse_fields(t, valid), text)
    assert fields is None or set(fields) <= set(valid)


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture], max_examples=200)
@given(texts)
def test_name_resolution(catalog, text):
    index = _index(catalog)
    try:
        resolution = index.resolve(text)
    except NotFoundError as error:
        assert str(error)
        return
    catalog.get(resolution.entry_id)  # a real entry


_INDEXES: dict[int, NameIndex] = {}


def _index(catalog):
    """Built once: hypothesis calls the test hundreds of times with one catalog."""
    return _INDEXES.setdefault(id(catalog), NameIndex.build(catalog))


yamlish = st.text(alphabet=string.printable + "çé中文", max_size=200) | st.builds(
    lambda rows: "gpus:\n" + "".join(rows),
    st.lists(st.sampled_from([
        "- id: card\n", "  name: Card\n", "  memory_gib: 24\n", "  sources: [https://e.org]\n",
        "  memory_gib: -1\n", "  colour: red\n", "- &a {id: x}\n", "- *a\n", "  name: !!binary aGk=\n",
        "  released: 2023-02-30\n", "  bf16: maybe\n", "- [1, 2]\n", "  aliases: {a: 1}\n",
    ]), max_size=12),
)  # fmt: skip


@settings(max_examples=150, deadline=None)
@given(yamlish)
def test_the_loader_gives_a_catalog_or_a_clean_error(text):
    try:
        loaded = load_layers([[("fuzz.yaml", text.encode("utf-8"))]])
    except CatalogError as error:
        assert error.problems and all(p.file == "fuzz.yaml" for p in error.problems)
        return
    assert all(isinstance(entries, list) for entries in loaded.sections.values())
