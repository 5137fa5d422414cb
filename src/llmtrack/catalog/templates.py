"""`llmtrack new SECTION`: a commented YAML template for one entry, built from the schema.

Every field of the section appears, with a comment saying whether it is required, its type
or allowed values and its unit. Required fields carry example values and optional ones
``null``, so the template is a valid catalog file as printed; optional nested records and
lists of records are shown commented out, ready to uncomment and fill in.
"""

from __future__ import annotations

import dataclasses
import json
import re
import types
import typing
from typing import Literal

from llmtrack.catalog import schema
from llmtrack.catalog.sections import SECTIONS

_UNIONS = (typing.Union, types.UnionType)


def _options(hint) -> list:
    return list(typing.get_args(hint)) if typing.get_origin(hint) in _UNIONS else [hint]


def _record_type(hint) -> type | None:
    """The record type of a field holding one record (or None)."""
    return next((t for t in _options(hint) if schema.is_record_type(t)), None)


def _list_record_type(hint) -> type | None:
    """The record type of a field holding a list of records (or None)."""
    for option in _options(hint):
        if typing.get_origin(option) is tuple:
            inner = typing.get_args(option)[0]
            if schema.is_record_type(inner):
                return inner
    return None


def _required(f: dataclasses.Field) -> bool:
    return f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING


def _kind(hint) -> str:
    """A short description of a field's type for the comment: every allowed value of an
    enumeration, from the schema itself, so none can be left out."""
    names = []
    for option in _options(hint):
        option = (
            typing.get_args(option)[0] if typing.get_origin(option) is typing.Annotated else option
        )
        if typing.get_origin(option) is Literal:
            names.append(" | ".join(map(str, typing.get_args(option))))
        elif typing.get_origin(option) is tuple:
            names.append(f"list of {_kind(typing.get_args(option)[0])}")
        elif option is type(None):
            continue
        else:
            names.append(getattr(option, "__name__", str(option)))
    return " | ".join(names)


def _comment(f: dataclasses.Field, hint, required: bool) -> str:
    doc, unit = f.metadata.get("doc"), f.metadata.get("unit")
    flag = "required" if required else "optional"
    parts = [flag, _kind(hint), doc, f"unit: {unit}" if unit else None]
    return "; ".join(part for part in parts if part)


_PLAIN = re.compile(r"[A-Za-z0-9][\w .,/()+-]*")


def _scalar(value, in_list: bool = False) -> str:
    """A YAML value on one line: flow lists, strings quoted when they need it."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_scalar(item, in_list=True) for item in value) + "]"
    text = str(value)
    plain = _PLAIN.fullmatch(text) and not in_list and text.lower() not in ("null", "true", "false")
    return text if plain else json.dumps(text, ensure_ascii=False)


def _lines(cls: type, section: str, commented: bool = False, filled=None) -> list[str]:
    """One line per field of ``cls``, each with its comment; nested records indented.
    ``filled``: a record whose values replace the examples and nulls."""
    hints = typing.get_type_hints(cls, include_extras=True)
    mark = "# " if commented else ""
    lines = []
    for f in schema.fields_of(cls):
        hint = hints[f.name]
        required = _required(f)
        comment = _comment(f, hint, required)
        record, listed = _record_type(hint), _list_record_type(hint)
        given = getattr(filled, f.name, None) if filled is not None else None
        if record is not None:
            # an optional record is shown commented out (uncomment it to fill it in), unless
            # it is filled in already
            inner = commented or (not required and given is None)
            lines.append(f"{'# ' if inner else ''}{f.name}:  # {comment}")
            lines += [f"  {line}" for line in _lines(record, section, inner, given)]
        elif listed is not None:
            lines.append(f"{mark}{f.name}: []  # {comment}")
            item = _lines(listed, section)
            lines.append(f"# {f.name}:  # for example:")
            lines += [f"# {'- ' if n == 0 else '  '}{line}" for n, line in enumerate(item)]
        else:
            value = _value(f, section) if required else f.default
            if filled is not None and given not in (None, ()):
                value = list(given) if isinstance(given, tuple) else given
            if value in (dataclasses.MISSING, None, ()):
                value = [] if typing.get_origin(_options(hint)[0]) is tuple else None
            shown = "null" if value is None else _scalar(value)
            lines.append(f"{mark}{f.name}: {shown}  # {comment}")
    return lines


def _value(f: dataclasses.Field, section: str):
    noun = SECTIONS[section].singular.replace(" ", "-").lower()
    if f.name == "id":
        return f"my-{noun}"
    if f.name == "name":
        return f"My {noun.replace('-', ' ')}"
    example = f.metadata.get("example")
    return "..." if example is None else example


def template(section: str, filled: schema.Entry | None = None, notes: tuple = ()) -> str:
    """The template; ``filled``, an entry whose values it shows (``new --from-config``),
    with ``notes`` on where they came from."""
    cls = schema.ENTRY_TYPES[section]
    header = [
        f"# A new {SECTIONS[section].singular} for llmtrack. Fill in what your sources say; "
        "unknown is null.",
        *(f"# {note}" for note in notes),
        "# Check it with: llmtrack validate THIS_FILE",
        "# Use it with:   llmtrack --catalog THIS_FILE list  (or put it in the config folder)",
        f"{section}:",
    ]
    body = _lines(cls, section, filled=filled)
    entry = [
        f"{'- ' if n == 0 else '  '}{line}" if not line.startswith("#") or n == 0 else f"  {line}"
        for n, line in enumerate(body)
    ]
    return "\n".join(header + entry) + "\n"
