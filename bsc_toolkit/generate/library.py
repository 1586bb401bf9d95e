"""The curated KPI library the offline generator draws from.

The library lives in ``bsc_toolkit/generate/library/*.yaml``: one file per sector
(retail, healthcare, software, manufacturing, banking, public sector, education,
logistics, hospitality, energy, telecom, non-profit) plus ``common.yaml`` with
cross-sector objectives (finance basics, digital transformation, AI adoption,
ESG). Each objective has a perspective, a name, matching keywords, one or two
KPIs and its typical upward links (``to``). Edit the files to extend it; the
loader checks every entry and names the file and the entry on a problem.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from importlib import resources
from typing import Any

import yaml

from ..errors import GenerationError
from ..scorecard.model import ID_PATTERN, Perspective

__all__ = ["LibraryKPI", "LibraryObjective", "KPILibrary", "load_library"]

_P = {
    "F": Perspective.financial,
    "C": Perspective.customer,
    "P": Perspective.internal_process,
    "L": Perspective.learning_growth,
}


@dataclass(frozen=True)
class LibraryKPI:
    """A KPI template: id (the column name), name, unit, direction, indicator, typical values."""

    id: str
    name: str
    unit: str
    direction: str
    indicator: str
    baseline: float
    target: float


@dataclass(frozen=True)
class LibraryObjective:
    """An objective template with its KPIs and its typical upward links."""

    id: str
    sector: str
    perspective: Perspective
    name: str
    keywords: str
    kpis: tuple[LibraryKPI, ...]
    to: tuple[str, ...]

    @property
    def document(self) -> str:
        """The text the TF-IDF matcher compares with the brief."""
        kpi_text = " ".join(k.name for k in self.kpis)
        return f"{self.name} {self.name} {self.keywords} {kpi_text}"


@dataclass(frozen=True)
class Sector:
    """A sector of the library: its name, label, aliases and keywords."""

    name: str
    label: str
    aliases: tuple[str, ...]
    keywords: str


@dataclass(frozen=True)
class KPILibrary:
    """All sectors and objectives of the library, in file order."""

    sectors: tuple[Sector, ...]
    objectives: tuple[LibraryObjective, ...]

    def objective(self, id: str) -> LibraryObjective:
        for o in self.objectives:
            if o.id == id:
                return o
        raise KeyError(id)

    def sector(self, name: str) -> Sector:
        for s in self.sectors:
            if s.name == name:
                return s
        raise KeyError(name)

    def in_sector(self, name: str) -> tuple[LibraryObjective, ...]:
        return tuple(o for o in self.objectives if o.sector == name)

    @property
    def n_kpis(self) -> int:
        return sum(len(o.kpis) for o in self.objectives)

    def __str__(self) -> str:
        return (
            f"KPI library: {len(self.sectors)} sectors, {len(self.objectives)} objectives, "
            f"{self.n_kpis} KPIs"
        )


def _fail(file: str, where: str, message: str) -> GenerationError:
    return GenerationError(f"KPI library file {file}: {where}: {message}")


def _parse_kpi(raw: Any, file: str, where: str) -> LibraryKPI:
    if not isinstance(raw, list) or len(raw) != 7:
        raise _fail(file, where, f"expected [id, name, unit, direction, indicator, baseline, target], got {raw!r}")
    kid, name, unit, direction, indicator, baseline, target = raw
    import re

    if not isinstance(kid, str) or not re.match(ID_PATTERN, kid):
        raise _fail(file, where, f"KPI id must be an identifier, got {kid!r}")
    if direction not in ("up", "down"):
        raise _fail(file, where, f"direction must be 'up' or 'down', got {direction!r}")
    if indicator not in ("leading", "lagging"):
        raise _fail(file, where, f"indicator must be 'leading' or 'lagging', got {indicator!r}")
    try:
        b, t = float(baseline), float(target)
    except (TypeError, ValueError):
        raise _fail(file, where, f"baseline and target must be numbers, got {baseline!r}, {target!r}") from None
    if (direction == "up" and t < b) or (direction == "down" and t > b):
        raise _fail(file, where, f"target {t:g} is worse than baseline {b:g} for direction {direction!r}")
    return LibraryKPI(kid, str(name), str(unit), direction, indicator, b, t)


def _parse_file(text: str, file: str) -> tuple[Sector, list[LibraryObjective]]:
    data = yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))  # shipped files: libyaml
    if not isinstance(data, dict) or "objectives" not in data or "sector" not in data:
        raise _fail(file, "top", "expected a mapping with 'sector' and 'objectives'")
    unknown = set(data) - {"sector", "label", "aliases", "keywords", "objectives"}
    if unknown:
        raise _fail(file, "top", f"unknown key(s) {sorted(unknown)}")
    sector = Sector(
        name=str(data["sector"]),
        label=str(data.get("label") or data["sector"]),
        aliases=tuple(str(a).lower() for a in data.get("aliases") or ()),
        keywords=" ".join(str(data.get("keywords") or "").split()),
    )
    out: list[LibraryObjective] = []
    for i, raw in enumerate(data["objectives"]):
        where = f"objectives[{i}]"
        if not isinstance(raw, dict):
            raise _fail(file, where, f"expected a mapping, got {raw!r}")
        unknown = set(raw) - {"id", "p", "name", "kw", "to", "kpis"}
        if unknown:
            raise _fail(file, where, f"unknown key(s) {sorted(unknown)} (allowed: id, p, name, kw, to, kpis)")
        if raw.get("p") not in _P:
            raise _fail(file, where, f"p must be one of F, C, P, L, got {raw.get('p')!r}")
        kpis = raw.get("kpis") or []
        if not 1 <= len(kpis) <= 2:
            raise _fail(file, where, f"an objective needs 1-2 KPIs, got {len(kpis)}")
        out.append(
            LibraryObjective(
                id=str(raw["id"]),
                sector=sector.name,
                perspective=_P[raw["p"]],
                name=str(raw["name"]),
                keywords=str(raw.get("kw") or ""),
                kpis=tuple(_parse_kpi(k, file, f"{where}.kpis[{j}]") for j, k in enumerate(kpis)),
                to=tuple(str(t) for t in raw.get("to") or ()),
            )
        )
    return sector, out


@functools.lru_cache(maxsize=1)
def load_library() -> KPILibrary:
    """Load (once) and check the KPI library shipped with the package.

    Returns
    -------
    KPILibrary

    Raises
    ------
    GenerationError
        When a library file is malformed (naming the file and the entry), an id is
        duplicated, or a typical link does not run one perspective upward.

    Examples
    --------
    >>> from bsc_toolkit.generate.library import load_library
    >>> lib = load_library()
    >>> len(lib.objectives) > 150
    True
    """
    root = resources.files(__package__).joinpath("library")
    sectors: list[Sector] = []
    objectives: list[LibraryObjective] = []
    for entry in sorted(root.iterdir(), key=lambda p: p.name):
        if not entry.name.endswith(".yaml"):
            continue
        sector, objs = _parse_file(entry.read_text(encoding="utf-8"), f"library/{entry.name}")
        sectors.append(sector)
        objectives.extend(objs)
    by_id: dict[str, LibraryObjective] = {}
    for o in objectives:
        if o.id in by_id:
            raise _fail(o.sector, o.id, "duplicate objective id in the KPI library")
        by_id[o.id] = o
    kpi_owner: dict[str, str] = {}
    for o in objectives:
        for k in o.kpis:
            if k.id in by_id:
                raise _fail(o.sector, o.id, f"KPI id '{k.id}' is also an objective id")
            other = kpi_owner.get(k.id)
            if other is not None:
                raise _fail(o.sector, o.id, f"KPI id '{k.id}' is already used by objective '{other}'")
            kpi_owner[k.id] = o.id
        for t in o.to:
            target = by_id.get(t)
            if target is None:
                raise _fail(o.sector, o.id, f"typical link to '{t}', which is not a library objective")
            if target.sector not in (o.sector, "common"):
                raise _fail(o.sector, o.id, f"typical link to '{t}' in another sector ({target.sector})")
            if target.perspective.level != o.perspective.level + 1:
                raise _fail(
                    o.sector, o.id,
                    f"typical link to '{t}' must go one perspective up "
                    f"({o.perspective.label} -> {target.perspective.label} does not)",
                )
    return KPILibrary(tuple(sectors), tuple(objectives))
