"""The error policy has no holes: the command line driven with generated arguments and
generated catalog files never says 'unexpected' (the code's own words for a bug) and
always exits with a documented code.

Strategies (described in docs/development.md, "Property tests"):
- arguments: a command, then options drawn from what that command takes, each with a value
  that is valid, odd (empty, blank, negative, 10**400, 1e400, NaN, control characters,
  other scripts' digits, very long) or of the wrong kind;
- catalog files: a mapping of section names (real ones, misspelled, odd) to lists of
  entries whose keys are real field names or not, and whose values are strings (with
  control and bidirectional characters), huge and non-finite numbers, lists and nested
  mappings; written as YAML or JSON, and read by `validate` and by `--catalog ... list`.
"""

from __future__ import annotations

import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from llmtrack.cli import app

DOCUMENTED = {0, 1, 2, 130}

ODD = st.sampled_from(
    [
        "",
        " ",
        "-1",
        "0",
        str(10**400),
        "1e400",
        "nan",
        "inf",
        "\x1b[2J",
        "\u202e7B",
        "٢٠٢٣",
        "x" * 5000,
        "24GB",
        "7B",
        "llama-7b",
        "2023-13-40",
        "../../etc/passwd",
    ]
)
VALUE = ODD | st.text(max_size=12)
# What each command takes (options with a value; flags are drawn as themselves).
COMMANDS = {
    "list": ["--base", "--method", "--org", "--lang", "--max-cost", "--since", "--vram"],
    "bases": ["--family", "--params", "--org", "--since", "--until"],
    "refs": ["--kind", "--since"],
    "techniques": ["--category"],
    "gpus": ["--min-memory", "--since"],
    "search": [],
    "show": [],
    "estimate": ["--mode", "--precision", "--seq-len", "--batch", "--lora-rank", "--gpu"],
    "fits": ["--vram", "--gpu", "--gpus", "--mode", "--precision", "--seq-len", "--batch"],
    "timeline": ["--by", "--section", "--since"],
    "new": [],
    "schema": ["--section"],
}
LISTING = ["--format", "--sort", "--fields", "--limit"]
NEEDS_NAME = {"search", "show", "estimate", "new"}


@st.composite
def command_lines(draw) -> list[str]:
    command = draw(st.sampled_from(sorted(COMMANDS)))
    argv = [command]
    if command in NEEDS_NAME:
        argv.append(draw(VALUE | st.sampled_from(["vicuna", "llama-7b", "projects"])))
    options = COMMANDS[command] + (LISTING if command not in ("show", "new", "schema") else [])
    for option in draw(st.lists(st.sampled_from(options), max_size=4) if options else st.just([])):
        argv += [option, draw(VALUE)]
    return argv


def _check(result) -> None:
    said = (result.stdout or "") + (result.stderr or "")
    assert result.exit_code in DOCUMENTED, said[-500:]
    assert "unexpected" not in said, said[-500:]
    assert "Traceback" not in said


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(command_lines())
def test_generated_command_lines_end_in_a_documented_way(argv):
    _check(CliRunner().invoke(app, argv, catch_exceptions=False))


SECTIONS = st.sampled_from(
    ["base_models", "projects", "gpus", "references", "stages", "techniques", "project", "", "x"]
)
KEYS = st.sampled_from(
    ["id", "name", "sources", "base_models", "memory_gib", "params", "released", "aliases",
     "architecture", "layers", "cost", "variants", "notes", "family", "bogus"]
)  # fmt: skip
SCALARS = (
    st.text(max_size=20)
    | st.sampled_from(["g", "llama-7b", "https://e.org", "\x1b]0;t\x07", "a\u202eb", "\u200b"])
    | st.integers(min_value=-(10**30), max_value=10**30)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.booleans()
    | st.none()
)
VALUES = st.recursive(
    SCALARS,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(KEYS, inner, max_size=3),
    max_leaves=12,
)
ENTRIES = st.dictionaries(KEYS, VALUES, max_size=6)
FILES = st.dictionaries(SECTIONS, st.lists(ENTRIES, max_size=3), max_size=3)


@settings(
    max_examples=80,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(FILES, st.booleans())
def test_generated_catalog_files_are_read_or_refused_cleanly(tmp_path, document, as_json):
    path = tmp_path / ("generated.json" if as_json else "generated.yaml")
    text = json.dumps(document, allow_nan=True)  # YAML reads JSON; NaN as the YAML .nan
    if not as_json:
        text = text.replace("NaN", ".nan").replace("-Infinity", "-.inf")
        text = text.replace("Infinity", ".inf")
    path.write_text(text, encoding="utf-8")
    for argv in (["validate", str(path)], ["--catalog", str(path), "list", "-n", "2"]):
        result = CliRunner().invoke(app, argv, catch_exceptions=False)
        _check(result)
        assert result.exit_code in (0, 1)
