"""Session rules benchmark (issue 24): sessions of real faces with camera and light faults planted
in linear light before the camera's tone curve; catch and false-flag rates per fault, strength,
session size and skin-tone group.

Three sessions, made by ``tests/support/session_frames.py``:

* **London** (calibration): the 12 London faces, neutral and smiling (24 frames), one studio:
  key 45° from the image-left, frontal fill, a light-blue backdrop lit brighter at the top;
* **London, other light** (check, not tuned on): the same London frames in the other studio below;
* **other** (check, not tuned on): the 14 held-out real portraits of ``cases_heldout.py`` and six
  more (``MORE_OTHER``): other people, cameras and light in their own photos, 20 frames, in another
  studio: key 30° from the right, more fill, a backdrop lit so that it records as the CHSI blue
  itself (blue clipped, as on most real shoots); only the faults of the target (1 stop, 500 K or
  more) are made there.

Every frame of a session is made once clean and once with each fault; a faulted frame is judged
against the baseline of the session's *other* clean frames (leave-one-out, as the batch does), a
clean frame likewise. Session sizes below the full one are drawn at random from the other clean
frames (``--draws`` per frame). The analyses (measures and the single-photo verdict) are cached
in ``--cache`` (default /tmp/photocheck-session-bench), so a rerun only judges.

    nice -n 10 python benchmarks/session.py                       # ~30 min the first time on 2 cores
    python benchmarks/session.py --markdown docs/accuracy.md      # also rewrite the tables there
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
for p in (str(REPO), str(REPO / "tests")):
    if p not in sys.path:
        sys.path.insert(0, p)

# kind → strengths (stops, or kelvin for the white balance)
FAULTS = {
    "exposure": (0.5, 1.0, 1.5),       # the flash did not fire fully / aperture, shutter, ISO: face and backdrop
    "person": (0.5, 1.0, 1.5),         # the light on the student only (key and fill), backdrop as usual
    "fill_off": (0.0,),
    "fill_weaker": (1.0,),
    "warmer": (500.0, 1000.0),
    "cooler": (500.0, 1000.0),
    "backdrop_off": (2.0,),           # the backdrop light off: only the spill of the key and fill
}
# the faults the target is about (1 stop / 500 K or more); the 0.5-stop ones are reported too
TARGET = {("exposure", 1.0), ("exposure", 1.5), ("person", 1.0), ("person", 1.5), ("fill_off", 0.0),
          ("fill_weaker", 1.0), ("warmer", 500.0), ("warmer", 1000.0), ("cooler", 500.0), ("cooler", 1000.0),
          ("backdrop_off", 2.0)}
# the rule a fault should be flagged by
EXPECTED = {"exposure": "session.exposure", "person": "session.exposure", "fill_off": "session.light",
            "fill_weaker": "session.light", "warmer": "session.color", "cooler": "session.color",
            "backdrop_off": "session.backdrop"}


# more real portraits for the other session (one face, frontal, eyes open, mouth closed, even light,
# no glasses or headwear in manifest.csv), so that it has as many students as a small real session
MORE_OTHER = ("deepface__img11.jpg", "openface__adams.jpg", "deepface__img45.jpg", "facerec__rose_leslie_img2.jpg",
              "passportai__sample_image_2.jpg", "deepface__img10.jpg")


def sessions() -> dict[str, dict]:
    """name → {"setup": Setup, "frames": [(frame id, photo path, skin-tone group, sex or None)]}.
    ``london_other_light``: the London faces in the other studio (its light, its backdrop)."""
    from benchmarks.cases_heldout import BASES
    from support import session_frames as S
    from support.compose import IMAGES, london, london_info

    info = london_info()
    lon = [(f"{fid}_{e}", str(london(fid, e)), info[fid]["face_eth"], info[fid]["face_gender"])
           for fid in sorted(info) for e in ("03", "08")]
    other = [(b.rsplit(".", 1)[0], str(IMAGES / b), None, None) for b in BASES + MORE_OTHER]
    return {"london": {"setup": S.LONDON, "frames": lon}, "other": {"setup": S.OTHER, "frames": other},
            "london_other_light": {"setup": S.OTHER, "frames": lon}}


def _analyse(data: bytes, full: bool) -> dict:
    from photocheck.analysis import analyse
    from photocheck.batch.session import session_measures
    from photocheck.check import report_for
    from photocheck.spec import load_spec

    spec = load_spec("original")
    a = analyse(data, spec)
    rec: dict = {}
    if full:  # the single-photo verdict: the baseline takes only frames that pass every rule
        rep = report_for(a, spec, "en")
        rec["ok"] = not any(f.status in ("fail", "error") for f in rep.findings)
        rec["flags"] = sorted(f"{f.rule}:{f.status}" for f in rep.findings if f.status in ("fail", "warn", "error"))
        rec["skin_L"] = float(a.skin_lab[0]) if a.face is not None else None
    rec["session"] = session_measures(a)
    return rec


def collect(cache: Path, only: str | None = None, reverse: bool = False, cached_only: bool = False) -> dict:
    """Every frame of every session, clean and faulted, analysed once (cached as JSON)."""
    from support import session_frames as S

    cache.mkdir(parents=True, exist_ok=True)
    out: dict = {}
    for name, sess in sessions().items():
        if only and name != only:
            continue
        setup = sess["setup"]
        frames = list(enumerate(sess["frames"]))
        for i, (fid, path, eth, sex) in (frames[::-1] if reverse else frames):
            jobs = [("clean", 0.0)] + [(k, s) for k, ss in FAULTS.items() for s in ss
                                       if name == "london" or (k, s) in TARGET]  # the check session: the target faults
            for kind, strength in jobs:
                f = cache / f"{name}_{fid}_{kind}_{strength:g}.json"
                if f.exists():
                    rec = json.loads(f.read_text())
                elif cached_only:
                    continue
                else:
                    t = time.time()
                    fault = setup if kind == "clean" else S.FAULTS[kind](setup, strength)
                    rec = _analyse(S.frame(path, fault, seed=i + 1, base=setup), full=kind == "clean")
                    f.write_text(json.dumps(rec))
                    print(f"{name} {fid} {kind} {strength:g}: {time.time() - t:.1f}s", file=sys.stderr, flush=True)
                out[(name, fid, kind, strength)] = {**rec, "eth": eth, "sex": sex}
    return out


SIZES = (4, 6, 8, 10, 12, 16)


def skin_group(skin_L: float | None) -> str:
    """A skin-tone group by the measured skin lightness of the clean frame (median L* of the face
    skin): every real photo has one, labels or not."""
    if skin_L is None:
        return "unknown"
    return "dark (L* < 45)" if skin_L < 45 else "medium (45–60)" if skin_L < 60 else "light (L* ≥ 60)"


def judge(data: dict, cfg: dict, name: str, fid: str, kind: str, strength: float, others: list,
          planted: dict | None = None) -> list[dict]:
    """Session findings of one frame against ``others`` (their clean frames, or for those in
    ``planted`` their frame with that fault: faults in the baseline itself)."""
    from photocheck.batch.baseline import judge_frame

    rec = data[(name, fid, kind, strength)]
    base = [data[(name, o, *(planted or {}).get(o, ("clean", 0.0)))]["session"] for o in others]
    return judge_frame(rec["session"], base, cfg)


def evaluate(data: dict, cfg: dict, draws: int = 20, seed: int = 0):
    """Rows of (session, size, kind, strength, frame, groups, flagged rules) for every frame judged
    against the full leave-one-out baseline (size None) and against random smaller ones."""
    import random

    rng = random.Random(seed)
    rows = []
    names = sorted({k[0] for k in data})
    for name in names:
        fids = [k[1] for k in data if k[0] == name and k[2] == "clean"]
        clean_ok = [f for f in fids if data[(name, f, "clean", 0.0)].get("ok")]
        for fid in fids:
            base = data[(name, fid, "clean", 0.0)]
            groups = {"skin": skin_group(base.get("skin_L")), "eth": base.get("eth"), "sex": base.get("sex")}
            pool = [o for o in clean_ok if o != fid]
            subsets = [(None, pool)] + [(n, rng.sample(pool, n)) for n in SIZES if n < len(pool) for _ in range(draws)]
            jobs = [("clean", 0.0)] + [(k, s) for k, ss in FAULTS.items() for s in ss]
            target = sorted(TARGET)
            plants = [rng.sample(pool, min(3, len(pool))) for _ in range(draws // 4 or 1)]
            for size, others in subsets + [("planted", pool)] * len(plants):
                planted = None
                if size == "planted":  # three of the other frames carry a fault themselves (they pass the single rules)
                    picks = plants.pop()
                    planted = {o: rng.choice([t for t in target if (name, o, *t) in data]) for o in picks}
                for kind, strength in jobs:
                    if (name, fid, kind, strength) not in data:
                        continue
                    found = judge(data, cfg, name, fid, kind, strength, others, planted)
                    rows.append({"session": name, "size": len(pool) if size in (None, "planted") else size,
                                 "full": size is None, "planted": size == "planted", "kind": kind,
                                 "strength": strength, "frame": fid, **groups,
                                 "flags": {f["rule"]: f["status"] for f in found},
                                 "single_ok": base.get("ok")})
    return rows


def _rate(rows, pred) -> tuple[int, int]:
    return sum(1 for r in rows if pred(r)), len(rows)


def _pct(k: int, n: int) -> str:
    return f"{100 * k / n:.1f} % ({k}/{n})" if n else "—"


def tables(rows: list[dict]) -> str:
    """The markdown tables of docs/accuracy.md's "Session rules" section."""
    out = []
    full = [r for r in rows if r["full"]]
    names = sorted({r["session"] for r in rows})
    label = {"exposure": "exposure, face and backdrop (flash, camera)", "person": "exposure, the person only (key light)",
             "fill_off": "fill light off", "fill_weaker": "fill light weaker", "warmer": "white balance warmer",
             "cooler": "white balance cooler", "backdrop_off": "backdrop light off"}
    unit = {"warmer": " K", "cooler": " K", "fill_off": ""}
    out.append("| fault | strength | " + " | ".join(f"{n}: flagged (expected rule)" for n in names) + " |")
    out.append("|---|---|" + "---:|" * len(names))
    for kind, strengths in FAULTS.items():
        for s in strengths:
            cells = []
            for n in names:
                rs = [r for r in full if r["session"] == n and r["kind"] == kind and r["strength"] == s]
                k_any, tot = _rate(rs, lambda r: bool(r["flags"]))
                k_exp, _ = _rate(rs, lambda r, want=EXPECTED[kind]: want in r["flags"])
                cells.append(f"{_pct(k_any, tot)} ({100 * k_exp / tot:.0f} %)" if tot else "—")
            st = "" if kind == "fill_off" else f"{s:g}{unit.get(kind, ' stops')}"
            mark = " **" if (kind, s) in TARGET else ""
            out.append(f"| {label[kind]}{mark and ' †'} | {st} | " + " | ".join(cells) + " |")
    cl = []
    for n in names:
        rs = [r for r in full if r["session"] == n and r["kind"] == "clean"]
        k, t = _rate(rs, lambda r: bool(r["flags"]))
        kf, _ = _rate(rs, lambda r: "fail" in r["flags"].values())
        cl.append(f"{_pct(k, t)} (fail {kf})")
    out.append("| **clean frames flagged** | | " + " | ".join(cl) + " |")
    cl = []
    for n in names:
        rs = [r for r in full if r["session"] == n and r["kind"] == "clean" and r["single_ok"]]
        k, t = _rate(rs, lambda r: bool(r["flags"]))
        cl.append(_pct(k, t))
    out.append("| **clean frames that pass every single-photo rule, flagged** | | " + " | ".join(cl) + " |")
    out.append("")
    out.append("By skin-tone group (full session, leave-one-out): clean frames flagged, and faults of 1 stop / 500 K or more flagged.")
    out.append("")
    out.append("| session | group | clean frames flagged | target faults flagged |")
    out.append("|---|---|---:|---:|")
    for n in names:
        for key in ("skin", "eth"):
            for g in sorted({r[key] for r in full if r["session"] == n and r[key]}):
                rs = [r for r in full if r["session"] == n and r[key] == g]
                c = _rate([r for r in rs if r["kind"] == "clean"], lambda r: bool(r["flags"]))
                f = _rate([r for r in rs if (r["kind"], r["strength"]) in TARGET], lambda r: bool(r["flags"]))
                out.append(f"| {n} | {key}: {g} | {_pct(*c)} | {_pct(*f)} |")
    flagged = [r for r in full if r["kind"] == "clean" and r["flags"]]
    if flagged:
        out.append("")
        out.append("Clean frames flagged: " + "; ".join(
            f"{r['session']} {r['frame']} ({', '.join(f'{k} {v}' for k, v in r['flags'].items())}"
            f"{'' if r['single_ok'] else ', fails a single-photo rule too'})" for r in flagged) + ".")
    out.append("")
    out.append("With faults in the baseline too (three of the other frames, each with a random target fault, counted as "
               "passing the single-photo rules), full session:")
    out.append("")
    out.append("| session | clean frames flagged | target faults flagged |")
    out.append("|---|---:|---:|")
    for n in names:
        rs = [r for r in rows if r["session"] == n and r["planted"]]
        c = _rate([r for r in rs if r["kind"] == "clean"], lambda r: bool(r["flags"]))
        f = _rate([r for r in rs if (r["kind"], r["strength"]) in TARGET], lambda r: bool(r["flags"]))
        out.append(f"| {n} | {_pct(*c)} | {_pct(*f)} |")
    out.append("")
    out.append("By session size (the number of other passing frames in the baseline; random draws of the London and other sessions' clean frames):")
    out.append("")
    out.append("| session | frames in the baseline | clean frames flagged | target faults flagged |")
    out.append("|---|---:|---:|---:|")
    for n in names:
        for size in [*SIZES, "all"]:
            rs = [r for r in rows if r["session"] == n and not r["planted"]
                  and (r["full"] if size == "all" else (r["size"] == size and not r["full"]))]
            if not rs:
                continue
            c = _rate([r for r in rs if r["kind"] == "clean"], lambda r: bool(r["flags"]))
            f = _rate([r for r in rs if (r["kind"], r["strength"]) in TARGET], lambda r: bool(r["flags"]))
            out.append(f"| {n} | {size} | {_pct(*c)} | {_pct(*f)} |")
    return "\n".join(out)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--cache", default=os.environ.get("PHOTOCHECK_SESSION_CACHE", "/tmp/photocheck-session-bench"))
    ap.add_argument("--collect-only", action="store_true")
    ap.add_argument("--reverse", action="store_true", help="collect the frames last to first (a second process)")
    ap.add_argument("--cached-only", action="store_true", help="judge only the frames already in the cache")
    ap.add_argument("--session", default=None)
    ap.add_argument("--draws", type=int, default=20, help="random baselines per frame and smaller session size")
    ap.add_argument("--markdown", default=None, help="rewrite the <!-- session:tables --> block of this file")
    args = ap.parse_args(argv)
    data = collect(Path(args.cache), args.session, args.reverse, args.cached_only)
    if args.collect_only:
        print(f"{len(data)} frames analysed")
        return 0
    from photocheck.batch.settings import load_settings

    rows = evaluate(data, load_settings()["session"], args.draws)
    text = tables(rows)
    print(text)
    if args.markdown:
        path = Path(args.markdown)
        doc = path.read_text(encoding="utf-8")
        a, b = "<!-- session:tables -->", "<!-- /session:tables -->"
        stamp = time.strftime("_Measured %Y-%m-%d %H:%M UTC._", time.gmtime())
        doc = doc[:doc.index(a) + len(a)] + f"\n{stamp}\n\n{text}\n" + doc[doc.index(b):]
        path.write_text(doc, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
