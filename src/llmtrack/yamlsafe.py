"""Reading catalog files that may come from anyone: YAML or JSON, safely, with positions.

A catalog file is untrusted input. Before anything is built from it:
- it must be UTF-8 text, not binary;
- only core YAML tags are accepted (no ``!!python/object``, no custom tags);
- aliases may not expand the document by more than ``ALIAS_BUDGET`` nodes or
  ``ALIAS_BYTES_BUDGET`` bytes, which stops a "billion laughs" file in milliseconds, and
  an alias may not sit inside the collection it names (``&p [*p]`` would never end);
- lists and mappings may not nest deeper than ``MAX_DEPTH``: deep nesting costs the
  parser time out of all proportion to the file's size;
then its values are copied into plain Python values, noting the line and column of every
key and item, so each problem can be reported as FILE:LINE:COL.
"""

from __future__ import annotations

import datetime as dt
import warnings
from dataclasses import field

from llmtrack.errors import Problem
from llmtrack.lazyclass import lazy_dataclass

# Extra nodes that aliases may add to a document beyond the nodes written in it.
ALIAS_BUDGET = 10_000
ALIAS_BYTES_BUDGET = 1024**2  # what aliases may add, in bytes of text
MAX_DEPTH = 64  # nesting of lists and mappings: a catalog entry needs five
_CORE_TAGS = {
    None,
    "!",
    *(
        f"tag:yaml.org,2002:{t}"
        for t in ("str", "int", "float", "bool", "null", "seq", "map", "timestamp", "binary")
    ),
}

Location = tuple  # a place inside a file: (section, index, key, index, ...)


@lazy_dataclass()
class ParsedFile:
    """One file's raw entries (plain Python values) and where each key sits in it."""

    name: str
    sections: dict[str, list] = field(default_factory=dict)
    positions: dict[Location, tuple[int, int]] = field(default_factory=dict)
    located: bool = True  # False when read without positions (the fast way)
    json: bool = False  # read with the json module
    # what a file read the fast way is parsed again from, the first time a position is asked
    source: tuple[bytes, tuple[str, ...]] | None = field(default=None, repr=False)

    def locate(self, path: Location) -> tuple[int | None, int | None]:
        """Line and column of the deepest part of ``path`` present in the file."""
        if self.source is not None:
            data, sections = self.source
            self.source = None
            self.positions = parse_file(self.name, data, sections, locate=True)[0].positions
            self.located = True
        for end in range(len(path), 0, -1):
            if path[:end] in self.positions:
                return self.positions[path[:end]]
        return None, None


# A JSON file is parsed again as YAML to place its problems; not one this big, where the
# YAML parser would take minutes.
LOCATE_LIMIT = 2 * 1024**2


class _Refused(Exception):
    def __init__(self, problem: Problem):
        super().__init__(problem.message)
        self.problem = problem


def parse_file(
    name: str, data: bytes, sections: tuple[str, ...], locate: bool = True, trusted: bool = False
) -> tuple[ParsedFile, list[Problem]]:
    """Parse one catalog file: a mapping of section names to lists of entries.

    Without ``locate``, JSON is read with the json module (hundreds of times faster than the
    YAML parser) and YAML with ruamel's plain loader (about three times faster than the
    round-trip loader that records positions), both without line numbers: the file is
    parsed again for them only if a problem needs one. A JSON file over ``LOCATE_LIMIT``
    is not, since that would take minutes: its problems come without positions.

    A ``trusted`` file (the bundled catalog, which ships with the package and is validated
    by its tests) skips the pass that refuses alias bombs and foreign tags: that pass reads
    the whole file a second time."""
    parsed = ParsedFile(name)
    try:
        text = _decode(name, data)
        document = None if locate else _load_json(text)
        if document is not None:
            parsed.located, parsed.json = False, True
        else:
            document = _load(name, text, locate, trusted)
            parsed.located = locate
        if not parsed.located and (not parsed.json or len(data) <= LOCATE_LIMIT):
            parsed.source = (data, sections)
    except _Refused as refused:
        return parsed, [refused.problem]
    if document is None:
        return parsed, []
    if not isinstance(document, dict):
        return parsed, [
            _problem(name, 1, 1, "expected a mapping of section names to lists of entries")
        ]

    problems: list[Problem] = []
    line: int | None
    column: int | None
    # whether *this* document carries positions: a problem below may parse the file again
    # for its position (``locate``), which leaves ``parsed.located`` true but not this copy
    marked = parsed.located
    for section, entries in document.items():
        if marked:
            line, column = _key_position(document, section)
            parsed.positions[(section,)] = (line, column)
        elif section not in sections or not isinstance(entries, list):
            line, column = parsed.locate((section,))  # a problem: worth a second parse
        if section not in sections:
            import difflib

            near = difflib.get_close_matches(str(section), sections, n=1, cutoff=0.6)
            hint = f"did you mean {near[0]}?" if near else f"known: {', '.join(sections)}"
            problems.append(_problem(name, line, column, f"unknown section {section!r}; {hint}"))
            continue
        if not isinstance(entries, list):
            problems.append(
                _problem(name, line, column, f"section {section!r} must be a list of entries")
            )
            continue
        if parsed.json:  # JSON values are plain already
            parsed.sections[section] = entries
            continue
        positions = parsed.positions if marked else None
        try:
            parsed.sections[section] = [
                _plain(entry, (section, index), entries, index, positions)
                for index, entry in enumerate(entries)
            ]
        except _Unsupported as exc:
            line, column = parsed.locate(exc.path)
            problems.append(_problem(name, line, column, str(exc)))
    return parsed, problems


class _DuplicateKey(ValueError):
    pass


def _unique_keys(pairs: list) -> dict:
    mapping = {}
    for key, value in pairs:
        if key in mapping:
            raise _DuplicateKey(key)
        mapping[key] = value
    return mapping


def _load_json(text: str):
    """The document, if ``text`` is well-formed JSON with unique keys; None otherwise, so the
    YAML parser (which reads JSON too) can say where the trouble is."""
    if not text.lstrip().startswith("{"):
        return None
    import json

    try:
        document = json.loads(text, object_pairs_hook=_unique_keys)
    except (ValueError, RecursionError):  # JSONDecodeError and _DuplicateKey are ValueErrors
        return None
    return document


def _problem(name, line, column, message) -> Problem:
    return Problem(name, line, column, None, None, message)


def _decode(name: str, data: bytes) -> str:
    if b"\0" in data[:8192]:
        raise _Refused(_problem(name, None, None, "a binary file, not YAML or JSON text"))
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        message = f"not UTF-8 text ({exc.reason} at byte {exc.start}); save the file as UTF-8"
        raise _Refused(_problem(name, None, None, message)) from None


def _load(name: str, text: str, locate: bool = True, trusted: bool = False):
    from ruamel.yaml import YAML
    from ruamel.yaml.error import MarkedYAMLError, YAMLError

    # the round-trip loader records where every key sits; the plain one is faster
    yaml = YAML(typ="rt" if locate else "safe", pure=True)
    try:
        if not trusted:
            _check_events(name, yaml.parse(text))
        with warnings.catch_warnings():  # e.g. a reused anchor: legal YAML, not our business
            warnings.simplefilter("ignore")
            return yaml.load(text)
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, column = (mark.line + 1, mark.column + 1) if mark else (None, None)
        message = " ".join(str(exc.problem or exc.context or "invalid YAML").split())
        raise _Refused(_problem(name, line, column, f"YAML syntax: {message}")) from None
    except YAMLError as exc:
        raise _Refused(_problem(name, None, None, f"YAML syntax: {exc}")) from None
    except (ValueError, TypeError, OverflowError, RecursionError) as exc:
        # the YAML is well-formed but a value cannot be built, e.g. the date 2023-02-30
        raise _Refused(_problem(name, None, None, f"invalid value: {exc}")) from None


def _check_events(name: str, events) -> None:
    """Refuse non-core tags, nesting deeper than ``MAX_DEPTH``, an alias inside the
    collection it names (it would never end), and aliases that would expand the document
    by more than the budget, in nodes or in bytes."""
    from ruamel.yaml.events import (
        AliasEvent,
        CollectionEndEvent,
        CollectionStartEvent,
        DocumentStartEvent,
        NodeEvent,
        ScalarEvent,
    )

    def refuse(event, message: str):
        raise _Refused(_problem(name, *_mark(event), message))

    written = expanded = 0  # nodes as written, and once every alias is replaced
    written_bytes = expanded_bytes = 0  # the same in scalar bytes
    sizes: dict[str, tuple[int, int]] = {}  # anchor -> (nodes, bytes) it stands for
    # for each open collection: (nodes and bytes expanded before it, its anchor)
    open_collections: list[tuple[int, int, str | None]] = []
    for event in events:
        if isinstance(event, DocumentStartEvent) and written:
            refuse(event, "one YAML document per file, please")
        if isinstance(event, AliasEvent):
            if any(anchor == event.anchor for _, _, anchor in open_collections):
                refuse(event, f"alias *{event.anchor} is inside the collection it names")
            nodes, size = sizes.get(event.anchor, (1, 0))
            expanded += nodes
            expanded_bytes += size
        elif isinstance(event, NodeEvent):
            tag = getattr(event, "tag", None)
            if tag not in _CORE_TAGS:
                shown = str(tag).replace("tag:yaml.org,2002:", "!!")
                refuse(event, f"tag {shown} is not allowed: only core YAML types")
            written += 1
            expanded += 1
            if isinstance(event, CollectionStartEvent):
                if len(open_collections) >= MAX_DEPTH:
                    refuse(event, f"nested deeper than {MAX_DEPTH} levels; refused")
                open_collections.append((expanded - 1, expanded_bytes, event.anchor))
            elif isinstance(event, ScalarEvent):
                size = len(event.value or "")
                written_bytes += size
                expanded_bytes += size
                if event.anchor:
                    sizes[event.anchor] = (1, size)
        elif isinstance(event, CollectionEndEvent):
            before, before_bytes, anchor = open_collections.pop()
            if anchor:
                sizes[anchor] = (expanded - before, expanded_bytes - before_bytes)
        if expanded > written + ALIAS_BUDGET:
            refuse(event, f"aliases expand this file by more than {ALIAS_BUDGET:,} nodes; refused")
        if expanded_bytes > written_bytes + ALIAS_BYTES_BUDGET:
            mib = ALIAS_BYTES_BUDGET // 1024**2
            refuse(event, f"aliases expand this file by more than {mib} MiB; refused")


def _mark(event) -> tuple[int | None, int | None]:
    mark = event.start_mark
    return (mark.line + 1, mark.column + 1) if mark else (None, None)


class _Unsupported(ValueError):
    def __init__(self, path: Location, message: str):
        super().__init__(message)
        self.path = path


def _key_position(mapping, key) -> tuple[int, int]:
    line, column = mapping.lc.key(key)
    return line + 1, column + 1


def _plain(value, path: Location, parent, key, positions: dict | None) -> object:
    """Copy a ruamel node into plain Python values, noting each key's position in
    ``positions`` (None: the file was read without them)."""
    if positions is not None:
        try:
            lc = parent.lc  # ruamel's position marks
            line, column = lc.key(key) if isinstance(parent, dict) else lc.item(key)
            positions[path] = (line + 1, column + 1)
        except (AttributeError, KeyError, TypeError, IndexError):
            pass
    if isinstance(value, dict):
        return {str(k): _plain(v, (*path, str(k)), value, k, positions) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v, (*path, i), value, i, positions) for i, v in enumerate(value)]
    if value is None or isinstance(value, bool):
        return value
    # ruamel's scalars subclass the builtins; plain copies keep the records free of ruamel.
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return float(value)
    if isinstance(value, str):
        return str(value)
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()[:10]
    raise _Unsupported(path, f"unsupported value of type {type(value).__name__}")
