"""Findings: what lint, scoring and cascade checks report, with advice."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass, field
from html import escape
from typing import Literal

Severity = Literal["error", "warning", "info"]
_RANK = {"error": 0, "warning": 1, "info": 2}


@dataclass(frozen=True)
class Finding:
    """One finding: a code, a severity, where it is, what is wrong and what to do.

    Attributes
    ----------
    code : str
        Stable identifier such as ``"kpi-count"``; use it to filter findings.
    severity : {"error", "warning", "info"}
    message : str
        What was found, with the numbers.
    advice : str
        What to do about it.
    where : str
        The objective, KPI or link it concerns (empty for the whole scorecard).
    """

    code: str
    severity: Severity
    message: str
    advice: str
    where: str = ""

    def __str__(self) -> str:
        loc = f" [{self.where}]" if self.where else ""
        return f"{self.severity:<7} {self.code}{loc}: {self.message} -> {self.advice}"


@dataclass(frozen=True)
class Findings:
    """An ordered collection of findings with a text and HTML summary.

    ``ok`` is True when there is no error; ``ok_strict`` when there is no error or warning.
    """

    findings: tuple[Finding, ...] = field(default_factory=tuple)
    title: str = "Lint"

    def __iter__(self) -> Iterator[Finding]:
        return iter(self.findings)

    def __len__(self) -> int:
        return len(self.findings)

    def __getitem__(self, i: int) -> Finding:
        return self.findings[i]

    @property
    def errors(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if f.severity == "error")

    @property
    def warnings(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if f.severity == "warning")

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def ok_strict(self) -> bool:
        return not self.errors and not self.warnings

    def codes(self) -> set[str]:
        return {f.code for f in self.findings}

    def by_code(self, code: str) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if f.code == code)

    @classmethod
    def of(cls, findings: Iterable[Finding], title: str = "Lint") -> Findings:
        return cls(tuple(sorted(findings, key=lambda f: _RANK[f.severity])), title)

    @property
    def summary(self) -> str:
        n_e, n_w = len(self.errors), len(self.warnings)
        n_i = len(self.findings) - n_e - n_w
        head = f"{self.title}: {n_e} error(s), {n_w} warning(s), {n_i} note(s)"
        return "\n".join([head, *(str(f) for f in self.findings)])

    def __str__(self) -> str:
        return self.summary

    def to_records(self) -> list[dict[str, str]]:
        return [asdict(f) for f in self.findings]

    def to_frame(self):
        import pandas as pd

        return pd.DataFrame(self.to_records(), columns=["code", "severity", "message", "advice", "where"])

    def _repr_html_(self) -> str:
        colours = {"error": "#b2182b", "warning": "#e08214", "info": "#4d4d4d"}
        rows = "".join(
            f"<tr><td style='color:{colours[f.severity]}'>{escape(f.severity)}</td><td>{escape(f.code)}</td>"
            f"<td>{escape(f.where)}</td><td>{escape(f.message)}</td><td>{escape(f.advice)}</td></tr>"
            for f in self.findings
        )
        head = escape(self.summary.splitlines()[0])
        return (
            f"<p><b>{head}</b></p><table><thead><tr><th>severity</th><th>code</th><th>where</th>"
            f"<th>finding</th><th>what to do</th></tr></thead><tbody>{rows}</tbody></table>"
        )
