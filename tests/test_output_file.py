"""`-o FILE` changes exactly the one file the user meant: devices, pipes and descriptor names
are written through (never renamed over), links are replaced only when asked, a new file's
mode follows the umask, a replaced file keeps its mode, an interrupt leaves no temporary file,
and the extension picks the format. One writer serves every command that has -o.

No test names the system's own /dev/stdout as a target: a link made here to /dev/fd/1, or
/dev/fd/1 itself with stdout a pipe or a file of the test's, stands in for it."""

from __future__ import annotations

import io
import json
import os
import signal
import stat
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from ruamel.yaml import YAML

from tests.conftest import run


def names_in(folder: Path) -> list[str]:
    return sorted(path.name for path in folder.iterdir())


def mode_of(path: Path) -> int:
    return stat.S_IMODE(path.lstat().st_mode)


def load_yaml(text: str):
    return YAML(typ="safe", pure=True).load(io.StringIO(text))


# --- devices, pipes and descriptor names: written through ---------------------------------

# name -> (what -o names: a path relative to tmp_path or an absolute one, the links to make
# there first, how stdout is opened: "pipe", "file" or "append")
THROUGH = {
    "a link to /dev/fd/1, stdout a pipe": ("out", {"out": "/dev/fd/1"}, "pipe"),
    "a link to /dev/fd/1, stdout a file (the -o /dev/stdout --force > file case)": (
        "out",
        {"out": "/dev/fd/1"},
        "file",
    ),
    "a link to /dev/fd/1, stdout a file opened to append": ("out", {"out": "/dev/fd/1"}, "append"),
    "a link to a link to /proc/self/fd/1": (
        "first",
        {"first": "second", "second": "/proc/self/fd/1"},
        "file",
    ),
    "/dev/fd/1 itself, stdout a pipe": ("/dev/fd/1", {}, "pipe"),
    "/proc/self/fd/1 itself, stdout a file": ("/proc/self/fd/1", {}, "file"),
}


@pytest.mark.parametrize("target, links, stdout", list(THROUGH.values()), ids=list(THROUGH))
def test_descriptor_names_are_written_through(tmp_path, target, links, stdout):
    if "/proc/" in f"{target} {links}" and not Path("/proc/self/fd").is_dir():
        pytest.skip("needs /proc")
    system_stdout = os.lstat("/dev/stdout")
    work = tmp_path / "work"
    work.mkdir()
    for name, points_to in links.items():
        (work / name).symlink_to(points_to)
    path = target if target.startswith("/") else str(work / target)
    args = ("gpus", "--fields", "id", "-n", "2", "-o", path, "--force")
    if stdout == "pipe":
        result = run(*args)
        written = result.stdout
    else:
        sink = tmp_path / "redirected.txt"
        sink.write_text("before\n" if stdout == "append" else "")
        with sink.open("a" if stdout == "append" else "w") as handle:
            result = run(*args, stdout=handle)
        written = sink.read_text().removeprefix("before\n" if stdout == "append" else "")
        if stdout == "append":
            assert sink.read_text().startswith("before\n")  # a >> redirect keeps what it had
    assert result.returncode == 0, result.stderr
    assert written == "id\nt4\nv100-16gb\n"
    for name, points_to in links.items():  # every link is still the same link
        assert os.readlink(work / name) == points_to
    assert names_in(work) == sorted(links)  # no temporary file, nothing new
    after = os.lstat("/dev/stdout")  # the system's own name, untouched
    assert (after.st_ino, after.st_mode) == (system_stdout.st_ino, system_stdout.st_mode)


def test_a_fifo_behind_a_link_is_written_through(tmp_path):
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    (tmp_path / "out.json").symlink_to(fifo)
    received: list[str] = []
    reader = threading.Thread(target=lambda: received.append(fifo.read_text()))
    reader.start()
    result = run("gpus", "--fields", "id", "-n", "1", "-o", str(tmp_path / "out.json"), "--force")
    reader.join(timeout=60)
    assert result.returncode == 0, result.stderr
    assert json.loads(received[0]) == [{"id": "t4"}]  # the extension still picks the format
    assert stat.S_ISFIFO(fifo.lstat().st_mode) and (tmp_path / "out.json").is_symlink()
    assert names_in(tmp_path) == ["fifo", "out.json"]


# --- links ----------------------------------------------------------------------------------


def test_a_dangling_link_is_not_replaced_without_force(cli, tmp_path):
    link = tmp_path / "out.tsv"
    link.symlink_to(tmp_path / "nowhere.tsv")
    refused = cli("gpus", "-o", str(link))
    assert refused.exit_code == 1
    assert refused.stderr == f"Error: {link} already exists; use --force to overwrite it\n"
    assert link.is_symlink() and names_in(tmp_path) == ["out.tsv"]
    assert cli("gpus", "-o", str(link), "--force").exit_code == 0
    assert not link.is_symlink() and link.read_text().startswith("id\t")
    assert names_in(tmp_path) == ["out.tsv"]  # the link's target was never made


def test_force_onto_a_link_replaces_the_link_not_its_target(cli, tmp_path):
    target = tmp_path / "theirs.tsv"
    target.write_text("theirs\n")
    target.chmod(0o640)
    link = tmp_path / "mine.tsv"
    link.symlink_to(target)
    refused = cli("gpus", "-o", str(link))
    assert refused.exit_code == 1 and "already exists" in refused.stderr
    assert cli("gpus", "--fields", "id", "-n", "1", "-o", str(link), "--force").exit_code == 0
    assert not link.is_symlink() and link.read_text() == "id\nt4\n"
    assert target.read_text() == "theirs\n" and mode_of(target) == 0o640
    assert names_in(tmp_path) == ["mine.tsv", "theirs.tsv"]


# --- modes and owners ------------------------------------------------------------------------


@pytest.mark.parametrize("umask, mode", [(0o022, 0o644), (0o077, 0o600), (0o002, 0o664)])
def test_a_new_file_gets_the_mode_the_umask_gives(tmp_path, umask, mode):
    target = tmp_path / "bases.csv"
    result = run("bases", "-o", str(target), preexec_fn=lambda: os.umask(umask))
    assert result.returncode == 0, result.stderr
    assert mode_of(target) == mode
    assert names_in(tmp_path) == ["bases.csv"]


@pytest.mark.parametrize("old_mode", [0o600, 0o640, 0o664, 0o755])
def test_force_keeps_the_replaced_files_mode(tmp_path, old_mode):
    target = tmp_path / "bases.tsv"
    target.write_text("old\n")
    target.chmod(old_mode)
    result = run("bases", "-o", str(target), "--force", preexec_fn=lambda: os.umask(0o077))
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""  # same owner, no other links: nothing to say
    assert mode_of(target) == old_mode and target.read_text().startswith("id\t")


@pytest.mark.parametrize(
    "others, said",
    [
        (1, "its other hard link keeps the old contents"),
        (2, "its 2 other hard links keep the old contents"),
    ],
)
def test_force_says_that_other_hard_links_keep_the_old_contents(cli, tmp_path, others, said):
    target = tmp_path / "bases.tsv"
    target.write_text("old\n")
    target.chmod(0o640)
    for number in range(others):
        os.link(target, tmp_path / f"other{number}.tsv")
    result = cli("bases", "-o", str(target), "--force")
    assert result.exit_code == 0
    assert result.stderr == f"{target} replaced: {said}\n"  # one note
    for number in range(others):
        assert (tmp_path / f"other{number}.tsv").read_text() == "old\n"
    assert target.read_text().startswith("id\t") and mode_of(target) == 0o640


needs_root = pytest.mark.skipif(os.geteuid() != 0, reason="giving a file away needs root")


@needs_root
def test_force_keeps_the_owner(cli, tmp_path):
    target = tmp_path / "bases.tsv"
    target.write_text("old\n")
    os.chown(target, 12345, 23456)
    assert cli("bases", "-o", str(target), "--force").stderr == ""
    assert (target.stat().st_uid, target.stat().st_gid) == (12345, 23456)


@needs_root
def test_force_says_when_it_cannot_keep_the_owner(cli, tmp_path, monkeypatch):
    from llmtrack.output import write

    def refuse(*_args):
        raise PermissionError(1, "Operation not permitted")

    monkeypatch.setattr(write.os, "fchown", refuse)
    target = tmp_path / "bases.tsv"
    target.write_text("old\n")
    os.chown(target, 12345, 23456)
    result = cli("bases", "-o", str(target), "--force")
    assert result.exit_code == 0
    assert result.stderr == (
        f"{target} replaced: its owner (12345:23456) could not be kept, the new file is yours\n"
    )
    assert target.read_text().startswith("id\t")


# --- interrupts --------------------------------------------------------------------------------

# llmtrack, its writer slowed down once the temporary file is written: it says so on stderr
SLOW_WRITER = """
import sys, time
from llmtrack.output import write
def slow(fd):
    sys.stderr.write("written\\n")
    sys.stderr.flush()
    time.sleep(60)
write._sync = slow
sys.argv = ["llmtrack", *sys.argv[1:]]
from llmtrack.cli import main
main()
"""


@pytest.mark.parametrize(
    "signum, returncode",
    [(signal.SIGTERM, -signal.SIGTERM), (signal.SIGHUP, -signal.SIGHUP), (signal.SIGINT, 130)],
    ids=["SIGTERM", "SIGHUP", "SIGINT"],
)
def test_an_interrupted_write_leaves_no_temporary_file(tmp_path, signum, returncode):
    target = tmp_path / "catalog.json"
    target.write_text("old\n")
    process = subprocess.Popen(
        [sys.executable, "-c", SLOW_WRITER, "export", "-o", str(target), "--force"],
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stderr is not None
        assert process.stderr.readline() == "written\n"
        assert len(names_in(tmp_path)) == 2  # the temporary file, written, not yet renamed
        process.send_signal(signum)
        assert process.wait(timeout=60) == returncode
    finally:
        process.kill()
        process.wait()
    assert names_in(tmp_path) == ["catalog.json"] and target.read_text() == "old\n"


def test_an_interrupt_in_process_leaves_no_temporary_file(cli, tmp_path, monkeypatch):
    from llmtrack.output import write

    def interrupted(_fd):
        raise KeyboardInterrupt

    monkeypatch.setattr(write, "_sync", interrupted)
    target = tmp_path / "bases.tsv"
    assert cli("bases", "-o", str(target)).exit_code == 130
    assert names_in(tmp_path) == []
    target.write_text("old\n")
    assert cli("bases", "-o", str(target), "--force").exit_code == 130
    assert names_in(tmp_path) == ["bases.tsv"] and target.read_text() == "old\n"


# --- the format follows the extension -----------------------------------------------------------


def is_tsv(text: str) -> bool:
    return text.startswith("id\tname\t")


FORMAT_BY_NAME = {
    "bases.csv": lambda text: text.startswith("id,name,"),
    "bases.tsv": is_tsv,
    "bases.json": lambda text: json.loads(text)[0]["id"] == "gpt-j-6b",
    "bases.jsonl": lambda text: json.loads(text.splitlines()[0])["id"] == "gpt-j-6b",
    "bases.yaml": lambda text: load_yaml(text)[0]["id"] == "gpt-j-6b",
    "bases.yml": lambda text: load_yaml(text)[0]["id"] == "gpt-j-6b",
    "bases.md": lambda text: text.startswith("| id | name |"),
    "BASES.JSON": lambda text: json.loads(text)[0]["id"] == "gpt-j-6b",
    "bases.txt": is_tsv,
    "bases": is_tsv,
}


@pytest.mark.parametrize("name", list(FORMAT_BY_NAME))
def test_the_extension_picks_the_format(cli, tmp_path, name):
    assert cli("bases", "-o", str(tmp_path / name)).exit_code == 0
    assert FORMAT_BY_NAME[name]((tmp_path / name).read_text())


@pytest.mark.parametrize(
    "fmt, name, check",
    [
        ("json", "bases.txt", lambda text: json.loads(text)[0]["id"] == "gpt-j-6b"),
        ("csv", "bases", lambda text: text.startswith("id,name,")),
        ("yml", "bases.yaml", lambda text: load_yaml(text)[0]["id"] == "gpt-j-6b"),
        ("md", "bases.markdown", lambda text: text.startswith("| id | name |")),
    ],
)
def test_an_explicit_format_serves_a_name_that_names_none(cli, tmp_path, fmt, name, check):
    assert cli("bases", "--format", fmt, "-o", str(tmp_path / name)).exit_code == 0
    assert check((tmp_path / name).read_text())


@pytest.mark.parametrize(
    "command, fmt, name",
    [
        (["bases"], "yaml", "bases.json"),
        (["bases"], "json", "bases.csv"),
        (["show", "vicuna"], "json", "vicuna.yaml"),
        (["export"], "json", "catalog.db"),
    ],
)
def test_a_format_the_extension_contradicts_is_refused(cli, tmp_path, command, fmt, name):
    """A .json file holding YAML breaks whatever opens it by its name: exit 2, nothing
    written, and the message names both ways out."""
    result = cli(*command, "--format", fmt, "-o", str(tmp_path / name))
    assert result.exit_code == 2
    assert f"--format {fmt} would write {fmt} into" in result.stderr
    assert "drop --format" in result.stderr and "(e.g. '" in result.stderr
    assert list(tmp_path.iterdir()) == []


def test_a_file_never_gets_the_terminal_table(tmp_path):
    from tests.test_cli import on_a_terminal

    code, screen = on_a_terminal("bases", "-o", str(tmp_path / "bases"))
    assert code == 0 and screen == ""
    assert is_tsv((tmp_path / "bases").read_text())


# --- every command that writes a result has -o and --force --------------------------------------

# command line, file name, what the file holds
COMMANDS = [
    (["show", "vicuna"], "vicuna.json", lambda text: json.loads(text)["id"] == "vicuna"),
    (["show", "vicuna"], "vicuna.yml", lambda text: load_yaml(text)["id"] == "vicuna"),
    (["show", "vicuna"], "vicuna.txt", lambda text: "vicuna" in text and "{" not in text),
    (["show", "vicuna", "--format", "json"], "vicuna.txt", lambda text: json.loads(text)),
    (
        ["estimate", "llama-7b"],
        "estimate.json",
        lambda text: json.loads(text)["model"] == "llama-7b",
    ),
    (["estimate", "llama-7b"], "estimate", lambda text: "GiB" in text and "{" not in text),
    (["compare", "alpaca", "vicuna"], "compare.md", lambda text: text.startswith("| field |")),
    (["compare", "alpaca", "vicuna"], "compare.json", lambda text: json.loads(text)["entries"]),
    (["compare", "alpaca", "vicuna"], "compare", lambda text: text.startswith("field\t")),
    (["export"], "catalog.json", lambda text: "projects" in json.loads(text)),
    (["export"], "catalog.yaml", lambda text: "projects" in load_yaml(text)),
    (["export"], "catalog.md", lambda text: "## Model Spec" in text),
    (["export"], "catalog", lambda text: "projects" in json.loads(text)),
    (["export", "--format", "yaml"], "catalog.txt", lambda text: "projects" in load_yaml(text)),
]


@pytest.mark.parametrize(
    "args, name, check", COMMANDS, ids=[f"{' '.join(c[0])} -o {c[1]}" for c in COMMANDS]
)
def test_every_command_writes_its_result_to_a_file(cli, tmp_path, monkeypatch, args, name, check):
    monkeypatch.setenv("FORCE_COLOR", "1")  # colour is for a terminal, never for a file
    target = tmp_path / name
    result = cli(*args, "-o", str(target))
    assert result.exit_code == 0, result.stderr
    assert result.stdout == ""
    text = target.read_text()
    assert check(text) and "\x1b[" not in text
    refused = cli(*args, "-o", str(target))
    assert refused.exit_code == 1 and "already exists; use --force" in refused.stderr
    assert target.read_text() == text
    assert cli(*args, "-o", str(target), "--force").exit_code == 0
    assert names_in(tmp_path) == [name]


@pytest.mark.parametrize(
    "command, name, suggested",
    [
        (["bases"], "bases.db", "bases.tsv"),  # a listing writes TSV into a file, not SQLite
        (["estimate", "llama-7b"], "estimate.csv", "estimate.txt"),
        (["estimate", "llama-7b", "--format", "json"], "estimate.md", "estimate.json"),
        (["compare", "alpaca", "vicuna"], "compare.db", "compare.tsv"),
        (["compare", "alpaca", "vicuna"], "compare.csv", "compare.tsv"),
        # CSV of every section is a folder of files, so that is what is suggested
        (["export", "--format", "csv"], "catalog.jsonl", "catalog/"),
        (["export", "--format", "csv", "--section", "gpus"], "gpus.jsonl", "gpus.csv"),
    ],
)
def test_a_name_for_a_format_the_command_lacks_is_refused(cli, tmp_path, command, name, suggested):
    """Whether --format was typed or not: the file would hold what its name does not say."""
    result = cli(*command, "-o", str(tmp_path / name))
    assert result.exit_code == 2
    assert "which this command does not write" in result.stderr
    assert f"'{tmp_path / suggested}{'/' if suggested.endswith('/') else ''}'" in result.stderr
    assert list(tmp_path.iterdir()) == []


def test_a_remembered_format_never_goes_into_a_file_named_for_another(cli, tmp_path):
    assert cli("config", "set", "format", "yaml").exit_code == 0
    refused = cli("estimate", "llama-7b", "-o", str(tmp_path / "estimate.md"))
    assert refused.exit_code == 2 and "estimate.yaml" in refused.stderr
    assert cli("estimate", "llama-7b", "-o", str(tmp_path / "estimate.yml")).exit_code == 0


@pytest.mark.parametrize("name", ["", " "])
def test_an_empty_output_name_is_a_usage_error(cli, name):
    result = cli("bases", "-o", name)
    assert result.exit_code == 2
    assert "-o needs a file name" in result.stderr


def test_export_takes_a_remembered_format_and_says_so(cli, tmp_path):
    assert cli("config", "set", "format", "yaml").exit_code == 0
    result = cli("export", "--section", "gpus")
    assert result.exit_code == 0 and load_yaml(result.stdout)["gpus"]
    assert "format yaml: from your config" in result.stderr
    assert cli("export", "-o", str(tmp_path / "catalog.json")).exit_code == 0  # the name wins
    assert json.loads((tmp_path / "catalog.json").read_text())["gpus"]


def test_a_folder_suggestion_says_folder_whichever_way_it_is_refused(cli, tmp_path):
    typed = cli("export", "-f", "csv", "-o", str(tmp_path / "out.json"))
    assert typed.exit_code == 2 and "give a folder name for csv" in typed.stderr
