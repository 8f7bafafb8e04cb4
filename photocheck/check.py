"""Run the rules over one analysis and build the report. The only place rules are evaluated."""

from __future__ import annotations

import os
from typing import Iterable, Sequence

from .analysis import Analysis, analyse
from .errors import PhotoError
from .inference import Models
from .io import Source
from .report import Finding, Report
from .rules import REGISTRY, Rule, all_rules
from .spec import Spec, load_spec

_NO_FACE = ("没有检测到人脸，无法测量", "no face found, so this cannot be measured")
_NO_REF = ("未提供参考照片，未检查", "no reference photo given; not checked")


def limit_words(text: str, lang: str) -> str:
    """A limit as a sentence in ``lang`` shows it: ``≥ 0.3 (warn < 0.5)`` → ``≥ 0.3（提醒范围 < 0.5）``.

    The ``limit`` field itself stays the spec's text (one spelling for programs)."""
    if lang != "zh" or "warn" not in text:
        return text
    text = text.replace(" or ", " 或 ").replace("shake ", "抖动 ")  # quality.sharpness warns on shake too
    if text.startswith("warn "):
        return "提醒范围 " + text[5:]
    return text.replace(" (warn ", "（提醒范围 ").removesuffix(")") + "）"


def evaluate(rule: Rule, a: Analysis, spec: Spec, lang: str = "zh") -> Finding:
    """One rule on one analysis. A bug inside a rule becomes an ``error`` finding, not a crash."""
    lim = spec.limit(rule.id)
    title = rule.name(lang)
    limit_text = lim.describe()
    if not spec.is_enabled(rule.id) or spec.profile not in rule.profiles:
        return Finding(rule.id, "skip", None, limit_text, "", title)
    if rule.needs_face and a.face is None:
        return Finding(rule.id, "skip", None, limit_text, _NO_FACE[0 if lang == "zh" else 1], title)
    if rule.needs_references and not getattr(a, "references", None):
        return Finding(rule.id, "skip", None, limit_text, _NO_REF[0 if lang == "zh" else 1], title)
    try:
        m = rule.measure(a, lim)
    except Exception as e:  # never let one rule take the whole report down
        msg = f"内部错误：{type(e).__name__}: {e}" if lang == "zh" else f"internal error: {type(e).__name__}: {e}"
        return Finding(rule.id, "error", None, limit_text, msg, title)
    status, side = (m.status, m.side) if m.status else lim.judge(m.value)
    if m.status and m.side is None:
        side = None
    message = "" if status in ("pass", "skip") and not (status == "skip" and side) else \
        rule.message(side, lang, {"value": m.value, "limit": limit_words(limit_text, lang)} | m.fmt)
    return Finding(rule.id, status, m.value, limit_text, message, title, m.regions)


def error_report(err: PhotoError, lang: str = "zh", profile: str = "upload") -> Report:
    """The report for a photo that could not be read at all."""
    return Report(err.file, [Finding("file.read", "error", err.code, None, err.message(lang),
                                     REGISTRY["file.read"].name(lang) if "file.read" in REGISTRY else "")], profile)


def report_for(a: Analysis, spec: Spec, lang: str = "zh", select: Iterable[str] | None = None) -> Report:
    """Evaluate every (selected) rule on an existing analysis."""
    chosen = set(select) if select else None
    findings = [evaluate(r, a, spec, lang) for r in all_rules() if spec.shows(r.id) and
                (chosen is None or r.id in chosen or any(r.id.startswith(c + ".") for c in chosen))]
    return Report(a.name, findings, spec.profile)


def check(photo: Source, *, profile: str = "upload", spec: Spec | None = None,
          references: Sequence[Source] = (), lang: str = "zh", models: Models | None = None,
          select: Iterable[str] | None = None, name: str | None = None, experimental: bool = False) -> Report:
    """Check one photo against the rules and return its report (never raises for bad photos).

    ``photo`` is a path, the file's bytes, or an RGB ``uint8`` array. ``references`` are earlier
    photos of the student (enrollment photo, old diploma photos) for the authenticity rules.
    ``experimental`` also runs the rules that are not precise enough yet to be on by default
    (``photocheck rules`` marks them; docs/accuracy.md says why).

    >>> import photocheck
    >>> report = photocheck.check("samples/upload/london_005.jpg", lang="en")  # doctest: +SKIP
    >>> report.ok, report.status("geometry.eye_line")  # doctest: +SKIP
    (True, 'pass')
    """
    spec = spec or load_spec(profile)
    if experimental:
        spec = spec.with_experimental()
    return analyse_and_check(photo, spec, references=references, lang=lang, models=models, select=select,
                             name=name)[1]


def analyse_and_check(photo: Source, spec: Spec, *, references: Sequence[Source] = (), lang: str = "zh",
                      models: Models | None = None, select: Iterable[str] | None = None,
                      name: str | None = None) -> tuple[Analysis | None, Report]:
    """:func:`check`, also returning the analysis (None when the photo could not be read), for
    callers that draw on it (``--annotate``)."""
    label = name or (os.fspath(photo) if isinstance(photo, (str, os.PathLike)) else None)
    try:
        a = analyse(photo, spec, models=models, name=label)
    except PhotoError as e:
        return None, error_report(e, lang, spec.profile)
    if references:
        from .references import load_references  # the authenticity rules' reference loader

        a.references = load_references(references, models=a._models)
    return a, report_for(a, spec, lang, select)
