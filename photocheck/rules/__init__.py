"""The rule registry: every rule is a small unit with an id, a measurement and a limit.

A rule's ``measure(analysis, limit)`` returns a :class:`Measurement` (the raw value, and optionally
its own status); the registry judges it against the spec's limit and picks the message. The docs
table and ``photocheck rules`` are generated from :data:`REGISTRY`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

from ..spec import Limit


@dataclass(frozen=True)
class Measurement:
    value: Any
    status: str | None = None  # None: judged from the limit
    side: str | None = None  # message key when the rule sets the status itself
    regions: tuple = ()  # ((kind, data), …) drawn by annotate: "rect", "hline", "mask", "points"
    fmt: dict[str, Any] = field(default_factory=dict)  # extra fields for the message template


@dataclass(frozen=True)
class Rule:
    id: str
    family: str
    title: tuple[str, str]  # (zh, en)
    messages: dict[str, tuple[str, str]]  # side ("low", "high", "fail", …) → (zh, en)
    measure: Callable[..., Measurement]
    needs_face: bool = True
    profiles: frozenset[str] = frozenset({"upload", "original"})
    needs_references: bool = False

    def message(self, side: str | None, lang: str, fmt: dict[str, Any] | None = None) -> str:
        """The message for ``side`` in ``lang``, its ``{fields}`` filled from ``fmt`` (any names)."""
        fmt = fmt or {}
        zh, en = self.messages.get(side or "fail") or self.messages.get("fail") or next(iter(self.messages.values()))
        text = zh if lang == "zh" else en
        try:
            return text.format(**fmt)
        except (KeyError, IndexError, ValueError):
            return text

    def name(self, lang: str) -> str:
        return self.title[0] if lang == "zh" else self.title[1]


REGISTRY: dict[str, Rule] = {}


def rule(rule_id: str, *, title: tuple[str, str], messages: dict[str, tuple[str, str]],
         needs_face: bool = True, profiles: tuple[str, ...] = ("upload", "original"),
         needs_references: bool = False) -> Callable:
    """Register ``measure(analysis, limit) -> Measurement`` under a stable id."""

    def deco(fn: Callable[..., Measurement]) -> Callable[..., Measurement]:
        if rule_id in REGISTRY:
            raise ValueError(f"duplicate rule id {rule_id}")
        REGISTRY[rule_id] = Rule(rule_id, rule_id.split(".")[0], title, messages, fn, needs_face,
                                 frozenset(profiles), needs_references)
        return fn

    return deco


def all_rules() -> list[Rule]:
    """Every registered rule, in registration order (file → geometry → … → authenticity)."""
    _load_families()
    return list(REGISTRY.values())


def _load_families() -> None:
    # Importing a family module registers its rules; the order here is the report order.
    import importlib

    for family in ("file", "geometry", "background", "lighting", "quality", "face", "head", "authenticity"):
        importlib.import_module(f"{__name__}.{family}")


__all__ = ["Measurement", "Rule", "REGISTRY", "rule", "all_rules", "Limit"]
