"""Lazy dataclasses behave as the dataclasses they declare, once anything needs them, and
the read path leaves most of them unmade (the start-up saving they exist for)."""

from __future__ import annotations

import dataclasses
import subprocess
import sys

import pytest

from llmtrack import lazyclass
from llmtrack.lazyclass import lazy_dataclass


def declare():
    """Fresh classes for each test: making one is a one-way change to the class."""

    @lazy_dataclass(frozen=True, eq=False)
    class Base:
        since: str | None = None

    @lazy_dataclass(frozen=True, eq=False)
    class Child(Base):
        bases: tuple = ()
        limit: int = dataclasses.field(default=3)

    @lazy_dataclass(kw_only=True)
    class Keyword:
        name: str
        count: int = 0

    return Base, Child, Keyword


def test_a_class_is_made_by_its_first_instance_bases_first():
    base, child, _ = declare()
    assert lazyclass.is_pending(base) and lazyclass.is_pending(child)
    made = child(since="2023", bases=("x",))
    assert not lazyclass.is_pending(child) and not lazyclass.is_pending(base)
    assert (made.since, made.bases, made.limit) == ("2023", ("x",), 3)
    assert [f.name for f in dataclasses.fields(child)] == ["since", "bases", "limit"]
    assert base().since is None  # the base works on its own afterwards too


def test_the_options_are_those_declared():
    base, child, keyword = declare()
    with pytest.raises(dataclasses.FrozenInstanceError):
        child().since = "2024"  # type: ignore[misc]
    with pytest.raises(TypeError):
        keyword("positional")  # type: ignore[misc]
    assert keyword(name="a") == keyword(name="a")  # eq=True generates __eq__
    assert child() != child()  # eq=False keeps identity
    assert "since=None" in repr(base())
    assert dataclasses.replace(child(bases=(1,)), limit=9).limit == 9


def test_fields_without_an_instance():
    _, child, keyword = declare()
    assert [f.name for f in lazyclass.fields(keyword)] == ["name", "count"]
    assert [f.name for f in lazyclass.fields(child)] == ["since", "bases", "limit"]


def test_a_made_class_is_an_ordinary_dataclass():
    _, _, keyword = declare()
    lazyclass.materialize(keyword)
    assert dataclasses.is_dataclass(keyword)
    assert dataclasses.asdict(keyword(name="a", count=2)) == {"name": "a", "count": 2}
    lazyclass.materialize(keyword)  # twice is harmless


def test_pydantic_validates_records_once_they_are_made():
    from llmtrack.catalog import validation

    adapters = validation.adapters()
    gpu = adapters["gpus"].validate_python(
        {"id": "x-gpu", "name": "X", "memory_gib": 24, "sources": ["https://example.org"]}
    )
    assert gpu.memory_gib == 24


def test_the_read_path_makes_only_the_classes_it_uses():
    code = (
        "import sys\n"
        "sys.argv = ['llmtrack', 'gpus', '--format', 'json']\n"
        "from llmtrack.cli import main\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        "from llmtrack.catalog.schema import RECORD_TYPES\n"
        "from llmtrack.lazyclass import is_pending\n"
        "sys.stderr.write(' '.join(n for n, c in RECORD_TYPES.items() if not is_pending(c)))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True
    )
    made = set(result.stderr.split())
    assert "Gpu" in made  # listed; projects too, the GPU's users are looked up
    assert {"BaseModelEntry", "Architecture", "Reference", "Stage", "Technique"}.isdisjoint(made)


@pytest.mark.parametrize(
    "args", [("schema",), ("schema", "--section", "projects"), ("validate", "--help")]
)
def test_commands_that_hand_records_to_pydantic_work_in_a_fresh_process(args):
    """In one test process earlier tests have made every class; a user's process has not."""
    result = subprocess.run(
        [sys.executable, "-m", "llmtrack", *args], capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    if args[0] == "schema":
        import json

        assert json.loads(result.stdout)["title"] == "llmtrack catalog file"
