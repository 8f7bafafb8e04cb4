"""Result types: a :class:`Finding` per rule, a :class:`Report` per photo, and their JSON form."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

STATUSES = ("pass", "warn", "fail", "skip", "error")


@dataclass(frozen=True)
class Finding:
    """One rule's verdict on one photo.

    ``value`` is the raw measurement (number, string, or a dict for composite rules), ``limit`` the
    limit it was compared with, ``message`` what to do about it (empty when it passed).
    """

    rule: str
    status: str
    value: Any
    limit: str | None
    message: str
    title: str = ""
    regions: tuple = field(default=(), compare=False, repr=False)  # for annotations only

    def to_dict(self) -> dict[str, Any]:
        return {"rule": self.rule, "status": self.status, "value": _plain(self.value),
                "limit": self.limit, "message": self.message}


def _plain(v: Any) -> Any:
    """JSON-safe copy: numpy scalars to Python, floats rounded for reading."""
    if isinstance(v, dict):
        return {k: _plain(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [_plain(x) for x in v]
    if hasattr(v, "item"):
        v = v.item()
    if isinstance(v, float):
        return round(v, 3) if v == v else None
    return v


@dataclass
class Report:
    """The verdict on one photo. ``ok`` is False when any finding is ``fail`` or ``error``.

    >>> r = Report("a.jpg", [Finding("image.dpi", "warn", 72, "300", "…")])
    >>> r.ok, r.to_dict()["findings"][0]["status"]
    (True, 'warn')
    """

    file: str
    findings: list[Finding]
    profile: str = "upload"

    @property
    def ok(self) -> bool:
        return not any(f.status in ("fail", "error") for f in self.findings)

    @property
    def failed(self) -> list[Finding]:
        return [f for f in self.findings if f.status in ("fail", "error")]

    @property
    def warnings(self) -> list[Finding]:
        return [f for f in self.findings if f.status == "warn"]

    def finding(self, rule: str) -> Finding | None:
        return next((f for f in self.findings if f.rule == rule), None)

    def status(self, rule: str) -> str | None:
        f = self.finding(rule)
        return f.status if f else None

    def to_dict(self) -> dict[str, Any]:
        return {"file": self.file, "ok": self.ok, "findings": [f.to_dict() for f in self.findings]}
