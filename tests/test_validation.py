"""A broken catalog file is refused with every problem located as FILE:LINE:COL."""

from __future__ import annotations

import textwrap

import pytest

from llmtrack.catalog.files import bundled_files
from llmtrack.catalog.load import compile_catalog
from llmtrack.catalog.validation import load_entries
from llmtrack.errors import CatalogError

GOOD_BASE = """\
base_models:
- id: tiny-1m
  name: Tiny-1M
  family: Tiny
  params: 1000000
  sources: [https://example.org/tiny]
"""


def problems_of(text: str, name: str = "mine.yaml") -> list[str]:
    files = [(name, textwrap.dedent(text).encode())]
    with pytest.raises(CatalogError) as caught:
        load_entries(files)
    return [str(problem) for problem in caught.value.problems]


def test_a_valid_file_loads():
    sections = load_entries([("mine.yaml", GOOD_BASE.encode())])
    assert sections["base_models"][0].params == 1_000_000


def test_wrong_type_unknown_key_and_bad_id_are_each_located():
    problems = problems_of("""\
        base_models:
        - id: Tiny 1M
          name: Tiny-1M
          family: Tiny
          params: lots
          colour: blue
          sources: [https://example.org/tiny]
        """)
    assert problems == [
        "mine.yaml:2:3: Tiny 1M.id: 'Tiny 1M' is not a lowercase slug such as 'llama-7b' or 'opt-1.3b'",
        "mine.yaml:5:3: Tiny 1M.params: Input should be a valid integer, unable to parse string as an integer",
        "mine.yaml:6:3: Tiny 1M.colour: unknown key",
    ]


def test_missing_required_fields_point_at_the_entry():
    problems = problems_of("""\
        projects:
        - id: my-tune
          name: My tune
        """)
    assert "mine.yaml:2:3: my-tune.base_models: required field is missing" in problems
    assert "mine.yaml:2:3: my-tune.sources: required field is missing" in problems


def test_a_dangling_base_model_and_a_duplicate_id():
    problems = problems_of(
        GOOD_BASE
        + """\
projects:
- id: my-tune
  name: My tune
  base_models: [tiny-1m, nope-7b]
  sources: [https://example.org/tune]
- id: tiny-1m
  name: Clash
  base_models: [tiny-1m]
  sources: [https://example.org/clash]
"""
    )
    assert problems == [
        "mine.yaml:12:3: tiny-1m.id: duplicate id, first defined at mine.yaml:2",
        "mine.yaml:10:26: my-tune.base_models.1: unknown base model id 'nope-7b'",
        "mine.yaml:10:3: my-tune.base_models: warning: no variant for nope-7b, tiny-1m: with "
        "several base models, give each one's figures under variants",
    ]


def test_a_variant_must_be_on_one_of_the_projects_bases():
    problems = problems_of(
        GOOD_BASE
        + """projects:
- id: my-tune
  name: My tune
  base_models: [tiny-1m]
  variants:
  - base_model: other-1m
    source: https://example.org/tune
  sources: [https://example.org/tune]
"""
    )
    assert any(
        "my-tune.variants.0.base_model: variant on 'other-1m', which is not in base_models" in p
        for p in problems
    )


def test_a_yaml_syntax_error_has_its_line():
    problems = problems_of("base_models:\n- id: x\n  name: [unclosed\n")
    assert len(problems) == 1
    assert problems[0].startswith("mine.yaml:4:1: YAML syntax:")


def test_a_duplicate_key_is_refused():
    problems = problems_of(GOOD_BASE + "  family: Again\n")
    assert len(problems) == 1
    assert problems[0].startswith("mine.yaml:") and "duplicate key" in problems[0]


def test_non_utf8_bytes_are_refused():
    with pytest.raises(CatalogError) as caught:
        load_entries([("latin1.yaml", "name: caf\xe9\n".encode("latin-1"))])
    assert "not UTF-8" in str(caught.value.problems[0])


def test_an_unknown_section_is_named():
    problems = problems_of("modles:\n- id: x\n")
    assert problems == ["mine.yaml:1:1: unknown section 'modles'; known: base_models, projects, "
                        "references, stages, techniques, gpus"]  # fmt: skip


def test_a_misspelled_section_gets_a_suggestion_and_the_next_section_still_reads():
    # 'project:' then 'gpus:' once crashed validate itself (an AttributeError)
    text = "project:\n- id: x\n  name: X\n  base_models: [tiny-1m]\n  sources: [https://e.org]\n"
    text += "gpus:\n- id: g\n  name: G\n  memory_gib: .inf\n  sources: [https://e.org]\n"
    problems = problems_of(text)
    assert problems[0] == "mine.yaml:1:1: unknown section 'project'; did you mean projects?"
    assert (
        problems[1] == "mine.yaml:9:3: g.memory_gib: inf is not a finite number (not .inf or .nan)"
    )


def test_a_broken_bundled_file_fails_with_file_and_line():
    files = bundled_files()
    name, data = files[1]  # projects
    broken = data.replace(b"base_models: [llama-7b]", b"base_models: [llama-7x]", 1)
    assert broken != data
    with pytest.raises(CatalogError) as caught:
        compile_catalog([files[0], (name, broken), *files[2:]])
    assert str(caught.value) == "invalid catalog file data/projects.yaml: 1 problem"
    [problem] = caught.value.problems
    assert str(problem).startswith("data/projects.yaml:")
    assert str(problem).endswith("alpaca.base_models.0: unknown base model id 'llama-7x'")


def test_the_bundled_catalog_validates():
    try:
        catalog = compile_catalog(bundled_files())
    except CatalogError as error:  # show every problem, each with its file and line
        pytest.fail("\n".join(str(problem) for problem in error.problems))
    assert len(catalog) > 150


@pytest.mark.parametrize(
    ("name", "why"),
    [
        ("\u200b\u200b", "looks blank but is not: zero-width spaces"),
        ("\ufeff \u2060", "a byte-order mark and a word joiner"),
        ("safe\u202egnp.exe", "a right-to-left override (Trojan Source)"),
        ("x\u2066y\u2069", "a bidirectional isolate"),
    ],
)
def test_invisible_and_reordering_text_is_refused(name, why):
    text = f'gpus:\n- id: g\n  name: "{name}"\n  memory_gib: 8\n  sources: [https://e.org]\n'
    problems = problems_of(text)
    assert len(problems) == 1, why
    assert "g.name:" in problems[0] and "bidirectional overrides" in problems[0]


def test_every_problem_of_an_entry_in_one_pass_references_included():
    problems = problems_of(
        GOOD_BASE + "projects:\n- id: x\n  name: X\n  base_models: [nope-7b]\n"
        "  training: {gpu: no-gpu, hours: -3}\n  bogus: 1\n  sources: [https://e.org]\n"
    )
    joined = "\n".join(problems)
    assert "x.bogus: unknown key" in joined and "x.training.hours" in joined
    assert "x.base_models.0: unknown base model id 'nope-7b'" in joined
    assert "x.training.gpu: unknown GPU id 'no-gpu'" in joined
