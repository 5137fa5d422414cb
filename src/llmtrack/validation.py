"""Turn catalog YAML into typed entries, or into a list of located problems.

This is the slow, careful path: ruamel.yaml's round-trip parser (it keeps the
line and column of every key) and pydantic. Commands normally read the compiled
catalog instead (see ``catalog.py``) and never import this module.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field

from llmtrack import schema
from llmtrack.errors import CatalogError, Problem

Path = tuple  # a location inside a file: (section, index, key, index, ...)


@dataclass
class ParsedFile:
    """One file's raw entries (plain Python values) and where each key sits in it."""

    name: str
    sections: dict[str, list[dict]] = field(default_factory=dict)
    positions: dict[Path, tuple[int, int]] = field(default_factory=dict)

    def locate(self, path: Path) -> tuple[int | None, int | None]:
        """Line and column of the deepest part of ``path`` present in the file."""
        for end in range(len(path), 0, -1):
            if path[:end] in self.positions:
                return self.positions[path[:end]]
        return None, None


def parse_file(name: str, data: bytes) -> tuple[ParsedFile, list[Problem]]:
    """Parse one YAML (or JSON, which is YAML) catalog file."""
    from ruamel.yaml import YAML
    from ruamel.yaml.error import MarkedYAMLError, YAMLError

    parsed = ParsedFile(name)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        return parsed, [
            Problem(
                name, None, None, None, None, f"not UTF-8 text ({exc.reason} at byte {exc.start})"
            )
        ]
    try:
        document = YAML(typ="rt", pure=True).load(text)
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, column = (mark.line + 1, mark.column + 1) if mark else (None, None)
        message = " ".join(str(exc.problem or exc.context or "invalid YAML").split())
        return parsed, [Problem(name, line, column, None, None, f"YAML syntax: {message}")]
    except YAMLError as exc:
        return parsed, [Problem(name, None, None, None, None, f"YAML syntax: {exc}")]

    if document is None:
        return parsed, []
    if not isinstance(document, dict):
        return parsed, [
            Problem(
                name, 1, 1, None, None, "expected a mapping of section names to lists of entries"
            )
        ]

    problems: list[Problem] = []
    for section, entries in document.items():
        line, column = _key_position(document, section)
        if section not in schema.ENTRY_TYPES:
            known = ", ".join(schema.SECTIONS)
            problems.append(
                Problem(
                    name, line, column, None, None, f"unknown section {section!r} (known: {known})"
                )
            )
            continue
        if not isinstance(entries, list):
            problems.append(
                Problem(
                    name, line, column, None, None, f"section {section!r} must be a list of entries"
                )
            )
            continue
        parsed.positions[(section,)] = (line, column)
        try:
            parsed.sections[section] = [
                _plain(entry, (section, index), document[section], index, parsed.positions)
                for index, entry in enumerate(entries)
            ]
        except _Unsupported as exc:
            line, column = parsed.locate(exc.path)
            problems.append(Problem(name, line, column, None, None, str(exc)))
    return parsed, problems


class _Unsupported(ValueError):
    def __init__(self, path: Path, message: str):
        super().__init__(message)
        self.path = path


def _key_position(mapping, key) -> tuple[int, int]:
    line, column = mapping.lc.key(key)
    return line + 1, column + 1


def _plain(value, path: Path, parent, key, positions: dict) -> object:
    """Copy a ruamel node into plain Python values, noting each key's position."""
    try:
        if isinstance(parent, dict):
            line, column = parent.lc.key(key)
        else:
            line, column = parent.lc.item(key)
        positions[path] = (line + 1, column + 1)
    except (AttributeError, KeyError, TypeError):
        pass
    if isinstance(value, dict):
        return {str(k): _plain(v, (*path, str(k)), value, k, positions) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v, (*path, i), value, i, positions) for i, v in enumerate(value)]
    if value is None or isinstance(value, bool):
        return value
    # ruamel's scalars subclass the builtins; plain copies keep pickles free of ruamel.
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return float(value)
    if isinstance(value, str):
        return str(value)
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()[:10]
    raise _Unsupported(path, f"unsupported YAML value of type {type(value).__name__}")


# --- schema validation ---------------------------------------------------------

_PREDICATE = re.compile(r"Predicate '?(\w+)'? failed")


def _adapters():
    from pydantic import TypeAdapter

    return {section: TypeAdapter(cls) for section, cls in schema.ENTRY_TYPES.items()}


def _message(error: dict) -> str:
    kind = error["type"]
    if kind in ("unexpected_keyword_argument", "extra_forbidden"):
        return "unknown key"
    if kind in ("missing", "missing_keyword_argument"):
        return "required field is missing"
    match = _PREDICATE.search(error["msg"])
    if match:
        check = getattr(schema, match.group(1), None)
        expected = (check.__doc__ or match.group(1)) if check else match.group(1)
        return f"{error['input']!r} is not {expected}"
    return error["msg"]


def validate_parsed(
    files: Sequence[ParsedFile],
) -> tuple[dict[str, list[schema.Entry]], list[Problem]]:
    """Validate every entry of every file; then ids and cross-references across them all."""
    from pydantic import ValidationError

    adapters = _adapters()
    sections: dict[str, list[schema.Entry]] = {name: [] for name in schema.SECTIONS}
    origin: dict[int, tuple[ParsedFile, Path]] = {}  # id(entry) -> where it came from
    problems: list[Problem] = []
    for parsed in files:
        for section, raw_entries in parsed.sections.items():
            for index, raw in enumerate(raw_entries):
                path = (section, index)
                label = (
                    raw.get("id")
                    if isinstance(raw, dict) and isinstance(raw.get("id"), str)
                    else f"{section}[{index}]"
                )
                if not isinstance(raw, dict):
                    line, column = parsed.locate(path)
                    problems.append(
                        Problem(
                            parsed.name,
                            line,
                            column,
                            label,
                            None,
                            "an entry must be a mapping of fields",
                        )
                    )
                    continue
                try:
                    entry = adapters[section].validate_python(raw)
                except ValidationError as exc:
                    for error in exc.errors():
                        loc = tuple(error["loc"])
                        line, column = parsed.locate(path + loc)
                        where = ".".join(str(part) for part in loc) or None
                        problems.append(
                            Problem(parsed.name, line, column, label, where, _message(error))
                        )
                    continue
                sections[section].append(entry)
                origin[id(entry)] = (parsed, path)
    problems.extend(_check_ids_and_references(sections, origin))
    return sections, problems


def _references_of(entry: schema.Entry) -> Iterator[tuple[Path, str, str]]:
    """Every (field path, target section, id) an entry points at."""
    if isinstance(entry, schema.Project):
        for i, base in enumerate(entry.base_models):
            yield ("base_models", i), "base_models", base
        for i, ref in enumerate(entry.references):
            yield ("references", i), "references", ref
        if entry.training and entry.training.gpu:
            yield ("training", "gpu"), "gpus", entry.training.gpu
        for i, deployment in enumerate(entry.deploy):
            if deployment.gpu:
                yield ("deploy", i, "gpu"), "gpus", deployment.gpu
    elif isinstance(entry, schema.BaseModelEntry):
        if entry.paper:
            yield ("paper",), "references", entry.paper
    elif isinstance(entry, (schema.Stage, schema.Technique)):
        for i, ref in enumerate(entry.references):
            yield ("references", i), "references", ref
        for i, tool in enumerate(entry.tools):
            yield ("tools", i), "references", tool


def _check_ids_and_references(sections, origin) -> Iterable[Problem]:
    first_seen: dict[str, schema.Entry] = {}
    for entries in sections.values():
        for entry in entries:
            earlier = first_seen.setdefault(entry.id, entry)
            if earlier is not entry:
                parsed, path = origin[id(entry)]
                other, other_path = origin[id(earlier)]
                line, column = parsed.locate((*path, "id"))
                other_line, _ = other.locate((*other_path, "id"))
                yield Problem(
                    parsed.name,
                    line,
                    column,
                    entry.id,
                    "id",
                    f"duplicate id, first defined at {other.name}:{other_line}",
                )
    ids_by_section = {name: {e.id for e in entries} for name, entries in sections.items()}
    for entries in sections.values():
        for entry in entries:
            for field_path, target, ref in _references_of(entry):
                if ref not in ids_by_section[target]:
                    parsed, path = origin[id(entry)]
                    line, column = parsed.locate(path + field_path)
                    where = ".".join(str(part) for part in field_path)
                    yield Problem(
                        parsed.name,
                        line,
                        column,
                        entry.id,
                        where,
                        f"unknown {target.replace('_', ' ')[:-1]} id {ref!r}",
                    )


def load_entries(files: Iterable[tuple[str, bytes]]) -> dict[str, list[schema.Entry]]:
    """Parse and validate named file contents; raise CatalogError listing every problem."""
    parsed_files, problems = [], []
    for name, data in files:
        parsed, file_problems = parse_file(name, data)
        parsed_files.append(parsed)
        problems.extend(file_problems)
    sections, entry_problems = validate_parsed(parsed_files)
    problems.extend(entry_problems)
    if problems:
        raise CatalogError(problems)
    return sections
