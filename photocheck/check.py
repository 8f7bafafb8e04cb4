"""Run the rules over one analysis and build the report. The only place rules are evaluated."""

from __future__ import annotations

import os
from typing import Iterable, Sequence

from .analysis import Analysis, analyse
from .errors import PhotoError
from .inference import Models
from .io import Source
from .report import Finding, Report, Status
from .rules import Rule, all_rules
from .spec import Spec, load_spec


def evaluate(rule: Rule, a: Analysis, spec: Spec) -> Finding:
    """One rule on one analysis: the judgement (status, value, the limit in force, message key and
    its fields), no words yet. A bug inside a rule becomes an ``error`` finding, not a crash."""
    lim = spec.limit(rule.id)
    if not spec.is_enabled(rule.id) or spec.profile not in rule.profiles:
        return Finding(rule.id, Status.SKIP, None, lim)
    if rule.needs_face and a.face is None:
        return Finding(rule.id, Status.SKIP, None, lim, "no_face")
    if rule.needs_references and not a.references:
        return Finding(rule.id, Status.SKIP, None, lim, "no_references")
    try:
        m = rule.measure(a, lim)
        status, side = (Status(m.status), m.side) if m.status else lim.judge(m.value)
    except Exception as e:  # never let one rule take the whole report down
        return Finding(rule.id, Status.ERROR, None, lim, "internal_error", {"error": f"{type(e).__name__}: {e}"})
    # a message for every verdict but a pass; a skip only when the rule says why
    says = status not in (Status.PASS, Status.SKIP) or (status == Status.SKIP and side is not None)
    return Finding(rule.id, status, m.value, lim, rule.message_key(side) if says else None, m.fmt, m.regions)


def error_report(err: PhotoError, lang: str = "zh", profile: str = "upload") -> Report:
    """The report for a photo that could not be read at all."""
    return Report(err.file, [Finding("file.read", Status.ERROR, err.code, None, "photo_error",
                                     {"zh": err.zh, "en": err.en})], profile, lang)


def report_for(a: Analysis, spec: Spec, lang: str = "zh", select: Iterable[str] | None = None) -> Report:
    """Evaluate every (selected) rule on an existing analysis, once; ``lang`` is the language the
    report is worded in (``report.in_lang(other)`` words the same judgement in the other)."""
    chosen = set(select) if select else None
    findings = [evaluate(r, a, spec) for r in all_rules() if spec.shows(r.id) and
                (chosen is None or r.id in chosen or any(r.id.startswith(c + ".") for c in chosen))]
    return Report(a.name, findings, spec.profile, lang)


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
        a = analyse(photo, spec, models=models, name=label, references=references)
    except PhotoError as e:
        return None, error_report(e, lang, spec.profile)
    return a, report_for(a, spec, lang, select)
