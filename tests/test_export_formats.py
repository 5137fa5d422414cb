"""`export --format sqlite` (a table per section and a link table per reference, read back
with Python's sqlite3 and with the sqlite3 shell) and `--format csv` (a file per section)."""

from __future__ import annotations

import json
import shutil
import sqlite3
import subprocess
import sys

import pytest

from llmtrack.catalog import schema
from tests.conftest import run
from tests.test_cli import on_a_terminal


@pytest.fixture(scope="module")
def database(tmp_path_factory):
    path = tmp_path_factory.mktemp("sqlite") / "llmtrack.db"
    result = run("export", "-o", str(path))  # the extension picks the format
    assert result.returncode == 0, result.stderr
    return path


def _connect(path):
    connection = sqlite3.connect(path)
    connection.execute("PRAGMA foreign_keys = ON")
    return connection


def test_every_section_is_a_table_with_every_entry(database, catalog):
    with _connect(database) as db:
        for section in schema.SECTIONS:
            (count,) = db.execute(f'SELECT count(*) FROM "{section}"').fetchone()
            assert count == len(catalog.section(section)), section
        assert db.execute("PRAGMA foreign_key_check").fetchall() == []
        row = db.execute(
            "SELECT params, json_extract(architecture, '$.layers'), open_weights "
            "FROM base_models JOIN projects ON 1 WHERE base_models.id = 'llama-7b' "
            "AND projects.id = 'alpaca'"
        ).fetchone()
        assert row == (6738415616, 32, 1)


def test_references_are_link_tables_with_foreign_keys(database, catalog):
    with _connect(database) as db:
        links = db.execute(
            "SELECT b.id FROM projects p JOIN projects__base_models l ON l.project_id = p.id "
            "JOIN base_models b ON b.id = l.base_model_id WHERE p.id = 'vicuna' ORDER BY position"
        ).fetchall()
        assert [b for (b,) in links] == list(catalog.get("vicuna").base_models)
        keys = db.execute("PRAGMA foreign_key_list(projects__base_models)").fetchall()
        assert {(k[2], k[3]) for k in keys} == {
            ("projects", "project_id"),
            ("base_models", "base_model_id"),
        }
        (total,) = db.execute("SELECT count(*) FROM projects__base_models").fetchone()
        assert total == sum(len(p.base_models) for p in catalog.projects)
        tables = {name for (name,) in db.execute("SELECT name FROM sqlite_master")}
        assert {"references", "stages__tools", "projects__variants__base_model"} <= tables


@pytest.mark.skipif(shutil.which("sqlite3") is None, reason="no sqlite3 shell here")
def test_the_sqlite3_shell_runs_a_join(database):
    query = (
        "SELECT p.name, b.name FROM projects p JOIN projects__base_models l "
        "ON l.project_id = p.id JOIN base_models b ON b.id = l.base_model_id "
        "WHERE p.id = 'alpaca-lora';"
    )
    out = subprocess.run(["sqlite3", str(database), query], capture_output=True, text=True)
    assert out.returncode == 0 and out.stdout.strip() == "Alpaca-LoRA|LLaMA-7B"


def test_one_section_keeps_keys_only_to_what_is_there(tmp_path):
    path = tmp_path / "projects.sqlite"
    assert run("export", "--section", "projects", "-o", str(path)).returncode == 0
    with _connect(path) as db:
        tables = {name for (name,) in db.execute("SELECT name FROM sqlite_master")}
        assert "projects" in tables and "base_models" not in tables
        assert db.execute("PRAGMA foreign_key_check").fetchall() == []


def test_text_is_data_never_sql(tmp_path):
    hostile = 'x"); DROP TABLE projects; --'
    mine = tmp_path / "mine.yaml"
    mine.write_text(
        "projects:\n- id: odd\n  name: " + json.dumps(hostile) + "\n  base_models: [llama-7b]\n"
        "  sources: [https://example.org/odd]\n",
        encoding="utf-8",
    )
    path = tmp_path / "odd.db"
    assert run("--catalog", str(mine), "export", "-o", str(path)).returncode == 0
    with _connect(path) as db:
        assert db.execute("SELECT name FROM projects WHERE id = 'odd'").fetchone() == (hostile,)


@pytest.mark.slow
def test_a_database_is_not_written_to_a_terminal_but_to_a_pipe():
    code, screen = on_a_terminal("export", "--format", "sqlite")
    assert code == 2 and "SQLite" not in screen  # nothing binary reached the terminal
    piped = subprocess.run(
        [sys.executable, "-m", "llmtrack", "export", "--format", "sqlite"], capture_output=True
    )
    assert piped.returncode == 0 and piped.stdout.startswith(b"SQLite format 3\x00")
    code, screen = on_a_terminal("export", "--format", "sqlite", "-o", "/dev/stdout")
    assert code == 1 and "SQLite" not in screen  # a terminal by its device name


def test_an_existing_file_needs_force(tmp_path):
    path = tmp_path / "llmtrack.db"
    path.write_bytes(b"mine")
    refused = run("export", "-o", str(path))
    assert refused.returncode == 1 and path.read_bytes() == b"mine"
    assert run("export", "-o", str(path), "--force").returncode == 0
    assert path.read_bytes().startswith(b"SQLite format 3\x00")


# --- CSV: one file per section ---------------------------------------------------------


def test_csv_writes_a_file_per_section_into_a_folder(cli, catalog, tmp_path):
    import csv

    folder = tmp_path / "catalog"
    result = cli("export", "--format", "csv", "-o", str(folder))
    assert result.exit_code == 0, result.stderr
    assert sorted(p.name for p in folder.iterdir()) == sorted(f"{s}.csv" for s in schema.SECTIONS)
    with open(folder / "projects.csv", newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == len(catalog.projects)
    vicuna = next(row for row in rows if row["id"] == "vicuna")
    assert json.loads(vicuna["base_models"]) == list(catalog.get("vicuna").base_models)
    # again: nothing is replaced without --force, not even the files that are missing
    (folder / "gpus.csv").unlink()
    again = cli("export", "--format", "csv", "-o", str(folder))
    assert again.exit_code == 1 and "already exists" in again.stderr
    assert not (folder / "gpus.csv").exists()
    assert cli("export", "--format", "csv", "-o", str(folder), "--force").exit_code == 0


def test_csv_of_one_section_goes_anywhere_and_several_need_a_folder(cli, tmp_path):
    one = cli("export", "--format", "csv", "--section", "gpus")
    assert one.exit_code == 0 and one.stdout.startswith("id,name,")
    for target in ([], ["-o", str(tmp_path / "all.csv")]):
        refused = cli("export", "--format", "csv", *target)
        assert refused.exit_code == 2
        assert "CSV holds one section: give --section NAME, or -o FOLDER" in refused.stderr
    a_file = tmp_path / "taken"
    a_file.write_text("mine")
    clash = cli("export", "--format", "csv", "-o", str(a_file))
    assert clash.exit_code == 1 and a_file.read_text() == "mine"
