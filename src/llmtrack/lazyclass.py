"""Dataclasses whose methods are written when they are first needed, not at import.

``dataclasses.dataclass`` writes the source of a class's ``__init__`` (and, for a frozen
class, ``__setattr__`` and ``__delattr__``, and ``__repr__``) and compiles it while the
module is imported: a few tenths of a millisecond a class. llmtrack has about forty such
classes (the catalog's records, the filters, the listing and output types) and one command
builds a handful of them, so doing that work up front was a third of what every command
imports beyond typer itself.

``lazy_dataclass`` takes the usual options and leaves the class as written until one of
three things needs the generated class: its first instance, ``fields(cls)``, or
``materialize(cls)`` (validation calls it for every record before pydantic looks at
them). Then it runs ``dataclasses.dataclass`` on it, bases first, and the class is an
ordinary dataclass from then on: ``dataclasses.replace``, ``asdict`` and pydantic work
on it as on any other. Type checkers see a dataclass throughout (PEP 681).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    from typing_extensions import dataclass_transform
else:  # only type checkers read it, and typing_extensions costs milliseconds to import

    def dataclass_transform(**_options):
        return lambda function: function


T = TypeVar("T", bound=type)

_OPTIONS = "__lazy_dataclass_options__"  # in a class's own __dict__ until it is made


@dataclass_transform(field_specifiers=(dataclasses.field,))
def lazy_dataclass(
    *, frozen: bool = False, kw_only: bool = False, eq: bool = True, repr: bool = True
) -> Callable[[T], T]:
    """Like ``@dataclass(...)`` with these options, made on first use (see the module)."""
    options = {"frozen": frozen, "kw_only": kw_only, "eq": eq, "repr": repr}

    def defer(cls: T) -> T:
        def first_init(self: Any, *args: Any, **kwargs: Any) -> None:
            made = materialize(type(self))
            made.__init__(self, *args, **kwargs)

        setattr(cls, _OPTIONS, options)
        cls.__init__ = first_init  # type: ignore[misc]
        return cls

    return defer


def materialize(cls: T) -> T:
    """Make ``cls`` (and any lazy base it has) the dataclass it was declared as."""
    for klass in reversed(cls.__mro__):  # bases first: a subclass inherits their fields
        options = klass.__dict__.get(_OPTIONS)
        if options is not None:
            delattr(klass, _OPTIONS)
            delattr(klass, "__init__")  # the stand-in, so that dataclass writes the real one
            dataclasses.dataclass(**options)(klass)
    return cls


def is_pending(cls: type) -> bool:
    """True while a lazy dataclass has not been made yet."""
    return _OPTIONS in cls.__dict__


def fields(cls: type) -> tuple[dataclasses.Field, ...]:
    """``dataclasses.fields`` of a lazy (or ordinary) dataclass."""
    return dataclasses.fields(materialize(cls))
