"""Limits per profile, read from ``limits/*.toml`` (data, not code), optionally overridden by a user file."""

from __future__ import annotations

import copy
import dataclasses
import difflib
import functools
import math
import re
import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

PROFILES = ("upload", "original")


@dataclass(frozen=True)
class Limit:
    """Fail outside [min, max], warn outside [warn_min, warn_max]; other keys are rule parameters.

    ``unit_fields`` (the rule's ``limit_fields``, attached by :func:`load_spec`) gives the same
    limit in the unit people read (file.size: bytes as KB) for messages and for ``text``.
    """

    min: float | None = None
    max: float | None = None
    warn_min: float | None = None
    warn_max: float | None = None
    params: dict[str, Any] = field(default_factory=dict)
    unit_fields: Callable[[Limit], dict[str, str]] | None = field(default=None, compare=False, repr=False)

    def judge(self, value: float) -> tuple[str, str | None]:
        """``(status, side)`` for a numeric value; side is "low"/"high" when outside a bound."""
        if value is None or (isinstance(value, float) and math.isnan(value)):
            return "skip", None
        if self.min is not None and value < self.min:
            return "fail", "low"
        if self.max is not None and value > self.max:
            return "fail", "high"
        if self.warn_min is not None and value < self.warn_min:
            return "warn", "low"
        if self.warn_max is not None and value > self.warn_max:
            return "warn", "high"
        return "pass", None

    def __getitem__(self, key: str) -> Any:
        return self.params[key]

    def __str__(self) -> str:
        return self.describe()

    def fields(self) -> dict[str, str]:
        """The limit as message fields: each bound and parameter formatted for people (``50``, not
        ``50.0``), so a message states the limit in force: ``"it must be {min}–{max}"``."""
        bounds = {k: getattr(self, k) for k in _BOUND_KEYS if getattr(self, k) is not None}
        out = {k: _fmt(v) for k, v in (self.params | bounds).items()}
        return out | self.unit_fields(self) if self.unit_fields else out

    def to_dict(self) -> dict[str, Any]:
        """JSON-able form (the batch journal): :meth:`from_dict` rebuilds the same limit."""
        return {**{k: getattr(self, k) for k in _BOUND_KEYS if getattr(self, k) is not None}, "params": dict(self.params)}

    @classmethod
    def from_dict(cls, d: dict[str, Any], rule_id: str | None = None) -> "Limit":
        """The limit :meth:`to_dict` wrote; ``rule_id`` attaches that rule's ``limit_fields``."""
        return cls(**{k: d[k] for k in _BOUND_KEYS if d.get(k) is not None}, params=dict(d.get("params") or {}),
                   unit_fields=_unit_fields(rule_id))

    def describe(self) -> str:
        """Human-readable limit, e.g. ``200–300`` or ``≤ 5 (warn > 3)``."""
        if "text" in self.params:  # a limit the TOML spells out for people ("{width}×{height}")
            text = str(self.params["text"])
            try:
                return text.format(**self.fields())  # the values in force, not the shipped ones
            except (KeyError, IndexError, ValueError):
                return text
        if self.min is not None and self.max is not None and self.min == self.max:
            text = f"= {_fmt(self.min)}"
        elif self.min is not None and self.max is not None:
            text = f"{_fmt(self.min)}–{_fmt(self.max)}"
        elif self.min is not None:
            text = f"≥ {_fmt(self.min)}"
        elif self.max is not None:
            text = f"≤ {_fmt(self.max)}"
        else:
            # bounds are the *_min/*_max parameters; other parameters tune the measurement
            text = ", ".join(f"{k[:-4]} {'≥' if k.endswith('_min') else '≤'} {_fmt(v)}" for k, v in self.params.items()
                             if k.endswith(("_min", "_max")))
        warn = []
        if self.warn_min is not None:
            warn.append(f"< {_fmt(self.warn_min)}")
        if self.warn_max is not None:
            warn.append(f"> {_fmt(self.warn_max)}")
        # a second quantity the rule warns on: warn_<name>_below / warn_<name>_above
        for k, v in self.params.items():
            m = re.fullmatch(r"warn_(\w+)_(below|above)", k)
            if m:
                warn.append(f"{m[1]} {'<' if m[2] == 'below' else '>'} {_fmt(v)}")
        if not warn:
            return text
        return f"{text} (warn {' or '.join(warn)})" if text else f"warn {' or '.join(warn)}"


def limit_words(text: str, lang: str) -> str:
    """A limit's text as a sentence in ``lang`` says it: ``≥ 0.3 (warn < 0.5)`` →
    ``≥ 0.3（提醒范围 < 0.5）`` in Chinese. The JSON ``limit`` field keeps :meth:`Limit.describe`'s
    one spelling for programs; messages and the page say it in the reader's language.

    >>> limit_words("-20–20 (warn < -8 or > 8)", "zh")
    '-20–20（提醒范围 < -8 或 > 8）'
    """
    if lang != "zh" or "warn" not in text:
        return text
    text = text.replace(" or ", " 或 ").replace("shake ", "抖动 ")  # quality.sharpness warns on shake too
    if text.startswith("warn "):
        return "提醒范围 " + text[5:]
    return text.replace(" (warn ", "（提醒范围 ").removesuffix(")") + "）"


def _fmt(v: Any) -> str:
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    if isinstance(v, list):
        return "×".join(_fmt(x) for x in v) if len(v) == 2 else str(v)
    return str(v)


@dataclass(frozen=True)
class Spec:
    """The active profile: its limits, which rules are on, and the settings (background colour…).

    ``experimental`` names the rules that flag too many clean real photos to be trusted yet (the
    precision policy in docs/accuracy.md: at most 10 % of clean photos flagged); they are left out
    of reports unless ``include_experimental`` is set (``check --experimental``).
    """

    profile: str
    limits: dict[str, Limit]
    enabled: dict[str, bool]
    settings: dict[str, Any]
    experimental: frozenset[str] = frozenset()
    include_experimental: bool = False

    @property
    def background_rgb(self) -> tuple[int, int, int]:
        r, g, b = self.settings["background_rgb"]
        return int(r), int(g), int(b)

    @property
    def frame_size(self) -> tuple[int, int]:
        w, h = self.settings["frame_size"]
        return int(w), int(h)

    def limit(self, rule_id: str) -> Limit:
        return self.limits.get(rule_id, Limit())

    def is_enabled(self, rule_id: str) -> bool:
        return self.enabled.get(rule_id, True)

    def is_experimental(self, rule_id: str) -> bool:
        return rule_id in self.experimental

    def shows(self, rule_id: str) -> bool:
        """Whether reports include this rule: every rule but the experimental ones, unless asked."""
        return self.include_experimental or rule_id not in self.experimental

    def with_experimental(self, on: bool = True) -> "Spec":
        """The same spec with the experimental rules shown (``on``) or left out."""
        return dataclasses.replace(self, include_experimental=on)


_BOUND_KEYS = ("min", "max", "warn_min", "warn_max")
SECTIONS = ("settings",) + PROFILES
#: Keys every rule table may have, whatever the rule reads: the bounds, on/off, the trial flag and a
#: limit spelt out for people. A rule's other keys (its parameters) are the ones its shipped table
#: defines: the shipped limits/*.toml are the schema, so a rule is added in two places (its code,
#: its table) and a user file can only set what some rule reads.
COMMON_KEYS: dict[str, str] = {**{k: "number" for k in _BOUND_KEYS}, "enabled": "boolean",
                               "experimental": "boolean", "text": "string"}


class SpecError(ValueError):
    """A limits file that cannot be used: names the file, the table and the key.

    >>> str(SpecError("my.toml", 'upload."geometry.eyeline"', None, "no rule has this id"))
    'my.toml: [upload."geometry.eyeline"]: no rule has this id'
    """

    def __init__(self, file: str, table: str | None, key: str | None, problem: str):
        self.file, self.table, self.key, self.problem = file, table, key, problem
        where = f"[{table}]" if table else ""
        where += f" {key}" if key else ""
        super().__init__(f"{file}: {where}: {problem}" if where else f"{file}: {problem}")


def _unit_fields(rule_id: str | None) -> Callable[[Limit], dict[str, str]] | None:
    """The registered rule's ``limit_fields`` (None for none)."""
    if rule_id is None:
        return None
    from .rules import REGISTRY, all_rules

    if rule_id not in REGISTRY:
        all_rules()
    r = REGISTRY.get(rule_id)
    return r.limit_fields if r is not None else None


def _kind(v: Any) -> str:
    if isinstance(v, bool):
        return "boolean"
    if isinstance(v, (int, float)):
        return "number"
    if isinstance(v, str):
        return "string"
    if isinstance(v, list):
        return "list"
    return "table" if isinstance(v, dict) else type(v).__name__


def _table_name(section: str, rule_id: str | None = None) -> str:
    return f'{section}."{rule_id}"' if rule_id is not None else section


def _merge(base: dict, over: dict) -> dict:
    out = {k: dict(v) if isinstance(v, dict) else v for k, v in base.items()}
    for k, v in over.items():
        if isinstance(v, dict) and isinstance(out.get(k), dict):
            out[k].update(v)
        else:
            out[k] = v
    return out


def _read_toml(text: str, file: str) -> dict:
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise SpecError(file, None, None, f"not valid TOML: {e}") from None


def _check_ids(part: dict, file: str, known: set[str]) -> None:
    """Every section is settings/upload/original and every rule table names a registered rule."""
    for section, body in part.items():
        if section not in SECTIONS:
            raise SpecError(file, section, None, f"unknown table; a limits file has {', '.join(SECTIONS)}")
        if not isinstance(body, dict):
            raise SpecError(file, None, section, "must be a table")
        if section == "settings":
            continue
        for rule_id, table in body.items():
            if rule_id not in known:
                near = difflib.get_close_matches(rule_id, sorted(known), n=1)
                hint = f" (did you mean {near[0]}?)" if near else " (photocheck rules lists them)"
                raise SpecError(file, _table_name(section, rule_id), None, f"no rule has this id{hint}")
            if not isinstance(table, dict):
                raise SpecError(file, section, rule_id, "must be a table of limits")


@functools.lru_cache(maxsize=1)
def _shipped() -> tuple[dict, dict[str, dict[str, str]], dict[str, str]]:
    """The package's limits/*.toml (one file per rule family) merged in name order, and the schema
    they make: each rule's keys and their kinds, the settings' keys and kinds. Read once."""
    from .rules import all_rules  # the registry the tables must match

    known = {r.id for r in all_rules()}
    data: dict = {}
    folder = resources.files("photocheck").joinpath("limits")
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if entry.name.endswith(".toml"):
            part = _read_toml(entry.read_text(encoding="utf-8"), f"photocheck/limits/{entry.name}")
            _check_ids(part, f"photocheck/limits/{entry.name}", known)
            for section, body in part.items():
                data[section] = _merge(data.get(section, {}), body)
    rule_keys: dict[str, dict[str, str]] = {}
    for section in PROFILES:
        for rule_id, table in data.get(section, {}).items():
            rule_keys.setdefault(rule_id, dict(COMMON_KEYS)).update({k: _kind(v) for k, v in table.items()})
    settings = {k: _kind(v) for k, v in data.get("settings", {}).items()}
    return data, rule_keys, settings


def _check_keys(user: dict, file: str, rule_keys: dict[str, dict[str, str]], settings: dict[str, str]) -> None:
    """Every key of a user's file is one the shipped limits define for that table, of the same kind."""
    for section, body in user.items():
        tables = [(None, body, settings)] if section == "settings" else \
            [(rule_id, table, rule_keys.get(rule_id, COMMON_KEYS)) for rule_id, table in body.items()]
        for rule_id, table, schema in tables:
            name = _table_name(section, rule_id)
            for key, v in table.items():
                if key not in schema:
                    near = difflib.get_close_matches(key, list(schema), n=1)
                    hint = f"did you mean {near[0]}?" if near else f"known keys: {', '.join(schema)}"
                    raise SpecError(file, name, key, f"unknown key ({hint})")
                if _kind(v) != schema[key]:
                    raise SpecError(file, name, key, f"must be a {schema[key]}, not a {_kind(v)} ({v!r})")


def load_spec(profile: str = "upload", path: str | Path | None = None, *,
              background_rgb: tuple[int, int, int] | None = None, experimental: bool = False) -> Spec:
    """Load the shipped limits, then a user's TOML file (same layout) on top.

    The user's file is checked against the shipped ones: an unknown table, rule id or key, or a
    value of the wrong kind raises :class:`SpecError` naming the file, the table and the key (a
    misspelt limit would otherwise switch a rule off without a word).

    A rule table may say ``experimental = true`` (shipped for rules that do not meet the precision
    policy yet; a user file can set it to false to trust one); ``experimental=True`` shows them all.

    >>> load_spec().limit("geometry.eye_line").describe()
    '200–300'
    >>> load_spec("original").is_enabled("file.size")
    False
    """
    if profile not in PROFILES:
        raise ValueError(f"unknown profile {profile!r}; choose one of {', '.join(PROFILES)}")
    if path is None:  # the shipped limits alone: built once per process (a Spec is never changed)
        bg = None if background_rgb is None else tuple(background_rgb)
        return _shipped_spec(profile, bg, experimental)
    return _build_spec(profile, path, background_rgb, experimental)


@functools.lru_cache(maxsize=32)
def _shipped_spec(profile: str, background_rgb: tuple[int, int, int] | None, experimental: bool) -> Spec:
    # ``check(path, profile=...)`` loads its spec on every call: the deep copy and merge of the
    # shipped tables cost ~0.5 ms of CPU per photo
    return _build_spec(profile, None, background_rgb, experimental)


def _build_spec(profile: str, path: str | Path | None, background_rgb: tuple[int, int, int] | None,
                experimental: bool) -> Spec:
    shipped, rule_keys, setting_keys = _shipped()
    data = copy.deepcopy(shipped)
    if path is not None:
        user = _read_toml(Path(path).read_text(encoding="utf-8"), str(path))
        _check_ids(user, str(path), set(rule_keys))
        _check_keys(user, str(path), rule_keys, setting_keys)
        for section, body in user.items():
            data[section] = _merge(data.get(section, {}), body)
    settings = dict(data.get("settings", {}))
    if background_rgb is not None:
        settings["background_rgb"] = list(background_rgb)
    table = dict(data.get("upload", {}))
    if profile != "upload":
        table = _merge(table, data.get(profile, {}))
    limits, enabled, trial = {}, {}, set()
    for rule_id, body in table.items():
        body = dict(body)
        enabled[rule_id] = bool(body.pop("enabled", True))
        if body.pop("experimental", False):
            trial.add(rule_id)
        bounds = {k: float(body.pop(k)) for k in _BOUND_KEYS if k in body}
        limits[rule_id] = Limit(**bounds, params=body, unit_fields=_unit_fields(rule_id))
    return Spec(profile, limits, enabled, settings, frozenset(trial), experimental)
