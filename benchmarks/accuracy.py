"""Accuracy benchmark: run the rules over a labelled set of real photos and count hits and misses.

Cases come from plugins: every ``benchmarks/cases_*.py`` module defines ``cases()`` yielding
:class:`Case` objects. This script discovers them, analyses each distinct photo once (one
:class:`~photocheck.analysis.Analysis` per photo + profile + references, read by every rule that
has a case on it), evaluates the rules and prints, per rule: violation cases, detected (fail),
warned, missed, and on compliant photos the false alarms; then the compliant-photo pass rate per
group (ethnicity / skin tone, sex) with the largest gap between groups.

Usage::

    python benchmarks/accuracy.py                       # every plugin, every rule
    python benchmarks/accuracy.py --cases person        # only benchmarks/cases_person.py
    python benchmarks/accuracy.py --rules 'glasses.*'   # only these rule ids (fnmatch patterns)
    python benchmarks/accuracy.py --markdown docs/accuracy.md   # also update the tables there

``--markdown FILE`` rewrites only the generated blocks between ``<!-- accuracy:<section> -->`` and
``<!-- /accuracy:<section> -->`` markers (sections: core, person, authenticity, fairness), so the
prose around them and the sections of families that were not run stay as they are.

Writing a plugin::

    from benchmarks.accuracy import Case

    def cases():
        yield Case("london_005_neutral_blue", "*", "compliant", photo_fn, "upload",
                   group={"eth": "east_asian", "sex": "male"}, key="london_005_03_blue")
        yield Case("sunglasses_faiz", "glasses.tinted", "violation", Path(".../faiz.png"), "original")

``rule`` is a rule id or an fnmatch pattern (``"*"``: every rule, ``"glasses.*"``); a pattern is
expanded to every matching registered rule that applies to the profile. ``photo`` is a path, the
file's bytes, an RGB ``uint8`` array, or a zero-argument callable returning one of those (for
photos composed on demand; only called when the case is run). Cases that name the same photo
share one analysis: paths share by path; other photos by ``key`` (give the same ``key`` to every
case of one composed photo; without a key, bytes/arrays share by content hash and callables are
keyed by the case id).
"""

from __future__ import annotations

import argparse
import fnmatch
import hashlib
import importlib
import os
import re
import sys
import time
import traceback
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator, Mapping, Sequence

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
for p in (str(REPO), str(REPO / "tests")):  # benchmarks use tests/support/compose.py
    if p not in sys.path:
        sys.path.insert(0, p)

EXPECTS = ("violation", "compliant")
ORIGINS = ("real", "variant")


@dataclass(frozen=True)
class Case:
    """One labelled expectation: rule ``rule`` on ``photo`` should find a violation, or pass.

    case_id     unique, readable id (``"london_025_08_teeth"``)
    rule        rule id or fnmatch pattern (``"*"`` = all rules) the expectation is about
    expect      ``"violation"`` (the rule should fail/warn) or ``"compliant"`` (it should not fail)
    photo       path | bytes | RGB uint8 array | zero-arg callable returning one of those
    profile     ``"upload"`` (480×640 file) or ``"original"`` (camera original, framed by the planner)
    references  reference photos for the authenticity rules (same kinds as ``photo``)
    group       labels for the fairness table, e.g. ``{"eth": "black", "sex": "female"}``
    key         analysis-cache key for non-path photos (cases with the same key share one analysis)
    note        free text shown with a miss / false alarm
    origin      ``"real"``: the fault (or its absence) is in the photo as it was taken (a labelled real
                photo, or a real face re-framed / put on the blue backdrop without touching what the
                rule looks at); ``"variant"``: we made the fault (a tone curve, a motion kernel, a
                beauty filter, painted jewellery). Tables report the two apart: real photos decide.
    kind        for variants: the kind of fault (``"motion_blur"``), for the per-kind/strength table
    strength    for variants: its strength in words a reader can check (``"2.0 % of width, 30°"``)
    """

    case_id: str
    rule: str
    expect: str
    photo: Any
    profile: str = "upload"
    references: Sequence[Any] = ()
    group: Mapping[str, str] | None = None
    key: str | None = None
    note: str = ""
    origin: str = "real"
    kind: str = ""
    strength: str = ""

    def __post_init__(self) -> None:
        if self.expect not in EXPECTS:
            raise ValueError(f"case {self.case_id}: expect must be one of {EXPECTS}, not {self.expect!r}")
        if self.origin not in ORIGINS:
            raise ValueError(f"case {self.case_id}: origin must be one of {ORIGINS}, not {self.origin!r}")


# -- discovery ---------------------------------------------------------------------------------
def plugin_names() -> list[str]:
    """Names (``person``, ``core``, …) of the ``benchmarks/cases_*.py`` plugins present."""
    return sorted(p.stem[len("cases_"):] for p in HERE.glob("cases_*.py"))


def discover(only: Iterable[str] | None = None) -> Iterator[tuple[str, Case]]:
    """Yield ``(plugin, case)`` from every ``benchmarks/cases_*.py`` (or only the named ones).

    A plugin that fails to import or raises while listing its cases is reported on stderr and
    skipped; the others still run.
    """
    wanted = set(only) if only else None
    for name in plugin_names():
        if wanted is not None and name not in wanted:
            continue
        try:
            mod = importlib.import_module(f"benchmarks.cases_{name}")
            for case in mod.cases():
                yield name, case
        except Exception:  # a broken plugin must not hide the others' numbers
            print(f"[accuracy] plugin cases_{name} failed:\n{traceback.format_exc()}", file=sys.stderr)


# -- running ------------------------------------------------------------------------------------
def _resolve(photo: Any) -> Any:
    return photo() if callable(photo) else photo


def _source_key(photo: Any, fallback: str) -> str:
    if isinstance(photo, (str, os.PathLike)):
        return os.fspath(photo)
    if isinstance(photo, (bytes, bytearray)):
        return "sha1:" + hashlib.sha1(photo).hexdigest()
    if hasattr(photo, "tobytes"):
        return "sha1:" + hashlib.sha1(photo.tobytes()).hexdigest() + str(getattr(photo, "shape", ""))
    return fallback


def photo_key(case: Case) -> str:
    """Key of the analysis a case reads (photo + profile + references)."""
    base = case.key or _source_key(case.photo, f"case:{case.case_id}")
    refs = ",".join(_source_key(r, f"ref:{case.case_id}:{i}") for i, r in enumerate(case.references))
    return f"{base}|{case.profile}|{refs}"


@dataclass
class Outcome:
    plugin: str
    case: Case
    rule: str
    status: str  # pass / warn / fail / skip / error
    value: Any
    key: str


@dataclass
class Run:
    outcomes: list[Outcome] = field(default_factory=list)
    analyses: int = 0
    seconds: float = 0.0
    load_errors: dict[str, str] = field(default_factory=dict)
    unmatched: set[str] = field(default_factory=set)  # case rule patterns with no registered rule
    rule_errors: dict[str, str] = field(default_factory=dict)  # rule → first exception raised


class AnalysisCache:
    """One analysis per photo + profile + references; every rule reads it."""

    def __init__(self) -> None:
        self._store: dict[str, Any] = {}
        self._specs: dict[str, Any] = {}
        self.count = 0

    def get(self, case: Case) -> Any:
        from photocheck.analysis import analyse
        from photocheck.errors import PhotoError
        from photocheck.spec import load_spec

        k = photo_key(case)
        if k not in self._store:
            spec = self._specs.get(case.profile) or self._specs.setdefault(case.profile, load_spec(case.profile))
            src = _resolve(case.photo)
            name = os.fspath(src) if isinstance(src, (str, os.PathLike)) else (case.key or case.case_id)
            try:
                a = analyse(src, spec, name=name, references=[_resolve(r) for r in case.references])
                self._store[k] = (a, spec)
            except PhotoError as e:
                self._store[k] = e
            self.count += 1
        return self._store[k]


def rules_for(case: Case, patterns: Sequence[str] | None) -> list[Any]:
    """Registered rules the case is about (its pattern), narrowed by ``--rules`` patterns."""
    from photocheck.rules import all_rules

    out = []
    for r in all_rules():
        if not fnmatch.fnmatchcase(r.id, case.rule):
            continue
        if patterns and not any(fnmatch.fnmatchcase(r.id, p) for p in patterns):
            continue
        if case.profile not in r.profiles:
            continue
        if r.needs_references and not case.references:
            continue
        out.append(r)
    return out


def _matches_any(pattern: str) -> bool:
    from photocheck.rules import all_rules

    return any(fnmatch.fnmatchcase(r.id, pattern) for r in all_rules())


def run(cases: Iterable[tuple[str, Case]], patterns: Sequence[str] | None = None,
        progress: bool = True) -> Run:
    """Evaluate the cases. Cases are grouped by photo so each photo is analysed once."""
    from photocheck.check import evaluate

    t0 = time.perf_counter()
    result = Run()
    cache = AnalysisCache()
    by_photo: dict[str, list[tuple[str, Case]]] = defaultdict(list)
    for plugin, case in cases:
        by_photo[photo_key(case)].append((plugin, case))
    n = len(by_photo)
    for i, (k, group) in enumerate(by_photo.items(), 1):
        if progress:
            print(f"\r[accuracy] photo {i}/{n}", end="", file=sys.stderr, flush=True)
        got = None
        for plugin, case in group:
            chosen = rules_for(case, patterns)
            if not chosen:
                if not patterns and not _matches_any(case.rule):
                    result.unmatched.add(case.rule)
                continue
            if got is None:
                try:
                    got = cache.get(case)
                except Exception as e:  # a case whose photo cannot even be built
                    got = e
            for r in chosen:
                if isinstance(got, Exception):
                    result.load_errors[k] = f"{type(got).__name__}: {got}"
                    status, value = "error", None
                else:
                    a, spec = got
                    try:
                        f = evaluate(r, a, spec)
                        status, value = f.status, f.value
                    except Exception as e:  # a crash while reporting: count it, keep measuring
                        status, value = "error", f"{type(e).__name__}: {e}"
                        result.rule_errors.setdefault(r.id, value)
                result.outcomes.append(Outcome(plugin, case, r.id, status, value, k))
        cache._store.pop(k, None)  # every case of this photo is done: free the memory
    if progress:
        print(file=sys.stderr)
    result.analyses = cache.count
    result.seconds = time.perf_counter() - t0
    return result


# -- tables -------------------------------------------------------------------------------------
SECTIONS = {"file": "core", "geometry": "core", "background": "core", "lighting": "core",
            "quality": "core", "face": "person", "head": "person", "authenticity": "authenticity"}
SECTION_TITLES = {"core": "Core rules", "person": "Person rules", "authenticity": "Authenticity rules",
                  "fairness": "Fairness"}


def section_of(rule_id: str) -> str:
    from photocheck.rules import REGISTRY

    r = REGISTRY.get(rule_id)
    mod = r.measure.__module__.rsplit(".", 1)[-1] if r else "core"
    return SECTIONS.get(mod, "core")


@dataclass
class RuleStats:
    rule: str
    violations: int = 0
    detected: int = 0  # fail
    warned: int = 0  # warn on a violation
    missed: int = 0  # pass on a violation
    v_skipped: int = 0  # skip / error on a violation
    compliant: int = 0
    false_alarms: int = 0  # fail on a compliant photo
    false_warns: int = 0
    c_skipped: int = 0
    misses: list[str] = field(default_factory=list)
    alarms: list[str] = field(default_factory=list)

    @property
    def catch(self) -> float | None:
        """Share of violations flagged (fail or warn)."""
        return (self.detected + self.warned) / self.violations if self.violations else None

    @property
    def pass_rate(self) -> float | None:
        """Share of compliant photos that did not fail."""
        return 1 - self.false_alarms / self.compliant if self.compliant else None

    @property
    def flagged(self) -> float | None:
        """Share of compliant photos warned about or failed (what staff see as a false alarm)."""
        return (self.false_alarms + self.false_warns) / self.compliant if self.compliant else None


def rule_stats(r: Run, origin: str | None = None) -> dict[str, RuleStats]:
    """Per-rule tallies over every outcome, or only the cases of one ``origin`` ("real"/"variant")."""
    stats: dict[str, RuleStats] = {}
    for o in r.outcomes:
        if origin is not None and o.case.origin != origin:
            continue
        s = stats.setdefault(o.rule, RuleStats(o.rule))
        label = f"{o.case.case_id}={_short(o.value)}"
        if o.case.expect == "violation":
            s.violations += 1
            if o.status == "fail":
                s.detected += 1
            elif o.status == "warn":
                s.warned += 1
            elif o.status == "pass":
                s.missed += 1
                s.misses.append(label)
            else:
                s.v_skipped += 1
                s.misses.append(label + f"({o.status})")
        else:
            s.compliant += 1
            if o.status == "fail":
                s.false_alarms += 1
                s.alarms.append(label)
            elif o.status == "warn":
                s.false_warns += 1
                s.alarms.append(label + "(warn)")
            elif o.status in ("skip", "error"):
                s.c_skipped += 1
                if o.status == "error":
                    s.false_alarms += 1
                    s.alarms.append(label + "(error)")
    from photocheck.rules import all_rules

    order = {rr.id: i for i, rr in enumerate(all_rules())}
    return dict(sorted(stats.items(), key=lambda kv: order.get(kv[0], 1 << 20)))


def _short(v: Any) -> str:
    if isinstance(v, float):
        return f"{v:.3g}"
    if isinstance(v, dict):
        return "{" + ",".join(f"{k}:{_short(x)}" for k, x in list(v.items())[:4]) + "}"
    return str(v)


def _pct(x: float | None) -> str:
    return "–" if x is None else f"{100 * x:.0f}%"


def severity(rule_id: str) -> str:
    """``fail`` when the shipped upload limits can fail this rule, else ``warn`` (warn-only rule)."""
    from photocheck.spec import load_spec

    lim = load_spec("upload").limit(rule_id)
    if lim.params.get("severity") == "warn":
        return "warn"
    if lim.min is None and lim.max is None and (lim.warn_min is not None or lim.warn_max is not None):
        return "warn"
    return "fail"


def default_state(rule_id: str) -> str:
    """``on``, or ``experimental`` for a rule left out of reports unless asked for."""
    from photocheck.spec import load_spec

    return "experimental" if load_spec("upload").is_experimental(rule_id) else "on"


def rule_table(stats: Iterable[RuleStats]) -> str:
    """One row per rule. ``flagged`` is the share of clean photos the rule warned about or failed
    (the precision policy: at most 10 % for a rule that is on by default)."""
    rows = ["| rule | default | severity | violation cases | detected (fail) | warned | missed | "
            "catch | clean cases | false alarms (fail) | warns | flagged | clean pass |",
            "|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for s in stats:
        rows.append(f"| `{s.rule}` | {default_state(s.rule)} | {severity(s.rule)} | {s.violations} | {s.detected} | "
                    f"{s.warned} | {s.missed + s.v_skipped} | {_pct(s.catch)} | {s.compliant} | {s.false_alarms} | "
                    f"{s.false_warns} | {_pct(s.flagged)} | {_pct(s.pass_rate)} |")
    return "\n".join(rows)


def kind_table(r: Run, rules: set[str]) -> str:
    """Catch rate of the variants per rule, kind and strength (cases with a ``kind``)."""
    cells: dict[tuple[str, str, str], list[int]] = defaultdict(lambda: [0, 0, 0])
    for o in r.outcomes:
        c = o.case
        if c.origin != "variant" or not c.kind or o.rule not in rules or c.expect != "violation":
            continue
        cell = cells[(o.rule, c.kind, c.strength)]
        cell[0] += 1
        cell[1] += o.status == "fail"
        cell[2] += o.status == "warn"
    if not cells:
        return ""
    rows = ["| rule | kind | strength | cases | detected (fail) | warned | catch |", "|---|---|---|---:|---:|---:|---:|"]
    for (rule_id, kind, strength), (n, f, w) in sorted(cells.items()):
        rows.append(f"| `{rule_id}` | {kind} | {strength or '–'} | {n} | {f} | {w} | {_pct((f + w) / n)} |")
    return "\n".join(rows)


def section_block(r: Run, section: str, stamp: str) -> str | None:
    """The generated block of one section: real photos and variants apart, then variant kinds."""
    parts = []
    rules: set[str] = set()
    total = 0
    for origin, title in (("real", "**Real photos** (labelled photos as taken; real faces on the blue backdrop)"),
                          ("variant", "**Variants** (one fault made here on a real photo)")):
        chosen = [s for s in rule_stats(r, origin).values() if section_of(s.rule) == section]
        if chosen:
            rules |= {s.rule for s in chosen}
            total += sum(s.violations + s.compliant for s in chosen)
            parts.append(f"{title}\n\n{rule_table(chosen)}")
    if not parts:
        return None
    kinds = kind_table(r, rules)
    if kinds:
        parts.append(f"**Variants by kind and strength**\n\n{kinds}")
    return f"_Measured {stamp}: {total} rule cases._\n\n" + "\n\n".join(parts)


def fairness(r: Run, rule_filter: Callable[[str], bool] = lambda _: True) -> dict[str, Any]:
    """Compliant-photo pass rate per group: a photo passes when none of its compliant cases failed.

    Returns ``{dimension: {"rates": {value: (passed, photos, warned)}, "gap": points}}`` and, under
    ``"_rules"``, the worst per-rule gap ``{rule: (gap_points, dimension)}``.
    """
    photo_ok: dict[str, bool] = {}
    photo_warn: dict[str, bool] = {}
    photo_group: dict[str, Mapping[str, str]] = {}
    per_rule: dict[str, dict[tuple[str, str], list[int]]] = defaultdict(lambda: defaultdict(lambda: [0, 0, 0]))
    for o in r.outcomes:
        if o.case.expect != "compliant" or not o.case.group or not rule_filter(o.rule):
            continue
        bad = o.status in ("fail", "error")
        photo_ok[o.key] = photo_ok.get(o.key, True) and not bad
        photo_warn[o.key] = photo_warn.get(o.key, False) or o.status == "warn"
        photo_group[o.key] = o.case.group
        for dim, val in o.case.group.items():
            cell = per_rule[o.rule][(dim, val)]
            cell[0] += not bad
            cell[1] += 1
            cell[2] += o.status == "warn"
    out: dict[str, Any] = {}
    dims = sorted({d for g in photo_group.values() for d in g})
    for dim in dims:
        rates: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])
        for k, g in photo_group.items():
            if dim in g:
                rates[g[dim]][0] += photo_ok[k]
                rates[g[dim]][1] += 1
                rates[g[dim]][2] += photo_warn[k]
        vals = [p / n for p, n, _ in rates.values() if n]
        out[dim] = {"rates": {v: tuple(c) for v, c in sorted(rates.items())},
                    "gap": 100 * (max(vals) - min(vals)) if vals else 0.0}
    worst: dict[str, tuple[float, str]] = {}
    worst_warn: dict[str, tuple[float, str]] = {}
    for rule_id, cells in per_rule.items():
        for dim in dims:
            for slot, table in ((0, worst), (2, worst_warn)):
                vals = [c[slot] / c[1] for (d, _), c in cells.items() if d == dim and c[1]]
                if vals:
                    gap = 100 * (max(vals) - min(vals))
                    if gap > table.get(rule_id, (-1.0, ""))[0]:
                        table[rule_id] = (gap, dim)
    out["_rules"] = worst
    out["_warn_rules"] = worst_warn
    return out


def fairness_table(f: dict[str, Any]) -> str:
    lines = []
    for dim, body in f.items():
        if dim.startswith("_"):
            continue
        lines.append(f"**{dim}** — max gap {body['gap']:.1f} points")
        lines.append("")
        lines.append("| group | compliant photos | passed every rule | pass rate | with a warning |")
        lines.append("|---|---:|---:|---:|---:|")
        for val, (p, n, w) in body["rates"].items():
            lines.append(f"| {val} | {n} | {p} | {_pct(p / n if n else None)} | {w} |")
        lines.append("")
    bad = {k: v for k, v in f.get("_rules", {}).items() if v[0] > 0}
    if bad:
        lines.append("Rules whose compliant pass rate differs between groups:")
        lines.append("")
        lines.append("| rule | max gap (points) | between groups of |")
        lines.append("|---|---:|---|")
        for rule_id, (gap, dim) in sorted(bad.items(), key=lambda kv: -kv[1][0]):
            lines.append(f"| `{rule_id}` | {gap:.1f} | {dim} |")
        lines.append("")
    warn_gaps = {k: v for k, v in f.get("_warn_rules", {}).items() if v[0] > 5}
    if warn_gaps:
        lines.append("Rules whose warning rate on compliant photos differs between groups by more than 5 points "
                     "(a warning does not reject a photo, but costs the student a second look):")
        lines.append("")
        lines.append("| rule | max gap in warning rate (points) | between groups of |")
        lines.append("|---|---:|---|")
        for rule_id, (gap, dim) in sorted(warn_gaps.items(), key=lambda kv: -kv[1][0]):
            lines.append(f"| `{rule_id}` | {gap:.1f} | {dim} |")
        lines.append("")
    return "\n".join(lines).rstrip() or "(no compliant cases with group labels were run)"


def details(stats: Iterable[RuleStats], limit: int = 12) -> str:
    out = []
    for s in stats:
        if s.misses:
            out.append(f"  {s.rule} missed: " + ", ".join(s.misses[:limit]) + (" …" if len(s.misses) > limit else ""))
        if s.alarms:
            out.append(f"  {s.rule} false alarms: " + ", ".join(s.alarms[:limit]) + (" …" if len(s.alarms) > limit else ""))
    return "\n".join(out)


def update_markdown(path: Path, blocks: dict[str, str]) -> None:
    """Replace the generated block of each section in ``path`` (created with all sections if absent)."""
    if path.exists():
        text = path.read_text(encoding="utf-8")
    else:
        text = "# Accuracy on real photos\n\nGenerated by `benchmarks/accuracy.py --markdown docs/accuracy.md`.\n\n"
        for sec in ("core", "person", "authenticity", "fairness"):
            text += f"## {SECTION_TITLES[sec]}\n\n<!-- accuracy:{sec} -->\n<!-- /accuracy:{sec} -->\n\n"
    for sec, body in blocks.items():
        start, end = f"<!-- accuracy:{sec} -->", f"<!-- /accuracy:{sec} -->"
        new = f"{start}\n{body.rstrip()}\n{end}"
        pat = re.compile(re.escape(start) + r".*?" + re.escape(end), re.S)
        if pat.search(text):
            text = pat.sub(lambda _: new, text, count=1)
        else:
            text = text.rstrip() + f"\n\n## {SECTION_TITLES[sec]}\n\n{new}\n"
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(path)


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--cases", action="append", help="plugin name(s) to run (default: all); e.g. person")
    ap.add_argument("--rules", action="append", help="rule id fnmatch pattern(s) to evaluate (default: all)")
    ap.add_argument("--markdown", type=Path, help="update the generated tables in this markdown file")
    ap.add_argument("--details", action="store_true", help="list every miss and false alarm with its value")
    ap.add_argument("--quiet", action="store_true", help="no progress line")
    args = ap.parse_args(argv)

    res = run(discover(args.cases), args.rules, progress=not args.quiet)
    stats = rule_stats(res)
    blocks: dict[str, str] = {}
    stamp = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    for sec in ("core", "person", "authenticity"):
        body = section_block(res, sec, stamp)
        if body:
            blocks[sec] = body
    fair = fairness(res)
    blocks["fairness"] = f"_Measured {stamp}._\n\n" + fairness_table(fair)

    for sec, body in blocks.items():
        print(f"\n## {SECTION_TITLES[sec]}\n\n{body}")
    print(f"\n{len(res.outcomes)} rule cases on {res.analyses} analyses in {res.seconds:.1f} s")
    if res.load_errors:
        print(f"{len(res.load_errors)} photos could not be analysed:")
        for k, e in list(res.load_errors.items())[:20]:
            print(f"  {k}: {e}")
    for rid, err in res.rule_errors.items():
        print(f"rule {rid} raised while being evaluated (counted as error): {err}")
    if args.details:
        print("\nMisses and false alarms (case=value):\n" + details(stats.values()))
    if res.unmatched:
        print(f"note: {len(res.unmatched)} cases matched no registered rule (not run): "
              + ", ".join(sorted(res.unmatched)[:10]), file=sys.stderr)
    if args.markdown:
        update_markdown(args.markdown, blocks)
        print(f"updated {args.markdown}")
    return 0


if __name__ == "__main__":
    # plugins import benchmarks.accuracy: make that the same module as this script
    sys.modules.setdefault("benchmarks.accuracy", sys.modules[__name__])
    sys.exit(main())
