"""Filters as typed objects: what each listing command's options mean, decided here, so
the command line, notebooks and tests select entries the same way.

Each filter is built from already-parsed values (numbers in their unit, ISO dates) and
checks its enumerations when built; ``select(catalog)`` returns the entries that pass, in
catalog order, and the notes a user should see (a name that took a guess, entries left out
because a value is unknown). An unknown value never passes a filter on that value.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from types import MappingProxyType
from typing import Any, NamedTuple

from llmtrack import query
from llmtrack.catalog import values
from llmtrack.catalog.store import Catalog
from llmtrack.choices import choose
from llmtrack.errors import NotFoundError
from llmtrack.lazyclass import lazy_dataclass
from llmtrack.variants import label, views


class Selection(NamedTuple):
    entries: list[Any]
    notes: list[str]
    # values worked out while selecting, by entry id, shown as extra columns (what decided
    # that a project fits a card: its base, recipe, peak and verdict)
    extra: Mapping[str, dict[str, Any]] = MappingProxyType({})


@lazy_dataclass(frozen=True, eq=False)
class _Dated:
    """--since/--until: ISO dates, partial ones as spans (``2023-03`` is all of March)."""

    since: str | None = None
    until: str | None = None

    def _date_tests(self, catalog: Catalog) -> list[Callable[[Any], bool]]:
        if not (self.since or self.until):
            return []
        from llmtrack.units import parse_date

        since, until = (parse_date(d) if d else None for d in (self.since, self.until))
        return [query.dated_between(catalog.date_of, since, until)]


@lazy_dataclass(frozen=True, eq=False)
class ProjectFilter(_Dated):
    """Projects by base model, method, organisation, license, data, cost, date and card."""

    bases: Sequence[str] = ()  # names, ids or families: any of them
    methods: Sequence[str] = ()
    org: str | None = None
    license: str | None = None
    commercial: bool = False
    open_weights: bool = False
    data_origins: Sequence[str] = ()
    languages: Sequence[str] = ()
    max_cost_usd: float | None = None
    card: Any = None  # a memory.fits.Card: the training recipe must fit it

    def __post_init__(self):
        # as typed ('LoRA'), kept as the catalog spells them ('lora')
        methods = tuple(choose(m, values.METHODS, "method") for m in self.methods)
        origins = tuple(choose(o, values.DATA_ORIGINS, "data origin") for o in self.data_origins)
        languages = tuple(
            choose(lang, tuple(values.LANGUAGES), "language (ISO 639-1)", values.LANGUAGE_ALIASES)
            for lang in self.languages
        )
        object.__setattr__(self, "methods", methods)
        object.__setattr__(self, "data_origins", origins)
        object.__setattr__(self, "languages", languages)

    def select(self, catalog: Catalog) -> Selection:
        notes: list[str] = []
        candidates: Sequence[Any] = catalog.projects
        wanted: set[str] | None = None  # the base models asked about: their variants decide
        if self.bases:
            from llmtrack.match import NameIndex

            index = NameIndex.build(catalog, ["base_models"])
            ids: set[str] = set()
            for name in self.bases:
                found, note = index.resolve_many(name, "base model")
                ids.update(found)
                if note:
                    notes.append(note)
            candidates = catalog.projects_on(*ids)  # from the index: the rest stay unread
            wanted = ids
        tests: list[Callable[[Any], bool]] = []
        if self.methods:
            tests.append(query.using_methods(self.methods))
        if self.org:
            tests.append(query.text_contains("org", self.org))
        if self.license:
            tests.append(query.license_contains(self.license))
        if self.commercial:
            tests.append(query.commercial)
        if self.open_weights:
            tests.append(query.has_open_weights)
        if self.data_origins:
            tests.append(query.data_origin(self.data_origins))
        if self.languages:
            tests.append(query.language(self.languages))
        tests += self._date_tests(catalog)
        fits: dict[int, dict[str, Any]] = {}
        if self.card is not None:
            from llmtrack.memory.fits import project_fit

            card = self.card
            notes.append(f"card: {card.described}; each run by its own recipe, on one GPU")

            def fitting(run: Any) -> bool:
                found = project_fit(catalog, run, card)
                if found:
                    fits[id(run)] = found
                return found is not None

            tests.append(fitting)
        unknown_cost = 0
        projects = []
        # with --base or a card, each variant is judged on its own figures (``variants``)
        by_variant = wanted is not None or self.card is not None
        for project in candidates:
            runs = list(views(project, wanted)) if by_variant else [project]
            passing = [run for run in runs if all(test(run) for test in tests)]
            if self.max_cost_usd is not None:
                known = [run for run in passing if query.cost_known(run)]
                unknown_cost += bool(passing) and not known
                passing = [run for run in known if query.cost_at_most(self.max_cost_usd)(run)]
            projects.extend(passing[:1])  # one row per project: its first run that passes
        if unknown_cost:
            s = "s" if unknown_cost > 1 else ""
            notes.append(f"{unknown_cost} project{s} with unknown cost left out.")
        extra: dict[str, dict[str, Any]] = {}
        for run in projects:
            if by_variant:
                extra[run.id] = {"variant": label(run, catalog)}
            extra.setdefault(run.id, {}).update(fits.get(id(run), {}))
        return Selection(projects, notes, {k: v for k, v in extra.items() if v})


@lazy_dataclass(frozen=True, eq=False)
class BaseModelFilter(_Dated):
    """Base models by family, organisation, open or closed weights, size and date."""

    family: str | None = None
    org: str | None = None
    open_weights: bool | None = None  # True: open only; False: closed only
    # (low, high) or a units.ParamRange (low, high, nominal): sizes as people say them
    params: tuple[int | None, int | None] | tuple[int | None, int | None, bool] | None = None

    def select(self, catalog: Catalog) -> Selection:
        tests: list[Callable[[Any], bool]] = []
        if self.family:
            from llmtrack.match import NameIndex, normalize

            # a family, or a line named without its generation ('llama': LLaMA, Llama 2, 3, ...)
            members = NameIndex.build(catalog).families.get(normalize(self.family))
            if not members:
                raise NotFoundError(
                    f"unknown family {self.family!r}; families: {', '.join(catalog.families)}"
                )
            tests.append(lambda base: base.id in members)
        if self.org:
            tests.append(query.text_contains("org", self.org))
        if self.open_weights is not None:
            wanted = self.open_weights
            tests.append(lambda base: base.open_weights == wanted)
        if self.params:
            tests.append(query.params_between(*self.params))
        return Selection(query.select(catalog.base_models, tests + self._date_tests(catalog)), [])


@lazy_dataclass(frozen=True, eq=False)
class ReferenceFilter(_Dated):
    """Papers, tools and blog posts by kind and date."""

    kind: str | None = None

    def __post_init__(self):
        if self.kind:
            object.__setattr__(self, "kind", choose(self.kind, values.REFERENCE_KINDS, "kind"))

    def select(self, catalog: Catalog) -> Selection:
        tests = [query.equals("kind", self.kind)] if self.kind else []
        return Selection(query.select(catalog.references, tests + self._date_tests(catalog)), [])


@lazy_dataclass(frozen=True, eq=False)
class StageFilter(_Dated):
    """Fine-tuning stages by the date of the paper each rests on."""

    def select(self, catalog: Catalog) -> Selection:
        return Selection(query.select(catalog.stages, self._date_tests(catalog)), [])


@lazy_dataclass(frozen=True, eq=False)
class TechniqueFilter(_Dated):
    """Techniques by category and the date of the paper each rests on."""

    category: str | None = None

    def __post_init__(self):
        if self.category:
            category = choose(self.category, values.TECHNIQUE_CATEGORIES, "category")
            object.__setattr__(self, "category", category)

    def select(self, catalog: Catalog) -> Selection:
        tests = [query.equals("category", self.category)] if self.category else []
        return Selection(query.select(catalog.techniques, tests + self._date_tests(catalog)), [])


@lazy_dataclass(frozen=True, eq=False)
class GpuFilter(_Dated):
    """GPU presets by memory and date."""

    min_memory_gib: float | None = None

    def select(self, catalog: Catalog) -> Selection:
        tests: list[Callable[[Any], bool]] = []
        if self.min_memory_gib is not None:
            floor = self.min_memory_gib
            tests.append(lambda gpu: gpu.memory_gib >= floor)
        return Selection(query.select(catalog.gpus, tests + self._date_tests(catalog)), [])
