"""The rule registry: every rule is a small unit with an id, a measurement and a limit.

A rule's ``measure(analysis, limit)`` returns a :class:`Measurement` (the raw value, and optionally
its own status); :func:`photocheck.check.evaluate` judges it against the spec's limit and picks the
message key. Words are made from the rule's ``messages`` only when a report is shown
(:meth:`Rule.message`), with the limit in force: a template names ``{value}``, ``{limit}`` (the
limit as text), ``{min}`` ``{max}`` ``{warn_min}`` ``{warn_max}``, the limit's parameters, and the
measurement's own ``fmt`` fields. The docs table and ``photocheck rules`` are generated from
:data:`REGISTRY`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable

from ..analysis import Analysis
from ..spec import Limit, limit_words

if TYPE_CHECKING:
    from ..report import Status


@dataclass(frozen=True)
class Measurement:
    """What a rule measured: the raw value (a number, a string or a dict), and, when the rule judges
    itself, its status and message key."""

    value: Any
    status: Status | str | None = None  # None: judged from the limit
    side: str | None = None  # message key when the rule sets the status itself
    regions: tuple = ()  # ((kind, data), …) drawn by annotate: "rect", "hline", "mask", "points"
    fmt: dict[str, Any] = field(default_factory=dict)  # extra fields for the message template


#: A rule's measurement: reads the analysis, returns what it saw (``Measure`` in the registry).
Measure = Callable[[Analysis, Limit], Measurement]


@dataclass(frozen=True)
class Rule:
    id: str
    family: str
    title: tuple[str, str]  # (zh, en)
    messages: dict[str, tuple[str, str]]  # side ("low", "high", "fail", …) → (zh, en)
    measure: Measure
    needs_face: bool = True
    profiles: frozenset[str] = frozenset({"upload", "original"})
    needs_references: bool = False
    # the limit in the unit people read (file.size: bytes → {max_kb}); load_spec attaches it to the Limit
    limit_fields: Callable[[Limit], dict[str, str]] | None = None

    def fields(self, limit: Limit | None) -> dict[str, Any]:
        """What the words may name about the limit in force: ``{limit}`` (as text), ``{min}``,
        ``{max}``, ``{warn_min}``, ``{warn_max}``, its parameters, and the rule's ``limit_fields``."""
        if limit is None:
            return {}
        return {**limit.fields(), "limit": limit.describe()}

    def words(self, key: str, lang: str, value: Any, limit: Limit | None, params: dict[str, Any]) -> str:
        """The message ``key`` in ``lang`` for a finding: the limit's fields, ``{value}``, then the
        measurement's own ``params``."""
        fields = self.fields(limit)
        if "limit" in fields:  # "(warn < 0.5)" in a Chinese sentence reads as English: say it in lang
            fields["limit"] = limit_words(fields["limit"], lang)
        return self.message(key, lang, {**fields, "value": value} | params)

    def message_key(self, side: str | None) -> str:
        """The key of the message a finding with ``side`` gets: the side's own, else "fail", else
        the rule's first."""
        if side in self.messages:
            return side
        return "fail" if "fail" in self.messages else next(iter(self.messages))

    def message(self, side: str | None, lang: str, fmt: dict[str, Any] | None = None) -> str:
        """The message for ``side`` in ``lang``, its ``{fields}`` filled from ``fmt`` (any names)."""
        zh, en = self.messages[self.message_key(side)]
        return _fill(zh if lang == "zh" else en, fmt or {})

    def name(self, lang: str, limit: Limit | None = None) -> str:
        """The title in ``lang``; a title that states the limit (``{min}–{max}``) states ``limit``
        (default: the shipped upload limit)."""
        text = self.title[0] if lang == "zh" else self.title[1]
        if "{" not in text:
            return text
        if limit is None:
            from ..spec import load_spec

            limit = load_spec("upload").limit(self.id)
        return _fill(text, self.fields(limit))


def _fill(text: str, fmt: dict[str, Any]) -> str:
    try:
        return text.format(**fmt)
    except (KeyError, IndexError, ValueError):
        return text


REGISTRY: dict[str, Rule] = {}


def rule(rule_id: str, *, title: tuple[str, str], messages: dict[str, tuple[str, str]],
         needs_face: bool = True, profiles: tuple[str, ...] = ("upload", "original"),
         needs_references: bool = False, limit_fields: Callable[[Limit], dict[str, Any]] | None = None) -> Callable:
    """Register ``measure(analysis, limit) -> Measurement`` under a stable id. Its limits are the
    table ``[upload."<id>"]`` in ``limits/<family>.toml`` (a table every rule has: its keys are the
    ones a user's spec may set)."""

    def deco(fn: Measure) -> Measure:
        if rule_id in REGISTRY:
            raise ValueError(f"duplicate rule id {rule_id}")
        REGISTRY[rule_id] = Rule(rule_id, rule_id.split(".")[0], title, messages, fn, needs_face,
                                 frozenset(profiles), needs_references, limit_fields)
        return fn

    return deco


def all_rules() -> list[Rule]:
    """Every registered rule, in registration order (file → geometry → … → authenticity)."""
    _load_families()
    return list(REGISTRY.values())


def _load_families() -> None:
    # Importing a family module registers its rules; the order here is the report order.
    import importlib

    for family in FAMILIES:
        importlib.import_module(f"{__name__}.{family}")


FAMILIES = ("file", "geometry", "background", "lighting", "quality", "face", "head", "authenticity")

__all__ = ["Measurement", "Measure", "Rule", "REGISTRY", "rule", "all_rules", "Limit", "Analysis"]
