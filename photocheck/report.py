"""Result types: a :class:`Finding` per rule, a :class:`Report` per photo, and their JSON form.

A finding is a judgement, not text: the rule id, its :class:`Status`, the raw value, the
:class:`~photocheck.spec.Limit` in force and a message key with its parameters. The words (Chinese
or English, stating the limit in force) are made when the finding is shown or serialised
(:meth:`Finding.text`, :meth:`Report.to_dict`), so one judgement serves both languages.
"""

from __future__ import annotations

import dataclasses
import enum
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .spec import Limit

if TYPE_CHECKING:
    from .rules import Rule


class Status(enum.StrEnum):
    """A finding's verdict. A ``str`` enum: it compares equal to ``"pass"`` … and is written as
    that string in JSON."""

    PASS = "pass"
    WARN = "warn"
    FAIL = "fail"
    SKIP = "skip"
    ERROR = "error"


STATUSES = tuple(s.value for s in Status)
LANGS = ("zh", "en")

#: Messages that are not a rule's own: the rule could not be judged (message key → (zh, en)).
GENERAL_MESSAGES: dict[str, tuple[str, str]] = {
    "no_face": ("没有检测到人脸，无法测量", "no face found, so this cannot be measured"),
    "no_references": ("未提供参考照片，未检查", "no reference photo given; not checked"),
    "internal_error": ("内部错误：{error}", "internal error: {error}"),
    "photo_error": ("{zh}", "{en}"),  # the loader's own words for an unreadable file (PhotoError)
}


@dataclass(frozen=True)
class Finding:
    """One rule's verdict on one photo.

    ``value`` is the raw measurement (number, string, or a dict for composite rules), ``limit`` the
    limit in force it was compared with, ``key`` the message to give (a key of the rule's
    ``messages`` or of :data:`GENERAL_MESSAGES`; None: nothing to say) and ``params`` its fields.
    :meth:`text` words it in either language; ``message`` and ``title`` are the words in ``lang``
    (the language of the report it belongs to).

    >>> from photocheck.spec import load_spec
    >>> f = Finding("geometry.head_top", "fail", 31.5, load_spec().limit("geometry.head_top"), "low")
    >>> f.status == "fail", f.text("en")[:60]
    (True, 'the top of the head (hair included) is only 31.5 px from the')
    """

    rule: str
    status: Status
    value: Any
    limit: Limit | None
    key: str | None = None
    params: Mapping[str, Any] = field(default_factory=dict)
    regions: tuple = field(default=(), compare=False, repr=False)  # for annotations only
    lang: str = field(default="zh", compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "status", Status(self.status))

    def _rule(self) -> Rule | None:
        from .rules import REGISTRY, all_rules

        if self.rule not in REGISTRY:
            all_rules()
        return REGISTRY.get(self.rule)

    def text(self, lang: str) -> str:
        """The message in ``lang`` ("zh" or "en"), stating the limit in force; "" when there is none."""
        if self.key is None:
            return ""
        if self.key in GENERAL_MESSAGES:
            zh, en = GENERAL_MESSAGES[self.key]
            return _format(zh if lang == "zh" else en, {"value": self.value, **self.params})
        r = self._rule()
        return r.words(self.key, lang, self.value, self.limit, dict(self.params)) if r is not None else ""

    def name(self, lang: str) -> str:
        """The rule's title in ``lang``, with the limit in force where the title states one."""
        r = self._rule()
        return r.name(lang, self.limit) if r is not None else ""

    @property
    def message(self) -> str:
        """What to do about it, in the report's language (empty when there is nothing to say)."""
        return self.text(self.lang)

    @property
    def title(self) -> str:
        return self.name(self.lang)

    @property
    def limit_text(self) -> str | None:
        """The limit as people read it (``200–300``), as in the JSON report; None for no limit."""
        return self.limit.describe() if self.limit is not None else None

    def in_lang(self, lang: str) -> Finding:
        return self if lang == self.lang else dataclasses.replace(self, lang=lang)

    def to_dict(self, lang: str | None = None) -> dict[str, Any]:
        """The JSON contract: rule, status, value, limit (as text), message (in ``lang``, default
        the report's)."""
        return {"rule": self.rule, "status": self.status.value, "value": _plain(self.value),
                "limit": self.limit_text, "message": self.text(lang or self.lang)}

    def to_record(self) -> dict[str, Any]:
        """The judgement as JSON-able data, no words (the batch journal): :meth:`from_record`
        rebuilds the finding, and its words in either language."""
        return {"rule": self.rule, "status": self.status.value, "value": _plain(self.value),
                "limit": self.limit.to_dict() if self.limit is not None else None,
                "key": self.key, "params": _plain(dict(self.params))}

    @classmethod
    def from_record(cls, d: Mapping[str, Any], lang: str = "zh") -> Finding:
        lim = d.get("limit")
        return cls(d["rule"], d["status"], d.get("value"), Limit.from_dict(lim, d["rule"]) if lim is not None else None,
                   d.get("key"), d.get("params") or {}, lang=lang)


def _format(text: str, fields: Mapping[str, Any]) -> str:
    try:
        return text.format(**fields)
    except (KeyError, IndexError, ValueError):
        return text


def _plain(v: Any) -> Any:
    """JSON-safe copy: numpy scalars to Python, floats rounded for reading."""
    if isinstance(v, dict):
        return {k: _plain(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [_plain(x) for x in v]
    if hasattr(v, "item"):
        v = v.item()
    if isinstance(v, float):
        return round(v, 3) if not math.isnan(v) else None
    return v


@dataclass
class Report:
    """The verdict on one photo. ``ok`` is False when any finding is ``fail`` or ``error``.

    ``lang`` is the language its findings' ``message`` and ``title`` are worded in (and the default
    of :meth:`to_dict`); :meth:`in_lang` gives the same judgement in the other language.

    >>> from photocheck.spec import load_spec
    >>> dpi = Finding("image.dpi", "warn", 72, load_spec().limit("image.dpi"), "other")
    >>> r = Report("a.jpg", [dpi], lang="en")
    >>> r.ok, r.to_dict()["findings"][0]["status"], r.findings[0].message
    (True, 'warn', 'the resolution tag is 72 dpi; 300 dpi is expected.')
    >>> r.in_lang("zh").findings[0].message
    '分辨率标记为 72 dpi，应为 300 dpi。'
    """

    file: str
    findings: list[Finding]
    profile: str = "upload"
    lang: str = "zh"

    def __post_init__(self) -> None:
        self.findings = [f.in_lang(self.lang) for f in self.findings]

    @property
    def ok(self) -> bool:
        return not any(f.status in (Status.FAIL, Status.ERROR) for f in self.findings)

    @property
    def failed(self) -> list[Finding]:
        return [f for f in self.findings if f.status in (Status.FAIL, Status.ERROR)]

    @property
    def warnings(self) -> list[Finding]:
        return [f for f in self.findings if f.status == Status.WARN]

    def finding(self, rule: str) -> Finding | None:
        return next((f for f in self.findings if f.rule == rule), None)

    def status(self, rule: str) -> Status | None:
        f = self.finding(rule)
        return f.status if f else None

    def in_lang(self, lang: str) -> Report:
        """The same report worded in ``lang`` (nothing is judged again)."""
        return self if lang == self.lang else dataclasses.replace(self, lang=lang)

    def to_dict(self, lang: str | None = None) -> dict[str, Any]:
        lang = lang or self.lang
        return {"file": self.file, "ok": self.ok, "findings": [f.to_dict(lang) for f in self.findings]}
