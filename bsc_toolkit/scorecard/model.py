"""The Balanced Scorecard as immutable values.

A :class:`Scorecard` holds objectives (each in one of the four perspectives,
each measured by KPIs), the cause-and-effect ``links`` between them, optional
initiatives and, for cascading, the ``parent`` scorecard it supports.

The models are frozen pydantic models: verbs such as :meth:`Scorecard.with_actuals`
return a modified copy. Unknown keys are an error, and the JSON Schema of
:class:`Scorecard` (:func:`scorecard_json_schema`) is the one schema the LLM
generator asks a model to fill.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Iterable, Iterator, Mapping
from enum import Enum
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

__all__ = [
    "PERSPECTIVE_ORDER",
    "Direction",
    "Generator",
    "Indicator",
    "Initiative",
    "KPI",
    "Link",
    "Objective",
    "Perspective",
    "Scorecard",
    "Sign",
    "Thresholds",
    "scorecard_json_schema",
]

ID_PATTERN = r"^[A-Za-z_][A-Za-z0-9_]*$"
Identifier = Annotated[
    str,
    Field(
        pattern=ID_PATTERN,
        min_length=1,
        max_length=64,
        description="Identifier: letters, digits and underscores, not starting with a digit "
        "(for a KPI also the column name in the KPI history).",
    ),
]


class Perspective(str, Enum):
    """The four Balanced Scorecard perspectives, in cause-and-effect order (bottom to top)."""

    learning_growth = "learning_growth"
    internal_process = "internal_process"
    customer = "customer"
    financial = "financial"

    @property
    def level(self) -> int:
        """0 for Learning & Growth up to 3 for Financial: links normally run upward."""
        return PERSPECTIVE_ORDER.index(self)

    @property
    def label(self) -> str:
        return _LABELS[self]

    def __str__(self) -> str:  # "financial", not "Perspective.financial"
        return self.value


PERSPECTIVE_ORDER: tuple[Perspective, ...] = (
    Perspective.learning_growth,
    Perspective.internal_process,
    Perspective.customer,
    Perspective.financial,
)
_LABELS = {
    Perspective.financial: "Financial",
    Perspective.customer: "Customer",
    Perspective.internal_process: "Internal Process",
    Perspective.learning_growth: "Learning & Growth",
}

Direction = Literal["up", "down"]
Indicator = Literal["leading", "lagging"]
Sign = Literal["positive", "negative"]
Frequency = Literal["daily", "weekly", "monthly", "quarterly", "semiannual", "annual"]


class _Frozen(BaseModel):
    model_config = ConfigDict(
        frozen=True,
        extra="forbid",
        populate_by_name=True,
        str_strip_whitespace=True,
        use_enum_values=False,
        allow_inf_nan=False,  # inf/nan thresholds, targets or weights are refused with their place
    )


class Thresholds(_Frozen):
    """Status thresholds in the KPI's own unit.

    ``green`` is the level at which the KPI is on target (green), ``red`` the
    red-flag level beyond which it is red; in between it is amber. For a KPI whose
    direction is ``down`` the comparisons are mirrored.
    """

    red: float = Field(description="Red-flag level: worse than this is red.")
    green: float = Field(description="Goal level: this or better is green.")


class KPI(_Frozen):
    """A key performance indicator: what is measured, which way is better, and the goal."""

    id: Identifier
    name: str = Field(min_length=1, max_length=200)
    unit: str = Field(default="", max_length=40, description="e.g. '%', 'EUR m', 'days', 'score'")
    direction: Direction | None = Field(
        default=None, description="'up' if higher is better, 'down' if lower is better."
    )
    indicator: Indicator | None = Field(
        default=None, description="'leading' (a driver) or 'lagging' (an outcome)."
    )
    description: str | None = Field(default=None, max_length=2000)
    baseline: float | None = None
    target: float | None = None
    actual: float | None = Field(default=None, description="Latest actual value, when known.")
    thresholds: Thresholds | None = None
    weight: float | None = Field(default=None, ge=0, description="Weight in the objective's score.")
    owner: str | None = Field(default=None, max_length=200)
    frequency: Frequency | None = None
    column: str | None = Field(
        default=None, min_length=1, max_length=200,
        description="Column name in the KPI history when it differs from the id (e.g. 'Sales (EUR)').",
    )

    @field_validator("column")
    @classmethod
    def _column_printable(cls, v: str | None) -> str | None:
        if v is not None and any(ord(ch) < 32 or ord(ch) == 127 for ch in v):
            raise PydanticCustomError("bsc_column", "`column` must be one line of text (a column name)")
        return v
    drafted: bool | None = Field(
        default=None,
        description="True when a generator drafted this KPI from the brief's own words (no library KPI "
        "fitted): define how it is measured, then set its baseline and target.",
    )


class Objective(_Frozen):
    """A strategic objective in one perspective, measured by one or two KPIs."""

    id: Identifier
    perspective: Perspective
    name: str = Field(min_length=1, max_length=200)
    description: str | None = Field(default=None, max_length=2000)
    kpis: tuple[KPI, ...] = Field(default=(), description="KPIs; the first is the primary KPI.")
    weight: float | None = Field(default=None, ge=0, description="Weight in the perspective's score.")
    owner: str | None = Field(default=None, max_length=200)
    supports: tuple[str, ...] = Field(
        default=(), description="Ids of objectives in the parent scorecard this objective supports."
    )
    drafted: bool | None = Field(
        default=None,
        description="True when a generator drafted this objective from a theme of the brief rather than "
        "taking it from a KPI library: check its wording.",
    )

    @property
    def primary_kpi(self) -> KPI | None:
        """The KPI that stands for this objective in statistics (the first one)."""
        return self.kpis[0] if self.kpis else None


class Link(_Frozen):
    """A hypothesised cause-and-effect link from a driver to an outcome.

    ``from``/``to`` name an objective (which stands for its primary KPI) or a KPI.
    """

    source: Identifier = Field(alias="from", description="Driver: objective id or KPI id.")
    target: Identifier = Field(alias="to", description="Outcome: objective id or KPI id.")
    sign: Sign = Field(default="positive", description="Expected sign of the effect.")
    lags: tuple[Annotated[int, Field(ge=0, le=60)], ...] | None = Field(
        default=None, description="Explicit lags of the driver to test, e.g. [0, 1]."
    )
    max_lag: int | None = Field(
        default=None, ge=0, le=60, description="Test lags 1..max_lag, chosen by an information criterion."
    )
    rationale: str | None = Field(default=None, max_length=2000)

    @field_validator("lags")
    @classmethod
    def _lags_sorted_unique(cls, v: tuple[int, ...] | None) -> tuple[int, ...] | None:
        if v is None:
            return v
        if len(v) == 0:
            raise PydanticCustomError("bsc_lags", "`lags` must list at least one lag, got []")
        if len(set(v)) != len(v):
            raise PydanticCustomError("bsc_lags", "`lags` must not repeat a lag, got {lags}", {"lags": list(v)})
        return tuple(sorted(v))

    @model_validator(mode="after")
    def _lags_xor_max_lag(self) -> Link:
        if self.lags is not None and self.max_lag is not None:
            raise PydanticCustomError(
                "bsc_lags", "give either `lags` or `max_lag`, not both (got lags={lags}, max_lag={m})",
                {"lags": list(self.lags), "m": self.max_lag},
            )
        return self

    @property
    def key(self) -> tuple[str, str]:
        return (self.source, self.target)


class Initiative(_Frozen):
    """A strategic initiative (project) that serves one or more objectives."""

    id: Identifier | None = None
    name: str = Field(min_length=1, max_length=200)
    owner: str | None = Field(default=None, max_length=200)
    budget: float | None = Field(default=None, ge=0)
    currency: str | None = Field(default=None, max_length=10)
    start: _dt.date | None = None
    end: _dt.date | None = None
    objectives: tuple[str, ...] = Field(default=(), description="Ids of the objectives it serves.")
    description: str | None = Field(default=None, max_length=2000)


class Generator(_Frozen):
    """Which generator produced a scorecard (recorded honestly in the file)."""

    name: str = Field(description="'offline', 'openai', or 'manual'.")
    model: str | None = None
    provider_url: str | None = None
    created: str | None = None
    note: str | None = None


class Scorecard(_Frozen):
    """A Balanced Scorecard: objectives, KPIs, links, initiatives.

    Examples
    --------
    >>> from bsc_toolkit.scorecard import Scorecard
    >>> sc = Scorecard.model_validate({
    ...     "name": "Tiny",
    ...     "objectives": [
    ...         {"id": "F1", "perspective": "financial", "name": "Grow revenue",
    ...          "kpis": [{"id": "revenue", "name": "Revenue", "direction": "up"}]},
    ...         {"id": "C1", "perspective": "customer", "name": "Keep customers",
    ...          "kpis": [{"id": "retention", "name": "Retention", "direction": "up"}]},
    ...     ],
    ...     "links": [{"from": "C1", "to": "F1"}],
    ... })
    >>> sc.kpi_for("C1").id
    'retention'
    """

    name: str = Field(min_length=1, max_length=200)
    organisation: str | None = Field(default=None, max_length=200)
    sector: str | None = Field(default=None, max_length=200)
    description: str | None = Field(default=None, max_length=4000)
    mission: str | None = Field(default=None, max_length=2000)
    vision: str | None = Field(default=None, max_length=2000)
    period: str | None = Field(default=None, max_length=100, description="e.g. 'FY2026'.")
    parent: str | None = Field(
        default=None, description="Parent scorecard this one cascades from (a file path or example name)."
    )
    generator: Generator | None = None
    perspective_weights: dict[Perspective, float] | None = Field(
        default=None, description="Weights of the perspectives in the overall score."
    )
    objectives: tuple[Objective, ...] = Field(default=())
    links: tuple[Link, ...] = Field(default=())
    initiatives: tuple[Initiative, ...] = Field(default=())

    # ------------------------------------------------------------------ checks
    @model_validator(mode="after")
    def _check_references(self, info: ValidationInfo) -> Scorecard:
        if info.context and info.context.get("skip_references"):
            return self
        problems = list(_reference_problems(self))
        if problems:
            path, msg = problems[0]
            # One problem per raise is what pydantic supports from here; the
            # loader collects the rest through ``reference_problems``.
            raise PydanticCustomError("bsc_reference", "{message}", {"path": path, "message": msg})
        return self

    # --------------------------------------------------------------- accessors
    @property
    def kpis(self) -> tuple[KPI, ...]:
        """All KPIs in objective order."""
        return tuple(k for o in self.objectives for k in o.kpis)

    def _lookup(self) -> _Lookup:
        """Id indexes, built once per ``objectives`` tuple (a linear scan per lookup made lint quadratic).

        Cached in ``__dict__`` beside the fields (pydantic compares and dumps fields only);
        a copy made with ``model_copy`` carries the old entry, which the ``is`` check refuses.
        """
        cached = self.__dict__.get("_bsc_lookup")
        if cached is None or cached.objectives is not self.objectives:
            cached = _Lookup(self.objectives)
            self.__dict__["_bsc_lookup"] = cached
        return cached

    def objective(self, id: str) -> Objective:
        o = self._lookup().objective.get(id)
        if o is None:
            raise KeyError(f"no objective '{id}' in scorecard '{self.name}'")
        return o

    def kpi(self, id: str) -> KPI:
        k = self._lookup().kpi.get(id)
        if k is None:
            raise KeyError(f"no KPI '{id}' in scorecard '{self.name}'")
        return k

    def objective_of(self, id: str) -> Objective:
        """The objective with this id, or the objective that owns the KPI with this id."""
        hit = self._lookup().either.get(id)
        if hit is None:
            raise KeyError(f"no objective or KPI '{id}' in scorecard '{self.name}'")
        return hit[0]

    def kpi_for(self, id: str) -> KPI:
        """The KPI an id stands for: the KPI itself, or an objective's primary KPI."""
        hit = self._lookup().either.get(id)
        if hit is None:
            raise KeyError(f"no objective or KPI '{id}' in scorecard '{self.name}'")
        o, k = hit
        if k is not None:
            return k
        if not o.kpis:
            raise KeyError(f"objective '{id}' has no KPI to stand for it")
        return o.kpis[0]

    def perspective_of(self, id: str) -> Perspective:
        return self.objective_of(id).perspective

    def objectives_in(self, perspective: Perspective | str) -> tuple[Objective, ...]:
        p = Perspective(perspective)
        return tuple(o for o in self.objectives if o.perspective == p)

    def iter_kpis(self) -> Iterator[tuple[Objective, KPI]]:
        for o in self.objectives:
            for k in o.kpis:
                yield o, k

    # ------------------------------------------------------------------ verbs
    def with_actuals(self, actuals: Mapping[str, float | None]) -> Scorecard:
        """Return a copy with KPI ``actual`` values replaced (keys are KPI ids).

        Unknown KPI ids raise :class:`KeyError` naming them.
        """
        known = {k.id for k in self.kpis}
        unknown = sorted(set(actuals) - known)
        if unknown:
            raise KeyError(f"actuals given for unknown KPI ids: {', '.join(unknown)}")
        objectives = tuple(
            o.model_copy(
                update={
                    "kpis": tuple(
                        k.model_copy(update={"actual": _as_float(actuals[k.id])}) if k.id in actuals else k
                        for k in o.kpis
                    )
                }
            )
            for o in self.objectives
        )
        return self.model_copy(update={"objectives": objectives})

    def with_links(self, links: Iterable[Link | Mapping[str, Any]]) -> Scorecard:
        """Return a copy with these links (validated again)."""
        data = self.to_dict()
        data["links"] = [
            lk.model_dump(by_alias=True, exclude_none=True, mode="json") if isinstance(lk, Link) else dict(lk)
            for lk in links
        ]
        return Scorecard.model_validate(data)

    def replace(self, **changes: Any) -> Scorecard:
        """Return a validated copy with top-level fields replaced."""
        data = self.to_dict()
        for key, value in changes.items():
            if isinstance(value, BaseModel):
                value = value.model_dump(by_alias=True, exclude_none=True, mode="json")
            elif isinstance(value, (list, tuple)):
                value = [
                    v.model_dump(by_alias=True, exclude_none=True, mode="json") if isinstance(v, BaseModel) else v
                    for v in value
                ]
            data[key] = value
        return Scorecard.model_validate(data)

    # --------------------------------------------------------------- export
    def to_dict(self) -> dict[str, Any]:
        """Plain data in file order (``from``/``to`` for links), omitting unset fields."""
        return self.model_dump(by_alias=True, exclude_none=True, exclude_defaults=False, mode="json")

    def to_yaml(self) -> str:
        from ._yaml import dump

        return dump(self.to_dict())

    def to_json(self, indent: int = 2) -> str:
        import json

        return json.dumps(self.to_dict(), indent=indent, ensure_ascii=False) + "\n"

    def __str__(self) -> str:
        n_k = len(self.kpis)
        return f"Scorecard '{self.name}': {len(self.objectives)} objectives, {n_k} KPIs, {len(self.links)} links"


class _Lookup:
    """Objectives and KPIs by id; the first one wins, in the order a linear scan would find it."""

    def __init__(self, objectives: tuple[Objective, ...]) -> None:
        self.objectives = objectives
        self.objective: dict[str, Objective] = {}
        self.kpi: dict[str, KPI] = {}
        self.either: dict[str, tuple[Objective, KPI | None]] = {}
        for o in objectives:
            self.objective.setdefault(o.id, o)
            self.either.setdefault(o.id, (o, None))
            for k in o.kpis:
                self.kpi.setdefault(k.id, k)
                self.either.setdefault(k.id, (o, k))


def _as_float(v: Any) -> float | None:
    return None if v is None else float(v)


def _reference_problems(sc: Scorecard) -> Iterator[tuple[str, str]]:
    """Cross-reference problems as (path, message): duplicate ids, dangling links, bad parents."""
    seen: dict[str, str] = {}
    for i, o in enumerate(sc.objectives):
        path = f"objectives[{i}].id"
        if o.id in seen:
            yield path, f"duplicate id '{o.id}' (already used at {seen[o.id]}); ids of objectives and KPIs must be unique"
        else:
            seen[o.id] = path
        for j, k in enumerate(o.kpis):
            kpath = f"objectives[{i}].kpis[{j}].id"
            if k.id in seen:
                yield kpath, f"duplicate id '{k.id}' (already used at {seen[k.id]}); ids of objectives and KPIs must be unique"
            else:
                seen[k.id] = kpath
    link_seen: dict[tuple[str, str], int] = {}
    for i, lk in enumerate(sc.links):
        for end, value in (("from", lk.source), ("to", lk.target)):
            if value not in seen:
                yield f"links[{i}].{end}", f"link {end} '{value}', which is not an objective or KPI id in this scorecard (known: {_few(seen)})"
        if lk.source in seen and lk.target in seen and lk.source == lk.target:
            yield f"links[{i}]", f"link from '{lk.source}' to itself"
        if lk.key in link_seen:
            yield f"links[{i}]", f"duplicate link {lk.source} -> {lk.target} (also links[{link_seen[lk.key]}])"
        else:
            link_seen[lk.key] = i
    obj_ids = {o.id for o in sc.objectives}
    for i, ini in enumerate(sc.initiatives):
        for j, oid in enumerate(ini.objectives):
            if oid not in obj_ids:
                yield f"initiatives[{i}].objectives[{j}]", f"initiative serves '{oid}', which is not an objective id (known: {_few(obj_ids)})"
    if sc.perspective_weights is not None:
        for p, w in sc.perspective_weights.items():
            if w < 0:
                yield f"perspective_weights.{p.value}", f"weight must be >= 0, got {w}"


def reference_problems(sc: Scorecard) -> list[tuple[str, str]]:
    return list(_reference_problems(sc))


def _few(ids: Iterable[str], n: int = 8) -> str:
    ids = sorted(ids)
    s = ", ".join(ids[:n])
    return s + (", ..." if len(ids) > n else "")


def scorecard_json_schema() -> dict[str, Any]:
    """The JSON Schema of a scorecard file: the one schema users and LLMs fill.

    Examples
    --------
    >>> schema = scorecard_json_schema()
    >>> schema["additionalProperties"]
    False
    """
    return Scorecard.model_json_schema(by_alias=True, mode="validation")
