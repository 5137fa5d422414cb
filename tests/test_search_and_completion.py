"""Full-text search and shell completion, as a user meets them."""

from __future__ import annotations

import csv
import io
import json

import pytest

from llmtrack.cli import app


def found(result) -> list[str]:
    return [row["id"] for row in csv.DictReader(io.StringIO(result.stdout), delimiter="\t")]


def test_search_chinese_finds_the_chinese_projects(cli):
    projects = found(cli("search", "chinese", "--section", "projects"))
    assert {"belle-bloomz", "belle-llama", "chinese-llama-alpaca", "firefly", "chatglm",
            "moss-003", "phoenix"} <= set(projects)  # fmt: skip
    assert "alpaca" not in projects


def test_search_sharegpt_finds_vicuna_and_koala(cli):
    assert {"vicuna", "koala"} <= set(found(cli("search", "sharegpt")))


def test_search_ranks_names_above_descriptions(cli):
    hits = json.loads(cli("search", "self-instruct", "--format", "json").stdout)
    assert hits[0]["id"] == "self-instruct-paper" and hits[0]["field"] == "id"
    assert hits[0]["score"] > hits[-1]["score"]
    assert {"section", "id", "name", "field", "match", "score"} == set(hits[0])


def test_search_shows_the_field_and_the_match(cli):
    hits = json.loads(cli("search", "Hashimoto", "--format", "json").stdout)
    alpaca = next(h for h in hits if h["id"] == "alpaca")
    assert alpaca["field"] == "org" and "Hashimoto" in alpaca["match"]


def test_search_every_word_must_match(cli):
    both = set(found(cli("search", "lora rtx")))
    assert "alpaca-lora" in both
    assert "vicuna" not in both


def test_search_reaches_corrections_titles_and_authors(cli):
    assert "phoenix" in found(cli("search", "chimera"))  # its correction names Chimera
    assert "lora-paper" in found(cli("search", "Low-Rank Adaptation"))
    assert "qlora-paper" in found(cli("search", "dettmers", "--section", "references"))


def test_search_forgives_a_typo_when_nothing_contains_it(cli):
    result = cli("search", "vicunna")
    assert "vicuna" in found(result)
    assert result.stderr == "nothing holds 'vicunna'; showing 'vicuna' instead\n"


@pytest.mark.parametrize(
    ("query", "meant", "expected"),
    [("sharegtp", "sharegpt", "vicuna"), ("lamma 7b", "llama 7b", "llama-7b"),
     ("ShareGTP rtx", "sharegpt rtx", "vicuna"), ("deepsek", "deepseek", "deepseek-llm-7b")],
)  # fmt: skip
def test_a_misspelt_word_is_respelt_to_one_the_catalog_holds_and_said(cli, query, meant, expected):
    """The guess is the closest word some entry holds, the commonest among equals ("lamma"
    is LLaMA, not Gamma); every hit holds the respelt words, and stderr says it is a guess."""
    result = cli("search", query, "--format", "json")
    hits = json.loads(result.stdout)
    assert expected in {hit["id"] for hit in hits}
    assert result.stderr == f"nothing holds {query!r}; showing {meant!r} instead\n"


def test_a_word_with_other_digits_is_never_respelt(cli):
    """llama7b is not llama: dropping the 7b would answer for every size."""
    result = cli("search", "llama7b", "--format", "json")
    assert "showing 'llama'" not in result.stderr
    assert "these names are close to it" in result.stderr


def test_an_empty_query_is_a_usage_error(cli):
    for query in ("", "   "):
        result = cli("search", query)
        assert result.exit_code == 2 and "search needs a word" in result.stderr


def test_a_close_name_says_which_field_it_is(cli):
    hits = json.loads(cli("search", "vicuna-v1.55", "--format", "json").stdout)
    assert hits[0]["id"] == "vicuna-v1.5" and hits[0]["field"] == "id"


@pytest.mark.parametrize("query", ["zzzzqqq", "sharegtpzzzz", "qqqwqq"])
def test_a_query_no_name_resembles_finds_nothing_rather_than_a_short_name_inside_it(cli, query):
    """partial_ratio finds "TP" and "qwq" inside such queries at 100 and 80: no guess."""
    result = cli("search", query, "--format", "json")
    assert result.exit_code == 0 and json.loads(result.stdout) == []
    assert result.stderr == "No entries match.\n"


def test_close_names_are_said_to_be_guesses(cli):
    result = cli("search", "vicuna-v1.55", "--format", "json")
    assert "vicuna-v1.5" in {hit["id"] for hit in json.loads(result.stdout)}
    assert result.stderr == "nothing holds 'vicuna-v1.55'; these names are close to it\n"


def test_search_with_nothing_found(cli):
    result = cli("search", "zzzqqqxx", "--format", "json")
    assert result.exit_code == 0 and json.loads(result.stdout) == []
    assert result.stderr == "No entries match.\n"


def test_search_unknown_section_is_a_usage_error(cli):
    result = cli("search", "x", "--section", "novels")
    assert result.exit_code == 2 and "unknown section 'novels'" in result.stderr


@pytest.mark.parametrize(
    "query",
    ["chinese", "LLaMA 7B", "sharegpt", "rlhf a100", "约", "STRASSE", 'a"b', "back\\slash",
     "zzzqqqxx", "lora", "-", "é"],
)  # fmt: skip
def test_search_skipping_entries_by_their_stored_text_changes_no_hit(query):
    """``search`` leaves undecoded the entries whose stored JSON cannot hold the words; the
    hits are exactly those of a search over every entry decoded."""
    from llmtrack import load_catalog
    from llmtrack.textsearch import search

    skipping = load_catalog()
    everything = load_catalog()
    list(everything)  # every entry decoded: nothing left to skip
    assert [h.record() for h in search(skipping, query).hits] == [
        h.record() for h in search(everything, query).hits
    ]


def test_search_reads_only_the_entries_that_may_match():
    from llmtrack import load_catalog
    from llmtrack.textsearch import search

    catalog = load_catalog()
    search(catalog, "sharegpt")
    decoded = sum(item is not None for name in ("projects", "base_models")
                  for item in catalog.section(name)._items)  # fmt: skip
    assert 0 < decoded < len(catalog.projects) // 2


# --- completion, through typer's completion machinery ------------------------------------


def complete(cli_runner, shell: str, line: str) -> list[str]:
    words = line.split(" ")
    env = {"_LLMTRACK_COMPLETE": f"complete_{shell}", "_TYPER_COMPLETE_ARGS": line,
           "COMP_WORDS": line, "COMP_CWORD": str(len(words) - 1)}  # fmt: skip
    if shell == "fish":
        env["_TYPER_COMPLETE_FISH_ACTION"] = "get-args"
    result = cli_runner.invoke(app, [], env=env, prog_name="llmtrack")
    assert result.exit_code == 0
    return result.stdout


@pytest.fixture
def runner():
    from typer.testing import CliRunner

    return CliRunner()


def test_completes_names_for_show(runner):
    assert complete(runner, "bash", "llmtrack show vic").split() == ["vicuna", "vicuna-v1.5"]
    assert "koala" in complete(runner, "zsh", "llmtrack show koa")


def test_completes_gpus_and_base_models(runner):
    assert complete(runner, "fish", "llmtrack estimate llama-7b --gpu rtx-409").split() == [
        "rtx-4090"]  # fmt: skip
    fours = complete(runner, "fish", "llmtrack estimate llama-7b --gpu rtx-4").split()
    assert {"rtx-4090", "rtx-4080", "rtx-4060-ti-16gb"} <= set(fours)
    assert not [gpu for gpu in fours if not gpu.startswith("rtx-4")]
    offered = complete(runner, "fish", "llmtrack estimate llama-7b --gpu rtx").split()
    assert {"rtx-3060-12gb", "rtx-3090", "rtx-4090", "rtx-5090"} <= set(offered)
    bases = complete(runner, "bash", "llmtrack list --base pyth").split()
    assert bases[0] == "pythia-70m" and "pythia-12b" in bases
    assert "vicuna" not in complete(runner, "bash", "llmtrack list --base v").split()


def test_completes_commands_and_options(runner):
    assert "estimate" in complete(runner, "bash", "llmtrack est").split()
    assert "--format" in complete(runner, "bash", "llmtrack bases --fo").split()


def test_completion_scripts_for_each_shell(runner):
    for shell, marker in (("bash", "complete"), ("zsh", "compdef"), ("fish", "complete --command")):
        result = runner.invoke(
            app, [], env={"_LLMTRACK_COMPLETE": f"source_{shell}"}, prog_name="llmtrack"
        )
        assert marker in result.stdout


def test_an_entry_whose_id_starts_with_the_word_ranks_first_among_equals(cli):
    """ "mistrel" listed devstral first, "lamma" the Code Llamas: equal scores, by id."""
    for query, start in (("mistrel", "mistral"), ("lamma", "llama"), ("llama", "llama")):
        hits = json.loads(cli("search", query, "-n", "3", "--format", "json").stdout)
        assert all(hit["id"].startswith(start) for hit in hits), (query, hits)


def test_a_query_of_more_words_than_any_entry_could_hold_is_refused(cli):
    result = cli("search", " ".join(["word"] * 40))
    assert result.exit_code == 2 and "at most 32 words" in result.stderr
