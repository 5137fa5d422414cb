"""The shape of the code, guarded: no import circles, modules one can read in a sitting,
commands registered where typer's own tools see them, every allowed value derived from the
domain, the public API, and the start-up tricks that keep a warm command fast."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
import typing
from pathlib import Path

import pytest
import typer

from llmtrack.catalog import schema, values
from llmtrack.catalog.schema import SECTIONS
from llmtrack.cli import app
from llmtrack.cli.options import DETAIL_FORMATS
from llmtrack.memory.kvcache import KV_CACHE_TYPES
from llmtrack.memory.precisions import PRECISIONS
from llmtrack.memory.recipe import LORA_TARGETS, MODES, OPTIMIZERS
from llmtrack.output.compare import COMPARE_FORMATS
from llmtrack.output.export import EXPORT_FORMATS
from llmtrack.output.formats import FORMATS
from tests.conftest import REPO

PACKAGE = REPO / "src" / "llmtrack"
MODULES = sorted(PACKAGE.rglob("*.py"))
MAX_LINES = 420  # "about 400"


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def top_level_imports(path: Path) -> set[str]:
    """llmtrack modules imported when ``path`` is imported (not inside functions, not under
    TYPE_CHECKING); ``from pkg import sub`` counts as importing the submodule."""
    known = {module_name(p) for p in MODULES}
    found: set[str] = set()
    for node in ast.parse(path.read_text(encoding="utf-8")).body:
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names if alias.name.startswith("llmtrack")}
        elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("llmtrack"):
            for alias in node.names:
                child = f"{node.module}.{alias.name}"
                found.add(child if child in known else node.module)  # type: ignore[arg-type]
    return found - {module_name(path)}


def test_there_are_no_import_circles():
    graph = {module_name(p): top_level_imports(p) for p in MODULES}
    state: dict[str, str] = {}

    def visit(name: str, trail: list[str]) -> None:
        if state.get(name) == "done":
            return
        if state.get(name) == "active":
            raise AssertionError("import circle: " + " -> ".join([*trail, name]))
        state[name] = "active"
        for target in graph.get(name, ()):
            visit(target, [*trail, name])
        state[name] = "done"

    for name in graph:
        visit(name, [])


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_every_module_reads_in_one_sitting(path):
    assert len(path.read_text(encoding="utf-8").splitlines()) <= MAX_LINES


def test_the_commands_register_where_typer_docs_finds_them():
    result = subprocess.run(
        [sys.executable, "-m", "typer", "llmtrack.cli.application", "utils", "docs"],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    documented = {
        line.split("`")[1].split()[-1]
        for line in result.stdout.splitlines()
        if line.startswith("## `")
    }
    assert documented == set(typer.main.get_command(app).commands)  # type: ignore[attr-defined]
    assert len(documented) == 20


# --- every enumeration derived from the domain ---------------------------------------------


def parameter(command: str, option: str):
    """The click parameter of ``command`` named by its flag (or, for an argument, its name)."""
    params = typer.main.get_command(app).commands[command].params  # type: ignore[attr-defined]
    return next(p for p in params if option in getattr(p, "opts", ()) or p.name == option)


def option_help(command: str, option: str) -> str:
    return " ".join((parameter(command, option).help or "").split())


def completions(command: str, option: str, incomplete: str = "") -> list[str]:
    return [str(item.value) for item in parameter(command, option).shell_complete(None, incomplete)]


ENUMERATIONS = [
    ("list", "--method", values.METHODS),
    ("list", "--data-origin", values.DATA_ORIGINS),
    ("refs", "--kind", values.REFERENCE_KINDS),
    ("techniques", "--category", values.TECHNIQUE_CATEGORIES),
    ("estimate", "--mode", MODES),
    ("estimate", "--precision", PRECISIONS),
    ("estimate", "--optimizer", OPTIMIZERS),
    ("estimate", "--lora-targets", LORA_TARGETS),
    ("fits", "--mode", MODES),
    ("fits", "--precision", PRECISIONS),
    ("estimate", "--kv-cache", KV_CACHE_TYPES),
    ("fits", "--kv-cache", KV_CACHE_TYPES),
    ("list", "--format", FORMATS),
    ("search", "--section", SECTIONS),
    ("export", "--section", SECTIONS),
    ("timeline", "--section", SECTIONS),
    ("schema", "--section", SECTIONS),
    ("new", "section", SECTIONS),
    ("show", "--format", DETAIL_FORMATS),
    ("estimate", "--format", DETAIL_FORMATS),
    ("compare", "--format", COMPARE_FORMATS),
    ("export", "--format", EXPORT_FORMATS),
]


@pytest.mark.parametrize("command, option, allowed", ENUMERATIONS)
def test_help_names_every_allowed_value(command, option, allowed):
    shown = option_help(command, option).replace(",", " ").replace(".", " ").split()
    missing = [value for value in allowed if value not in shown]
    assert not missing, f"{command} {option} --help leaves out {missing}"


@pytest.mark.parametrize("command, option, allowed", ENUMERATIONS)
def test_completion_offers_every_allowed_value(command, option, allowed):
    assert set(completions(command, option)) == set(allowed)


def literal_values(hint) -> set[str]:
    found = set()
    for arg in typing.get_args(hint) or ():
        found |= literal_values(arg)
    if typing.get_origin(hint) is typing.Literal:
        found |= set(typing.get_args(hint))
    return found


@pytest.mark.parametrize("section", SECTIONS)
def test_the_template_names_every_allowed_value_of_every_field(cli, section):
    template = cli("new", section).stdout
    for cls in schema.RECORD_TYPES.values():
        if section not in _sections_using(cls):
            continue
        hints = typing.get_type_hints(cls, include_extras=True)
        for f in schema.fields_of(cls):
            for value in literal_values(hints[f.name]):
                assert value in template, f"new {section}: {cls.__name__}.{f.name} lacks {value}"


def _sections_using(cls: type) -> set[str]:
    """The sections whose entries hold a record of this class, at any depth."""
    found = set()
    for section, entry_type in schema.ENTRY_TYPES.items():
        if cls in _reachable(entry_type):
            found.add(section)
    return found


def _reachable(cls: type) -> set[type]:
    seen = {cls}
    for hint in typing.get_type_hints(cls).values():
        for arg in (
            hint,
            *typing.get_args(hint),
            *sum((typing.get_args(a) for a in typing.get_args(hint)), ()),
        ):
            if isinstance(arg, type) and issubclass(arg, schema.Record) and arg not in seen:
                seen |= _reachable(arg)
    return seen


def test_new_projects_documents_every_method(cli):
    template = cli("new", "projects").stdout
    methods_line = next(
        line for line in template.splitlines() if line.lstrip().startswith("methods:")
    )
    assert all(method in methods_line for method in values.METHODS)


def test_every_field_has_a_doc():
    undocumented = [
        f"{cls.__name__}.{f.name}"
        for cls in schema.RECORD_TYPES.values()
        for f in schema.fields_of(cls)
        if not f.metadata.get("doc")
    ]
    assert undocumented == []


def test_every_reference_field_names_a_section():
    targets = {
        f.metadata["ref"]
        for cls in schema.RECORD_TYPES.values()
        for f in schema.fields_of(cls)
        if f.metadata.get("ref")
    }
    assert targets <= set(SECTIONS)
    assert targets == {"base_models", "references", "gpus"}


# --- the public API ----------------------------------------------------------------------


def test_the_public_api_answers_as_the_cli_does(cli):
    import llmtrack

    catalog = llmtrack.load_catalog()
    assert llmtrack.find("Vicuna", catalog).id == "vicuna"
    selected = llmtrack.ProjectFilter(bases=["llama-7b"], methods=["lora"]).select(catalog)
    shown = json.loads(
        cli("list", "--base", "llama-7b", "--method", "lora", "--format", "json").stdout
    )
    assert [p.id for p in selected.entries] == [row["id"] for row in shown]
    estimate = llmtrack.estimate("llama-7b", catalog, mode="qlora")
    record = json.loads(cli("estimate", "llama-7b", "--mode", "qlora", "--format", "json").stdout)
    assert round(estimate.peak_gib, 3) == record["peak_gib"]
    assert llmtrack.search("sharegpt", catalog)
    assert set(llmtrack.__all__) <= set(dir(llmtrack))


def test_a_filter_refuses_an_unknown_value_when_built():
    import llmtrack
    from llmtrack.errors import UsageError

    with pytest.raises(UsageError, match="unknown method 'lorra'"):
        llmtrack.ProjectFilter(methods=["lorra"])


def test_filters_work_on_the_tiny_catalog(tiny_catalog):
    from llmtrack import filters

    assert [p.id for p in filters.ProjectFilter(bases=["toy"]).select(tiny_catalog).entries] == [
        "toy-chat",
        "toy-instruct",
    ]
    cheap = filters.ProjectFilter(max_cost_usd=100).select(tiny_catalog)
    assert [p.id for p in cheap.entries] == ["toy-chat"]
    assert cheap.notes == ["1 project with unknown cost left out."]
    opened = filters.BaseModelFilter(open_weights=True, params=(2 * 10**9, None))
    assert [b.id for b in opened.select(tiny_catalog).entries] == ["toy-7b"]
    assert [g.id for g in filters.GpuFilter(min_memory_gib=16).select(tiny_catalog).entries] == [
        "toy-gpu"
    ]
    dated = filters.ReferenceFilter(since="2024", until="2024-01-15").select(tiny_catalog)
    assert [r.id for r in dated.entries] == ["toy-paper"]


# --- start-up -------------------------------------------------------------------------------

# typer itself imports pydantic to coerce option values (so does its hello world); what must
# not load is our validation of catalog files, the YAML parser, the fuzzy matcher and rich.
HEAVY = ("ruamel", "rapidfuzz", "rich", "llmtrack.catalog.validation", "llmtrack.yamlsafe")


def imported_by(*args: str) -> set[str]:
    code = (
        "import sys\n"
        f"sys.argv = ['llmtrack', *{list(args)!r}]\n"
        "from llmtrack.cli import main\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        "sys.stderr.write(' '.join(sorted({*sys.modules, *(m.split('.')[0] for m in sys.modules)})))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True
    )
    return set(result.stderr.split())


@pytest.mark.parametrize(
    "args",
    [
        ("gpus", "--format", "json"),
        ("list", "--base", "llama-7b"),
        ("bases", "--format", "json"),
        ("show", "vicuna", "--format", "json"),
    ],
)
def test_a_warm_read_command_imports_nothing_heavy(args):
    heavy = imported_by(*args) & set(HEAVY)
    assert heavy == set(), f"llmtrack {' '.join(args)} imported {heavy}"


def test_the_config_folder_is_isolated_in_tests():
    from llmtrack.catalog.files import config_dir

    assert not str(config_dir()).startswith(str(Path.home() / ".config"))


def test_skipping_known_coercions_changes_no_value():
    """The start-up shortcut (``cli/coercion.py``) returns exactly what typer itself
    returns, for every parameter of every command: absent, at its default, and given as
    text the way the command line gives it."""
    from llmtrack.cli import coercion

    original = coercion.ORIGINAL_PROCESS_VALUE[0]
    assert original is not None, "typer's internals changed: the shortcut is off"
    group = typer.main.get_command(app)
    checked = skipped = 0
    for name, command in group.commands.items():  # type: ignore[attr-defined]
        context = command.make_context(name, ["--help"], resilient_parsing=True)
        for param in command.params:
            many = param.multiple or param.nargs == -1
            values = [None, param.get_default(context), "0", "24GB", "-1", "1e999", "", "007"]
            values += ["4096", "0.5", "3.", ".5", "1_000", " 8", "\u0663", "99999999999999"]
            values += [(), ("a", "b"), ["x"]] if many else []
            for value in values:
                param._runtime_param = None
                skipped += coercion.known_value(param, value) is not coercion.UNKNOWN
                fast = _outcome(param.process_value, context, value)
                param._runtime_param = None
                slow = _outcome(original, param, context, value)
                assert fast == slow, (name, param.name, value)
                checked += 1
    assert checked > 500 and skipped > 300


def _outcome(call, *args):
    """A call's value and its type, or the error it raised and its message."""
    try:
        value = call(*args)
    except Exception as exc:  # typer's errors for a bad value must be the same too
        return type(exc), str(exc)
    return value, type(value)


def test_a_command_given_only_strings_never_imports_pydantic():
    """The shortcut's point: the first TypeAdapter imports half of typer's start-up."""
    assert "pydantic" not in imported_by("fits", "--vram", "24GB", "--format", "json")
    assert "pydantic" not in imported_by("estimate", "llama-7b", "--gpu", "RTX 4090")
    assert "pydantic" not in imported_by("estimate", "llama-7b", "--seq-len", "4096")


def test_a_guessed_name_is_said_in_the_python_api_too():
    import llmtrack

    catalog = llmtrack.load_catalog()
    with pytest.warns(UserWarning, match="using vicuna for 'vicunna'"):
        llmtrack.find("vicunna", catalog)
    with pytest.warns(UserWarning, match="estimating Vicuna on its base model llama-13b"):
        llmtrack.estimate("vicuna-13b", catalog)


def test_no_module_imports_another_modules_private_names():
    private = []
    for path in MODULES:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("llmtrack"):
                private += [
                    f"{module_name(path)}: {node.module}.{alias.name}"
                    for alias in node.names
                    if alias.name.startswith("_") and not alias.name.startswith("__")
                ]
    assert private == []


def test_the_package_lists_the_api_it_imports_lazily():
    """``llmtrack/__init__`` names the API without importing it (start-up); the two lists
    must agree."""
    import llmtrack
    import llmtrack.api

    assert set(llmtrack.__all__) - {"__version__"} == set(llmtrack.api.__all__)
