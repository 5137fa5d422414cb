"""Nothing reaches a terminal that the user did not ask for (issue 14): catalog text with
escape sequences, C1 controls, bidi overrides or zero-width characters is shown as visible
escapes by every human-facing view, JSON still carries it exactly, and the Markdown export
holds no HTML and no link but http(s).

A catalog file may not hold a raw ESC (the YAML loader refuses it), so the files here write
them as escapes in double-quoted scalars ("\\u001b"), as a hostile file would."""

from __future__ import annotations

import json
import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from llmtrack.errors import Problem
from llmtrack.output.env import Env
from llmtrack.output.safe_text import http_url, markdown_text, safe_text
from llmtrack.output.table import render_table
from tests.test_cli import on_a_terminal

# the window title (OSC 0), clear screen (CSI 2J), the 8-bit CSI and a zero-width space.
# (Bidirectional overrides never get this far: validation refuses them in any text, see
# test_validation; the renderers would show them escaped too, as the unit tests here show.)
EVIL = "Evil \x1b]0;pwned\x07 \x1b[2J \x9b \u200b X"
NOTES = (
    "note \x1b[2J <script>alert(1)</script> [click](javascript:alert(1))\n"
    "## Injected heading \ufeff"
)
SOURCE = "https://example.org/evil\x1b[2J"
DATA = "<script>alert(1)</script> " + EVIL
BAD_ID = "ev\x1b[2Jil\u202e"
BAD_KEY = "\x1b]0;key\x07"
BAD_BASE = "llama\x9b-7b"

# What may never reach the screen from the data: C0 (but tab, newline and the CR a pty adds),
# C1, bidi embeddings, overrides and isolates, zero-width characters.
UNSAFE = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\u200b-\u200d\u2060\ufeff]"
)


def _words(value) -> str:
    """A test id: the command line (a list of words); other parameters are left out."""
    return " ".join(value) if isinstance(value, list) and value[0].isalpha() else ""


def _yaml(text: str) -> str:
    """A YAML double-quoted scalar: JSON's escapes (\\u001b) are YAML's too."""
    return json.dumps(text)


@pytest.fixture
def evil(tmp_path):
    path = tmp_path / "evil.yaml"
    path.write_text(
        f"""\
base_models:
- id: evil-7b
  name: {_yaml(EVIL)}
  family: {_yaml("Evil family " + EVIL)}
  org: {_yaml("<b>Evil org</b> " + EVIL)}
  params: 6700000000
  access: open-weights
  context_length: 4096
  architecture: {{layers: 32, hidden_size: 4096, heads: 32, ffn_size: 11008, ffn_kind: gated,
                 vocab_size: 32000, tied_embeddings: false}}
  sources: [https://example.org/evil-7b]
gpus:
- id: evil-card
  name: {_yaml("Evil card [bold]" + EVIL)}
  memory_gib: 48
  sources: [https://example.org/c]
projects:
- id: evil
  name: {_yaml(EVIL)}
  base_models: [llama-7b]
  methods: [sft]
  data: {{description: {_yaml(DATA)}}}
  training: {{gpu: rtx-4090, gpu_count: 1, hours: 5}}
  aliases: [{_yaml("evil alias " + EVIL)}]
  notes: {_yaml(NOTES)}
  sources: [{_yaml(SOURCE)}]
""",
        encoding="utf-8",
    )
    return path


@pytest.fixture
def bad(tmp_path):
    """A file with problems whose labels quote the hostile text: id, key and value."""
    path = tmp_path / "bad.yaml"
    path.write_text(
        f"""\
projects:
- id: {_yaml(BAD_ID)}
  name: {_yaml(EVIL)}
  {_yaml(BAD_KEY)}: 1
  base_models: [{_yaml(BAD_BASE)}]
  sources: [https://example.org/x]
""",
        encoding="utf-8",
    )
    return path


# --- the function ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text, keep_lines, shown",
    [
        ("\x1b]0;pwned\x07", True, "\\x1b]0;pwned\\x07"),
        ("\x1b[2J", True, "\\x1b[2J"),
        ("\x9b31m", True, "\\x9b31m"),
        ("\x00\x7f\x85", True, "\\x00\\x7f\\x85"),
        ("abc\u202eFDP.exe", True, "abc\\u202eFDP.exe"),
        ("\u2066\u2067\u2068\u2069\u202a", True, "\\u2066\\u2067\\u2068\\u2069\\u202a"),
        (
            "zero\u200bwidth\u200c\u200d\u2060\ufeff",
            True,
            "zero\\u200bwidth\\u200c\\u200d\\u2060\\ufeff",
        ),
        ("two\nlines\tand a tab", True, "two\nlines\tand a tab"),
        ("two\nlines\tand a tab", False, "two\\x0alines\\x09and a tab"),
        ("\r", True, "\\x0d"),
        ("plain, naïve, 中文, emoji 🙂, C:\\path", True, "plain, naïve, 中文, emoji 🙂, C:\\path"),
    ],
)
def test_safe_text_shows_what_would_drive_the_terminal(text, keep_lines, shown):
    assert safe_text(text, keep_lines=keep_lines) == shown
    assert safe_text(shown, keep_lines=keep_lines) == shown  # idempotent


def test_safe_text_replaces_every_character_of_the_ranges():
    ranges = [(0x00, 0x1F), (0x7F, 0x9F), (0x202A, 0x202E), (0x2066, 0x2069), (0x200B, 0x200D)]
    codes = [c for low, high in ranges for c in range(low, high + 1)] + [0x2060, 0xFEFF]
    for code in codes:
        assert not UNSAFE.search(safe_text(chr(code), keep_lines=False)), hex(code)
        assert safe_text(chr(code), keep_lines=False).isprintable(), hex(code)


@pytest.mark.parametrize(
    "url, link",
    [
        ("https://example.org/a", "https://example.org/a"),
        ("HTTP://example.org/a?b=1#c", "HTTP://example.org/a?b=1#c"),
        ("https://example.org/a_(b)|c", "https://example.org/a_%28b%29%7Cc"),
        ("javascript:alert(1)", None),
        ("JaVaScRiPt:alert(1)", None),
        ("data:text/html,<script>alert(1)</script>", None),
        ("file:///etc/passwd", None),
        ("//example.org/a", None),
        ("https:///no-host", None),
        ("https://example.org/\x1b[2J", None),
        ("https://example.org/\u202eexe", None),
        ("https://example.org/a b", None),
        ("https://[::1", None),
        ("", None),
        (None, None),
    ],
)
def test_only_http_urls_become_links(url, link):
    assert http_url(url) == link


@pytest.mark.parametrize(
    "text, markdown",
    [
        ("<script>alert(1)</script>", "&lt;script&gt;alert(1)&lt;/script&gt;"),
        ("[x](javascript:alert(1))", "\\[x\\](javascript:alert(1))"),
        ("![img](https://x)", "!\\[img\\](https://x)"),
        ("a | b", "a \\| b"),
        ("*bold* _it_ `code` ~~s~~", "\\*bold\\* \\_it\\_ \\`code\\` \\~\\~s\\~\\~"),
        ("AT&T &amp;", "AT&amp;T &amp;amp;"),
        ("one\n## heading", "one ## heading"),
        ("\x1b[2J", "\\\\x1b\\[2J"),
        ("back\\slash", "back\\\\slash"),
    ],
)
def test_markdown_text_is_inert(text, markdown):
    assert markdown_text(text) == markdown


def test_a_highlight_still_marks_the_match_after_an_escape():
    rows = [{"id": "x", "match": "\x1b\x1b pwned here"}]
    env = Env(is_terminal=True, width=80, colour=True)
    out = render_table(rows, ["id", "match"], env, highlights=[("match", 3, 8)])
    assert "\\x1b\\x1b" in out
    assert re.search(r"\x1b\[[0-9;]*mpwned\x1b\[0m", out), repr(out)


def test_a_problem_label_shows_escapes_and_keeps_its_message_lines():
    problem = Problem("f\x1b.yaml", 1, 2, "e\u202e", "k\x9b", "bad 'x\x1b'\n  here")
    assert str(problem) == "f\\x1b.yaml:1:2: e\\u202e.k\\x9b: bad 'x\\x1b'\n  here"


# --- every view ----------------------------------------------------------------------------

WIDE = {"COLUMNS": "400"}


@pytest.mark.parametrize(
    "args, shown",
    [
        (["show", "evil"], ["\\x1b]0;pwned\\x07", "\\u200b", "\\x9b", "\\ufeff"]),
        (["show", "evil", "--format", "text"], ["<script>", SOURCE.replace("\x1b", "\\x1b")]),
        (["list", "--format", "table", "--fields", "id,name,aliases,notes"], ["\\x1b[2J"]),
        (["list", "--format", "tsv"], ["\\x1b]0;pwned\\x07"]),
        (["list", "--format", "csv"], ["\\x1b]0;pwned\\x07"]),
        (["list", "--format", "markdown", "--fields", "id,name,notes"], ["&lt;script&gt;"]),
        (["search", "pwned"], ["\\x1b]0;pwned\\x07"]),
        (["search", "pwned", "--format", "table"], ["\\x1b]0;pwned\\x07"]),
        (["compare", "evil", "alpaca"], ["\\x1b]0;pwned\\x07"]),
        (["compare", "evil", "alpaca", "--format", "table"], ["\\x1b]0;pwned\\x07"]),
        (["compare", "evil", "alpaca", "--format", "markdown"], ["&lt;script&gt;"]),
        (["estimate", "evil-7b", "--gpu", "evil-card"], ["\\x1b]0;pwned\\x07", "[bold]"]),
        (["gpus", "--format", "table"], ["\\x1b]0;pwned\\x07"]),
        (
            ["fits", "--gpu", "evil-card", "--format", "table"],
            ["Evil card [bold]Evil \\x1b]0;pwned"],
        ),
        (["bases", "--format", "table"], ["\\x1b]0;pwned\\x07"]),
        (["show", "evil-7b"], ["\\x1b]0;pwned\\x07"]),
        (["export", "--format", "markdown"], ["\\\\x1b\\]0;pwned\\\\x07"]),
    ],
    ids=_words,
)
def test_no_view_lets_catalog_text_drive_the_terminal(cli, evil, args, shown):
    result = cli("--catalog", str(evil), *args, env=WIDE)
    assert result.exit_code == 0, result.stderr
    assert not UNSAFE.search(result.stdout), repr(UNSAFE.findall(result.stdout))
    for visible in shown:
        assert visible in result.stdout


def test_validate_labels_show_escapes(cli, bad):
    result = cli("validate", str(bad))
    assert result.exit_code == 1
    assert "\\x1b]0;key\\x07" in result.stdout and "ev\\x1b[2Jil" in result.stdout
    assert not UNSAFE.search(result.stdout + result.stderr)
    loaded = cli("--catalog", str(bad), "list")  # the same labels, on stderr
    assert loaded.exit_code == 1 and "\\x1b]0;key\\x07" in loaded.stderr
    assert not UNSAFE.search(loaded.stdout + loaded.stderr)


@pytest.mark.parametrize(
    "args, value",
    [
        (["show", "evil", "--format", "json"], lambda data: data["name"]),
        (["show", "evil", "--format", "json"], lambda data: data["notes"]),
        (["show", "evil", "--format", "json"], lambda data: data["sources"][0]),
        (["list", "--format", "json"], lambda data: _evil(data)["name"]),
        (["list", "--format", "jsonl"], lambda data: data["name"]),
        (["search", "pwned", "--format", "json"], lambda data: data[0]["name"]),
        (["export", "--format", "json"], lambda data: _evil(data["projects"])["notes"]),
        (["compare", "evil", "alpaca", "--format", "json"], lambda data: _name(data)),
    ],
    ids=_words,
)
def test_json_still_carries_the_exact_text(cli, evil, args, value):
    result = cli("--catalog", str(evil), *args)
    assert result.exit_code == 0, result.stderr
    assert "\x1b" not in result.stdout  # json escapes C0 controls itself
    if args[-1] == "jsonl":
        data = next(json.loads(line) for line in result.stdout.splitlines() if '"evil"' in line)
    else:
        data = json.loads(result.stdout)
    assert value(data) in (EVIL, NOTES, SOURCE)


def _evil(items: list[dict]) -> dict:
    return next(item for item in items if item["id"] == "evil")


def _name(comparison: dict) -> str:
    return next(f for f in comparison["fields"] if f["field"] == "name")["values"]["evil"]


def test_the_markdown_export_has_no_html_and_no_script_link(cli, evil):
    text = cli("--catalog", str(evil), "export", "--format", "markdown").stdout
    assert "<script" not in text.lower()
    assert "](javascript:" not in text.lower()
    assert not re.search(r"\]\((?!https?://)", text), "a link that is not http(s)"
    assert not re.search(r"^#+ .*(pwned|Injected)", text, re.MULTILINE)  # no injected heading
    row = next(line for line in text.splitlines() if "pwned" in line and line.startswith("|"))
    # its source URL holds an ESC: no link, the name stands alone
    assert row.startswith("|Evil \\\\x1b\\]0;pwned\\\\x07")
    assert "- **&lt;b&gt;Evil org&lt;/b&gt; Evil \\\\x1b" in text  # the base models' line
    assert row.count("|") - row.count("\\|") == 6  # its five cells, not more


# --- on a real terminal --------------------------------------------------------------------


@pytest.mark.parametrize(
    "args",
    [
        ["show", "evil"],
        ["list", "--format", "table", "--fields", "id,name,notes"],
        ["search", "pwned"],
        ["compare", "evil", "alpaca"],
    ],
    ids=_words,
)
def test_a_terminal_sees_escapes_not_sequences(evil, args):
    code, screen = on_a_terminal("--catalog", str(evil), *args, env={"NO_COLOR": "1"})
    assert code == 0
    assert "\x1b" not in screen and not UNSAFE.search(screen)  # no colour: no ESC at all
    assert "pwned" in screen
    code, coloured = on_a_terminal("--catalog", str(evil), *args, columns=300)
    assert code == 0
    # rich's own colours only: SGR sequences, never a title (OSC), a clear or a bell
    leftover = re.sub(r"\x1b\[[0-9;]*m", "", coloured)
    assert not UNSAFE.search(leftover), repr(UNSAFE.findall(leftover))
    assert "\\x1b]0;pwned\\x07" in leftover


@given(st.one_of(st.text(), st.integers(), st.text(alphabet=" \t\n\xa0\u200bab\u202e\x1b")))
def test_a_plain_cell_is_the_same_on_its_fast_path(value):
    """``plain_cell`` returns printable single-spaced text and integers as they are,
    skipping the whitespace join and ``safe_text``; that is exactly what they would give."""
    from llmtrack.output.formats import plain_cell

    assert plain_cell(value) == safe_text(" ".join(str(value).split()), keep_lines=False)
