"""Bringing your own catalog files: overlays, validation, safety, schema and templates."""

from __future__ import annotations

import io
import json
import textwrap
import time

import pytest
from ruamel.yaml import YAML

from tests.conftest import run

MY_MODELS = """\
base_models:
- id: tiny-7b
  name: Tiny-7B
  family: Tiny
  org: My lab
  params: 6700000000
  access: open-weights
  context_length: 4096
  architecture: {layers: 32, hidden_size: 4096, heads: 32, ffn_size: 11008, ffn_kind: gated,
                 vocab_size: 32000, tied_embeddings: false}
  sources: [https://example.org/tiny]
projects:
- id: tiny-chat
  name: Tiny Chat
  base_models: [tiny-7b, llama-7b]
  methods: [sft, lora]
  training: {gpu: rtx-4090, gpu_count: 1, hours: 5}
  sources: [https://example.org/tiny-chat]
- id: vicuna
  name: Vicuna (my notes)
  base_models: [llama-13b]
  sources: [https://example.org/my-vicuna-notes]
"""


@pytest.fixture
def mine(tmp_path):
    path = tmp_path / "mine.yaml"
    path.write_text(MY_MODELS, encoding="utf-8")
    return path


@pytest.fixture(autouse=True)
def _no_user_config(tmp_path, monkeypatch):
    """Each test starts with an empty config folder and no LLMTRACK_CATALOG."""
    monkeypatch.setenv("LLMTRACK_CONFIG_DIR", str(tmp_path / "config"))
    monkeypatch.delenv("LLMTRACK_CATALOG", raising=False)


def write(tmp_path, name: str, text: str):
    path = tmp_path / name
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


# --- overlays ----------------------------------------------------------------------------


def test_an_overlay_adds_and_replaces_entries(cli, mine):
    result = cli("--catalog", str(mine), "list", "--base", "tiny-7b", "--fields", "id,base_models")
    assert result.exit_code == 0
    assert result.stdout.splitlines()[1] == "tiny-chat\ttiny-7b;llama-7b"
    assert result.stderr == f"{mine} replaces 1 earlier entry: vicuna\n"
    vicuna = json.loads(cli("--catalog", str(mine), "show", "vicuna", "-f", "json").stdout)
    assert vicuna["name"] == "Vicuna (my notes)" and vicuna["base_models"] == ["llama-13b"]
    assert json.loads(cli("show", "vicuna", "-f", "json").stdout)["name"] == "Vicuna"  # bundled


def test_an_overlay_model_works_with_every_command(cli, mine):
    estimate = json.loads(cli("--catalog", str(mine), "estimate", "tiny-7b", "-f", "json").stdout)
    assert estimate["model"] == "tiny-7b" and estimate["peak_gib"] > 12
    fits = json.loads(cli("--catalog", str(mine), "fits", "--vram", "24GB", "-f", "json").stdout)
    assert ("tiny-chat", "training") in {(r["model"], r["mode"]) for r in fits}


def test_sources_lists_every_file_and_what_it_gave(cli, mine):
    rows = json.loads(cli("--catalog", str(mine), "sources", "--format", "json").stdout)
    assert [r["layer"] for r in rows] == ["bundled"] * 6 + ["command line"]
    assert rows[-1] == {
        "path": str(mine),
        "layer": "command line",
        "entries": 3,
        "replaced": ["vicuna"],
    }
    assert rows[1]["path"] == "data/projects.yaml" and rows[1]["entries"] >= 22


def test_config_folder_then_environment_then_command_line(cli, tmp_path, monkeypatch):
    folder = tmp_path / "config" / "catalog.d"
    folder.mkdir(parents=True)
    entry = "gpus:\n- id: my-card\n  name: {name}\n  memory_gib: 48\n  sources: [https://example.org/c]\n"
    (folder / "a.yaml").write_text(entry.format(name="from config"))
    from_env = write(tmp_path, "env.yaml", entry.format(name="from environment"))
    from_cli = write(tmp_path, "cli.yaml", entry.format(name="from command line"))

    def name(*args):
        return json.loads(cli(*args, "show", "my-card", "-f", "json").stdout)["name"]

    assert name() == "from config"
    monkeypatch.setenv("LLMTRACK_CATALOG", str(from_env))
    assert name() == "from environment"
    assert name("--catalog", str(from_cli)) == "from command line"


def test_no_bundled_uses_only_the_given_files(cli, tmp_path):
    alone = write(
        tmp_path,
        "alone.yaml",
        """\
        gpus:
        - id: my-card
          name: My card
          memory_gib: 48
          sources: [https://example.org/c]
        """,
    )
    rows = json.loads(cli("--no-bundled", "--catalog", str(alone), "gpus", "-f", "json").stdout)
    assert [r["id"] for r in rows] == ["my-card"]
    result = cli("--no-bundled", "--catalog", str(alone), "show", "vicuna")
    assert result.exit_code == 1


# --- malformed files: the same located messages from validate and from any command ---------

BROKEN = [
    (
        "syntax error",
        "base_models:\n- id: x\n  name: [unclosed\n",
        "broken.yaml:4:1: YAML syntax: ",
    ),
    (
        "wrong type",
        "gpus:\n- id: my-card\n  name: Card\n  memory_gib: lots\n  sources: [https://e.org]\n",
        "broken.yaml:4:3: my-card.memory_gib: Input should be a valid number, unable to parse string as a number",
    ),
    (
        "unknown key",
        "gpus:\n- id: my-card\n  name: Card\n  memory_gib: 24\n  colour: red\n  sources: [https://e.org]\n",
        "broken.yaml:5:3: my-card.colour: unknown key",
    ),
    (
        "duplicate key",
        "gpus:\n- id: my-card\n  name: Card\n  name: Again\n  memory_gib: 24\n  sources: [https://e.org]\n",
        'broken.yaml:4:3: YAML syntax: found duplicate key "name" with value "Again" (original value: "Card")',
    ),
    (
        "dangling base model",
        "projects:\n- id: my-tune\n  name: My tune\n  base_models: [llama-7x]\n  sources: [https://e.org]\n",
        "broken.yaml:4:17: my-tune.base_models.0: unknown base model id 'llama-7x'",
    ),
]


@pytest.mark.parametrize("case, text, line", BROKEN, ids=[case[0] for case in BROKEN])
def test_a_broken_file_is_reported_with_file_line_and_column(
    cli, tmp_path, monkeypatch, case, text, line
):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "broken.yaml").write_text(text, encoding="utf-8")
    checked = cli("validate", "broken.yaml")
    assert checked.exit_code == 1
    assert checked.stdout.splitlines()[0].startswith(line)
    loaded = cli("--catalog", "broken.yaml", "list")
    assert loaded.exit_code == 1 and loaded.stdout == ""
    first, last = loaded.stderr.splitlines()[0], loaded.stderr.splitlines()[-1]
    assert first.startswith(line)
    assert last.startswith("Error: invalid catalog file broken.yaml: 1 problem")


def test_validate_reports_every_problem_not_just_the_first(cli, tmp_path):
    path = write(
        tmp_path,
        "many.yaml",
        """\
        gpus:
        - id: Bad Id
          name: Card
          memory_gib: -1
          sources: [not-a-url]
        - id: card-2
          memory_gib: 24
          sources: [https://e.org]
        """,
    )
    result = cli("validate", str(path))
    lines = result.stdout.splitlines()
    assert result.exit_code == 1
    assert len(lines) == 4
    assert any(".id: 'Bad Id' is not a lowercase slug" in line for line in lines)
    assert any("card-2.name: required field is missing" in line for line in lines)
    assert result.stderr == "1 file: 4 errors, 0 warnings\n"


def test_validate_warns_about_implausible_values(cli, tmp_path):
    path = write(
        tmp_path,
        "odd.yaml",
        """\
        gpus:
        - id: future-card
          name: Future card
          memory_gib: 900000
          released: "2999-01"
          sources: [https://e.org]
        """,
    )
    result = cli("validate", str(path))
    assert result.exit_code == 0
    assert f"{path}:5:3: future-card.released: warning: 2999-01 is in the future" in result.stdout
    assert (
        "future-card.memory_gib: warning: 900000 GiB is over 100 times the largest GPU preset"
        in result.stdout
    )


def test_validate_the_bundled_data_files(cli):
    from llmtrack.catalog.files import bundled_paths

    result = cli("validate", *bundled_paths())
    assert result.exit_code == 0, result.stdout
    assert result.stderr == "6 files: 0 errors, 0 warnings\n"


# --- untrusted files are refused cleanly ---------------------------------------------------


def test_a_python_object_tag_is_refused(tmp_path):
    marker = tmp_path / "pwned"
    path = write(
        tmp_path,
        "evil.yaml",
        f"""\
        gpus:
        - id: evil
          name: !!python/object/apply:os.system ["touch {marker}"]
          memory_gib: 1
          sources: [https://e.org]
        """,
    )
    result = run("--catalog", str(path), "gpus")
    assert result.returncode == 1
    assert f"{path}:3:9: tag !!python/object/apply:os.system is not allowed" in result.stderr
    assert "Traceback" not in result.stderr
    assert not marker.exists()


def test_a_billion_laughs_file_is_refused_quickly(tmp_path):
    levels = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for n, name in enumerate("bcdefghi"):
        previous = "abcdefghi"[n]
        levels.append(f"{name}: &{name} [" + ",".join([f"*{previous}"] * 9) + "]")
    path = write(tmp_path, "bomb.yaml", "\n".join(levels) + "\n")
    started = time.perf_counter()
    result = run("validate", str(path))
    assert time.perf_counter() - started < 20
    assert result.returncode == 1
    assert "aliases expand this file by more than 10,000 nodes; refused" in result.stdout


def test_a_huge_file_is_refused_before_parsing(cli, tmp_path, monkeypatch):
    path = tmp_path / "huge.yaml"
    path.write_bytes(b"# " + b"x" * (2 * 1024**2) + b"\n")
    monkeypatch.setenv("LLMTRACK_MAX_FILE_SIZE", "1MB")
    result = cli("--catalog", str(path), "gpus")
    assert result.exit_code == 1
    assert (
        "2.0 MiB is over the 1 MiB limit for catalog files; set LLMTRACK_MAX_FILE_SIZE"
        in result.stderr
    )
    monkeypatch.setenv("LLMTRACK_MAX_FILE_SIZE", "3MB")
    assert cli("--catalog", str(path), "gpus").exit_code == 0  # a comment-only file is empty


def test_a_binary_file_is_refused(cli, tmp_path):
    path = tmp_path / "model.bin"
    path.write_bytes(bytes(range(256)) * 4)
    result = cli("--catalog", str(path), "gpus")
    assert result.exit_code == 1
    assert f"{path}: a binary file, not YAML or JSON text" in result.stderr


def test_a_missing_file_is_an_error(cli, tmp_path):
    result = cli("--catalog", str(tmp_path / "nope.yaml"), "gpus")
    assert result.exit_code == 1 and "No such file or directory" in result.stderr


def test_loading_a_bad_file_changes_no_file(cli, tmp_path):
    path = write(tmp_path, "bad.yaml", "gpus:\n- id: x\n  name: [\n")
    before = (path.read_bytes(), path.stat().st_mtime_ns)
    files_before = sorted(p.name for p in tmp_path.iterdir())
    assert cli("--catalog", str(path), "gpus").exit_code == 1
    assert (path.read_bytes(), path.stat().st_mtime_ns) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == files_before


# --- JSON files, schema and templates ------------------------------------------------------


def test_a_json_catalog_file_works(cli, tmp_path):
    data = {
        "gpus": [
            {
                "id": "json-card",
                "name": "JSON card",
                "memory_gib": 12,
                "sources": ["https://example.org/j"],
            }
        ]
    }
    path = tmp_path / "cards.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    assert "json-card" in cli("--catalog", str(path), "gpus", "--fields", "id").stdout


def test_schema_describes_every_section(cli):
    schema = json.loads(cli("schema").stdout)
    assert schema["$schema"].startswith("https://json-schema.org/")
    assert set(schema["properties"]) == {
        "base_models",
        "projects",
        "references",
        "stages",
        "techniques",
        "gpus",
    }
    assert schema["additionalProperties"] is False
    project = schema["$defs"]["Project"]
    assert {"id", "name", "base_models", "sources"} <= set(project["required"])
    only = json.loads(cli("schema", "--section", "gpus").stdout)
    assert list(only["properties"]) == ["gpus"]


@pytest.mark.parametrize(
    "section", ["base_models", "projects", "references", "stages", "techniques", "gpus"]
)
def test_new_prints_a_template_that_validates_and_keeps_its_comments(cli, tmp_path, section):
    text = cli("new", section).stdout
    path = tmp_path / f"new-{section}.yaml"
    path.write_text(text, encoding="utf-8")
    assert cli("validate", str(path)).exit_code == 0
    assert "# required" in text and "# optional" in text
    yaml = YAML()  # round-trip mode
    buffer = io.StringIO()
    yaml.dump(yaml.load(text), buffer)
    again = buffer.getvalue()

    def comments(document: str) -> list[str]:
        return [line[line.index("#") :] for line in document.splitlines() if "#" in line]

    assert comments(again) == comments(text)
    assert yaml.load(again) == yaml.load(text)


def test_new_shows_every_field_of_the_section(cli):
    import dataclasses

    from llmtrack.catalog.schema import Project

    text = cli("new", "projects").stdout
    for field in dataclasses.fields(Project):
        assert f"{field.name}:" in text, field.name
