"""The catalog as an SQLite database: one table per section, one link table per reference.

Each section's table has a column per top-level field: numbers and text as they are,
booleans as 0/1, and nested records and lists as JSON text (SQLite's ``json_extract`` and
``json_each`` read them). Every field that holds other entries' ids (``ref`` in the field's
metadata, nested ones too) gets a link table, ``projects__base_models`` say, with one row
per reference, its position in the list, and foreign keys to both tables, so that a join
needs no JSON and Datasette links the rows. Identifiers are always quoted: one section is
named ``references``, an SQL keyword.

The database is built in a private temporary folder and handed back as bytes, so writing it
goes through the same safe path as every other export (``output/write.py``)."""

from __future__ import annotations

import os
import sqlite3
import tempfile
from collections.abc import Sequence

from llmtrack.catalog import schema
from llmtrack.catalog.sections import SECTIONS
from llmtrack.catalog.store import Catalog
from llmtrack.output.export import section_table


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _column_type(values: list[object]) -> str:
    kinds = {type(v) for v in values if v is not None}
    if kinds and kinds <= {int, bool}:
        return "INTEGER"
    if kinds and kinds <= {int, float}:
        return "REAL"
    return "TEXT"


def _singular_id(section: str) -> str:
    return SECTIONS[section].singular.replace(" ", "_") + "_id"


def _link_table(section: str, path: tuple) -> str:
    return "__".join([section, *(part for part in path if isinstance(part, str))])


def sqlite_bytes(catalog: Catalog, sections: Sequence[str]) -> bytes:
    """The database file for ``sections`` of the catalog."""
    with tempfile.TemporaryDirectory(prefix="llmtrack-") as folder:
        path = os.path.join(folder, "catalog.db")
        connection = sqlite3.connect(path)
        try:
            with connection:
                _fill(connection, catalog, sections)
        finally:
            connection.close()
        with open(path, "rb") as handle:
            return handle.read()


def _fill(connection: sqlite3.Connection, catalog: Catalog, sections: Sequence[str]) -> None:
    links: dict[str, tuple[str, str, list[tuple]]] = {}  # table -> (from, to, rows)
    for section in sections:
        names, rows = section_table(catalog, section)  # nested values already JSON text
        columns = []
        for name in names:
            kind = _column_type([row.get(name) for row in rows])
            key = " PRIMARY KEY" if name == "id" else ""
            columns.append(f"{_quote(name)} {kind}{key}")
        connection.execute(f"CREATE TABLE {_quote(section)} ({', '.join(columns)})")
        marks = ", ".join("?" for _ in names)
        connection.executemany(
            f"INSERT INTO {_quote(section)} VALUES ({marks})",
            [[row.get(name) for name in names] for row in rows],  # a bool is an int to sqlite3
        )
        for entry in catalog.section(section):
            for path, target, ref in schema.references_of(entry):
                # the place in its list: the id's own, or the variant's it belongs to
                position = next((p for p in reversed(path) if isinstance(p, int)), 0)
                table = _link_table(section, path)
                links.setdefault(table, (section, target, []))[2].append((entry.id, ref, position))
    for table, (source, target, references) in links.items():
        source_id, target_id = _singular_id(source), _singular_id(target)
        if source_id == target_id:
            target_id = "target_" + target_id
        target_key = f" REFERENCES {_quote(target)}(id)" if target in sections else ""
        connection.execute(
            f"CREATE TABLE {_quote(table)} ({_quote(source_id)} TEXT NOT NULL "
            f"REFERENCES {_quote(source)}(id), {_quote(target_id)} TEXT NOT NULL{target_key}, "
            '"position" INTEGER NOT NULL)'
        )
        connection.executemany(f"INSERT INTO {_quote(table)} VALUES (?, ?, ?)", references)
