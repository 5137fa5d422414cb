"""Filters, sorting, formats, export and compare, as a user sees them."""

from __future__ import annotations

import csv
import io
import json

import pytest

from llmtrack.catalog.store import Catalog
from llmtrack.catalog.validation import load_entries


def ids(result) -> list[str]:
    return [row["id"] for row in csv.DictReader(io.StringIO(result.stdout), delimiter="\t")]


# --- list filters --------------------------------------------------------------------


def test_commercial_excludes_projects_trained_on_non_commercial_data(cli, catalog):
    commercial = ids(cli("list", "--commercial", "--fields", "id"))
    assert "dolly-v2" in commercial  # Pythia + databricks-dolly-15k (CC BY-SA)
    assert "alpaca" not in commercial and "alpaca-lora" not in commercial  # Alpaca data: CC BY-NC
    for project in catalog.projects:
        data_license = (project.data.license or "") if project.data else ""
        if "NC" in data_license or "non-commercial" in data_license.lower():
            assert project.id not in commercial, project.id


def test_open_weights_and_license_filters(cli):
    open_ids = ids(cli("list", "--open-weights", "--fields", "id"))
    assert "vicuna" in open_ids and "arxiv-chat" not in open_ids
    apache = ids(cli("list", "--license", "apache", "--fields", "id"))
    assert "alpaca" in apache  # code license Apache-2.0


def test_language_and_data_origin(cli):
    chinese = ids(cli("list", "--lang", "zh", "--fields", "id"))
    assert {"belle-bloomz", "chinese-llama-alpaca", "firefly", "moss-003"} <= set(chinese)
    assert "alpaca" not in chinese
    human = ids(cli("list", "--data-origin", "human-written", "--fields", "id"))
    assert "dolly-v2" in human
    shared = ids(cli("list", "--data-origin", "user-shared", "--fields", "id"))
    assert {"vicuna", "koala"} <= set(shared)


def test_max_cost_keeps_known_costs_and_says_what_it_left_out(cli):
    result = cli("list", "--max-cost", "$300", "--fields", "id,cost.total_usd")
    rows = list(csv.DictReader(io.StringIO(result.stdout), delimiter="\t"))
    assert rows and all(float(row["cost.total_usd"]) <= 300 for row in rows)
    assert "vicuna" in {row["id"] for row in rows}
    assert "with unknown cost left out." in result.stderr


def test_since_and_until_overlap_partial_dates(cli):
    april = ids(cli("list", "--since", "2023-04", "--until", "2023-04-30", "--fields", "id"))
    assert "koala" in april and "alpaca" not in april
    assert ids(cli("refs", "--until", "2019", "--fields", "id"))  # papers of 2019 and before


@pytest.mark.parametrize(
    "spec, expected_in, expected_out",
    [
        ("6B..7B", {"llama-7b", "pythia-6.9b", "gpt-j-6b"}, {"llama-13b"}),
        ("..200M", {"pythia-70m", "gpt-2"}, {"gpt-2-xl"}),
        ("100B..", {"bloom-176b", "opt-175b", "palm-540b"}, {"llama-65b"}),
        ("6738415616", {"llama-7b"}, {"opt-6.7b"}),
    ],
)
def test_bases_params_range(cli, spec, expected_in, expected_out):
    found = set(ids(cli("bases", "--params", spec, "--fields", "id")))
    assert expected_in <= found
    assert not expected_out & found


@pytest.mark.parametrize(
    "args",
    [
        ["bases", "--params", "lots"],
        ["bases", "--params", "13B..6B"],
        ["list", "--max-cost", "cheap"],
        ["list", "--since", "March"],
        ["list", "--data-origin", "aliens"],
        ["refs", "--kind", "novel"],
        ["techniques", "--category", "magic"],
    ],
)
def test_malformed_filter_values_are_usage_errors(cli, args):
    result = cli(*args)
    assert result.exit_code == 2
    assert result.stderr.startswith("Error: ") and result.stderr.count("\n") == 1


def test_multi_key_sort(cli):
    result = cli("bases", "--sort", "family", "--sort", "-params", "--fields", "id,family,params")
    rows = list(csv.DictReader(io.StringIO(result.stdout), delimiter="\t"))
    llama = [row["id"] for row in rows if row["family"] == "LLaMA"]
    assert llama == ["llama-65b", "llama-33b", "llama-13b", "llama-7b"]
    families = [row["family"].casefold() for row in rows]
    assert families == sorted(families)


# --- formats -------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["tsv", "csv", "json", "jsonl", "yaml", "markdown"])
def test_every_format_carries_the_rows(cli, fmt):
    result = cli("gpus", "--format", fmt)
    assert result.exit_code == 0
    assert "rtx-4090" in result.stdout and "a100-80gb" in result.stdout


def test_jsonl_is_one_object_per_line(cli):
    lines = cli("refs", "--format", "jsonl").stdout.splitlines()
    assert all(json.loads(line)["id"] for line in lines)


def test_yaml_keeps_the_nested_record(cli):
    from ruamel.yaml import YAML

    data = YAML(typ="safe").load(cli("list", "--format", "yaml").stdout)
    alpaca = next(item for item in data if item["id"] == "alpaca")
    assert alpaca["training"]["gpu_count"] == 8


def test_markdown_is_a_github_table(cli):
    lines = cli("gpus", "--format", "markdown", "--fields", "id,memory_gib").stdout.splitlines()
    assert lines[0] == "| id | memory_gib |"
    assert lines[1] == "|---|---|"


def test_csv_flattens_and_joins_lists(cli):
    result = cli("list", "--format", "csv", "--fields", "id,base_models,training.gpu")
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    vicuna = next(row for row in rows if row["id"] == "vicuna")
    assert vicuna["base_models"] == "llama-7b;llama-13b"
    assert vicuna["training.gpu"] == "a100-80gb"


def test_formula_like_text_is_defused_in_csv_and_tsv():
    from llmtrack.output.formats import render

    rows = [{"id": "x", "note": "=HYPERLINK(1)", "delta": -3, "at": "@cmd"}]
    csv_text = render("csv", rows, ["id", "note", "delta", "at"])
    assert csv_text.splitlines()[1] == "x,'=HYPERLINK(1),-3,'@cmd"
    tsv_text = render("tsv", rows, ["id", "note", "delta", "at"])
    assert tsv_text.splitlines()[1] == "x\t'=HYPERLINK(1)\t-3\t'@cmd"


# --- export --------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["json", "yaml"])
def test_export_round_trips(cli, catalog, tmp_path, fmt):
    target = tmp_path / f"catalog.{fmt}"
    assert cli("export", "--format", fmt, "-o", str(target)).exit_code == 0
    reloaded = Catalog.from_sections(load_entries([(target.name, target.read_bytes())]))
    assert reloaded == catalog


def test_export_one_section(cli):
    data = json.loads(cli("export", "--section", "gpus").stdout)
    assert list(data) == ["gpus"]
    assert "total_usd" not in json.dumps(data)  # derived values are not exported


def test_export_markdown_rebuilds_the_awesome_list(cli):
    text = cli("export", "--format", "markdown").stdout
    for heading in (
        "## Base Models",
        "## Model Spec",
        "## Fine-tune Stages",
        "## Typology of Efficient LLM Training",
        "## References",
        "## GPUs",
    ):
        assert heading in text
    assert "|project|base model|data|finetune|hardware/cost|" in text
    spec = text.split("## Model Spec")[1].split("##")[0]
    alpaca = next(line for line in spec.splitlines() if "Stanford Alpaca" in line)
    assert alpaca.startswith("|[Stanford Alpaca](https://")
    assert "LLaMA-7B" in alpaca and "SFT" in alpaca and "≤$600" in alpaca
    assert spec.count("\n|[") >= 22  # one row per project
    phoenix = next(line for line in spec.splitlines() if "Phoenix" in line)
    assert "BLOOMZ-7B1" in phoenix.upper()


def test_export_refuses_to_overwrite(cli, tmp_path):
    target = tmp_path / "list.md"
    target.write_text("mine")
    result = cli("export", "--format", "markdown", "-o", str(target))
    assert result.exit_code == 1 and target.read_text() == "mine"


# --- compare -------------------------------------------------------------------------


def test_compare_projects_side_by_side(cli):
    result = cli("compare", "alpaca", "vicuna", "--format", "json")
    data = json.loads(result.stdout)
    assert data["entries"] == ["alpaca", "vicuna"]
    fields = {row["field"]: row for row in data["fields"]}
    assert fields["training.hours"]["values"] == {"alpaca": 3, "vicuna": 24}
    assert fields["training.hours"]["differs"] is True
    assert fields["methods"]["differs"] is False


def test_compare_markdown_and_tsv(cli):
    markdown = cli("compare", "llama-7b", "pythia-6.9b", "--format", "markdown").stdout
    assert "| field | llama-7b | pythia-6.9b |" in markdown
    assert "| **architecture.ffn_size** | 11008 | 16384 |" in markdown
    assert "| architecture.layers | 32 | 32 |" in markdown
    tsv = cli("compare", "llama-7b", "pythia-6.9b").stdout.splitlines()
    assert tsv[0] == "field\tllama-7b\tpythia-6.9b\tdiffers"


def test_compare_needs_one_section(cli):
    result = cli("compare", "vicuna", "llama-7b")
    assert result.exit_code == 1
    assert "compare needs entries of one section" in result.stderr
    assert cli("compare", "vicuna").exit_code == 2
