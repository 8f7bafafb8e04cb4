"""What the operator page shows (``GET /api/state``), from the batch's report and the files seen.

A pure function of its inputs. Every verdict is the batch's: a frame's student is the one the
matcher assigned it (``report["files"]``), never a guess; a frame the matcher did not assign to a
row is shown without a student. The three verdicts the page uses:

* ``ok``: the student's chosen frame passes and the match is trusted (the batch's ``ok``);
* ``retake`` (重拍): the frame breaks a rule a new photo fixes (the batch's ``failed``), or the
  file could not be read;
* ``check`` (请核对): a stranger, a swap, a match no evidence confirms — any other batch status.

A slate (a frame of a shot-number card or a phone's 采集码, file status ``slate``) has no verdict of
its own: when it is the latest frame, ``current`` is the student the card names (``kind: "slate"``,
``verdict: null``: "card 12 read: 张三 — take the photo") and ``next`` is that student's row. Which
row a card names is decided by the batch's own :func:`photocheck.batch.slates.find_slates`; a card
that names no row (a shot number the log does not have, another session's card) is ``check`` with
the reason and no student.

The students are report.json's objects: without the report's inline thumbnails (the page fetches
the state after every verdict; a frame's annotated thumbnail is ``frames[].thumb``, one URL).
"""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING, Any

from ..batch.slates import Slate, find_slates
from ..batch.work import pick_lang

if TYPE_CHECKING:
    from ..batch.journal import Journal
    from ..batch.runner import Inputs
    from .live import Entry

#: batch file statuses that are frames of someone (others are copies, non-images, slates)
FRAME_STATUSES = ("used", "retake", "unmatched", "unreadable")
_ORDER = {"error": 0, "fail": 1, "warn": 2}
#: the batch's note on a row matched by order under --trust-order: the operator chose it when starting
#: watch; under 重拍 it read like one more reason to retake
_TRUSTED_ORDER = ("batch.unverified", "warn")


def frame_id(rel: str) -> str:
    """A file's stable id in the API: from its name, so a re-judged file keeps its id.

    >>> frame_id("DSC_0412.JPG")
    '4410041fd6c5425a'
    """
    return hashlib.sha256(rel.encode("utf-8")).hexdigest()[:16]


def student_verdict(status: str | None) -> str:
    """The page's verdict for a batch student status."""
    if status == "ok":
        return "ok"
    if status == "failed":
        return "retake"
    return "check"


def problems(findings: list[dict]) -> list[dict]:
    """The findings a person must act on, worst first, as ``{"rule", "status", "message"}``."""
    out = [{"rule": f["rule"], "status": f["status"], "message": f.get("message") or ""}
           for f in findings if f.get("status") in _ORDER and (f["rule"], f["status"]) != _TRUSTED_ORDER]
    return sorted(out, key=lambda p: _ORDER[p["status"]])


def slates_of(report: dict, inputs: Inputs, by_rel: dict) -> dict[str, Slate]:
    """The report's slate frames (file name → :class:`~photocheck.batch.slates.Slate`): which row
    each binds and why not, as the batch decided it (the same function on the same records)."""
    rels = {f["file"] for f in report["files"] if f["status"] == "slate"}
    if not rels:
        return {}
    records = list(by_rel.values())  # all of them: a card's session is the one most cards have
    found = find_slates(records, [None] * len(records), {r["rel"]: k for k, r in enumerate(records)},
                        inputs.log_rows.rows)
    return {rel: sl for rel, sl in found.items() if rel in rels}


def _card_problem(sl: Slate, zh: bool) -> dict:
    if sl.problem is not None:
        return {"rule": "batch.card", "status": "fail", "message": sl.problem.zh if zh else sl.problem.en}
    return {"rule": "batch.card", "status": "fail", "message": "这张拍摄号卡不能对应任何记录。" if zh
            else "this card binds no log row."}


def build_state(report: dict, entries: list[Entry], journal: Journal, inputs: Inputs, by_rel: dict) -> dict[str, Any]:
    """The ``/api/state`` object (without ``version``, which the caller sets)."""
    lang = inputs.lang
    zh = lang == "zh"
    # report.json's student objects, which do not hold the inline thumbnails either (~5 KB each)
    rows = [{k: v for k, v in s.items() if k != "thumbnail"} for s in report["students"]]
    slates = slates_of(report, inputs, by_rel)
    row_of = {s["shot_no"]: s for s in rows if s["shot_no"] is not None}
    stranger_of = {rel: s for s in rows if s["shot_no"] is None for rel in [s["file"], *s["retakes"]] if rel}
    files = {f["file"]: f for f in report["files"]}
    frames = []
    for e in sorted(entries, key=lambda e: (bool(e.waiting) and e.scanned is None, e.seq), reverse=True):
        fid = frame_id(e.rel)
        if e.waiting and e.scanned is None:
            frames.append({"id": fid, "file": e.rel, "status": "pending", "verdict": "pending", "shot_no": None,
                           "student_id": None, "name": None, "problems": [], "judged_at": None, "thumb": None,
                           "waiting": e.waiting})
            continue
        f = files.get(e.rel)
        if f is None:
            continue
        st = f["status"]
        item = {"id": fid, "file": e.rel, "status": st, "verdict": None, "shot_no": None, "student_id": None,
                "name": None, "problems": [], "judged_at": e.judged_at, "thumb": None}
        if e.waiting:  # rewritten since (digiCamControl, a plugin): this verdict stands until it is judged again
            item["waiting"] = e.waiting
        rec = by_rel.get(e.rel)
        if st in ("used", "retake") and f.get("shot_no") in row_of:
            s = row_of[f["shot_no"]]
            item.update(shot_no=s["shot_no"], student_id=s["student_id"], name=s["name"])
            if st == "used" or s["status"] != "ok":
                item["verdict"] = student_verdict(s["status"])
                item["problems"] = problems(s["findings"])
            else:  # a frame not chosen for a student who is ok: its own verdict
                own = pick_lang(rec.get("findings", []), lang) if rec else []
                item["verdict"] = "ok" if rec and rec.get("ok") and rec.get("upload_ok") else "retake"
                item["problems"] = problems(own)
        elif st == "unmatched":
            item["verdict"] = "check"
            s = stranger_of.get(e.rel)
            said = next((i for i in report["mismatches"] if e.rel in i["files"]), None)  # e.g. no face
            item["problems"] = problems(s["findings"]) if s else [{
                "rule": f"batch.{said['kind']}" if said else "batch.unmatched", "status": "fail",
                "message": said["message"] if said else ("未匹配到任何学生" if zh else "not matched to any student")}]
        elif st == "unreadable":
            item["verdict"] = "retake"
            item["problems"] = [{"rule": "file.read", "status": "fail", "message": f.get("reason") or ""}]
        elif st == "slate" and e.rel in slates:
            sl = slates[e.rel]
            item["card_no"] = sl.shot_no  # the number as the card says it (None: not a number)
            item["code"] = "card" if sl.text.upper().startswith("PHOTOCHECK:") else "phone"
            s = row_of.get(sl.shot_no) if sl.key is not None else None
            if s is not None:  # the student on the stool next: no verdict yet
                item.update(shot_no=s["shot_no"], student_id=s["student_id"], name=s["name"])
            else:  # a card that names no row of this shoot: say why, name no one
                item["verdict"] = "check"
                item["problems"] = [_card_problem(sl, zh)]
        if e.scanned is not None and e.scanned.kind == "image" and rec is not None:
            item["thumb"] = f"/api/thumb/{fid}.jpg?v={e.seq}"
        frames.append(item)

    current = None
    # the latest frame taken while watching; a backlog judged after it (a half-full folder) is older
    # (by arrival: an older truncated copy judged at its time-out does not take the newer frame's place)
    live = {frame_id(e.rel): e.arrived for e in entries if e.live}
    people = [fr for fr in frames if fr["status"] in FRAME_STATUSES or (fr["status"] == "slate" and "code" in fr)]
    latest = max((fr for fr in people if fr["id"] in live), key=lambda fr: live[fr["id"]],
                 default=people[0] if people else None)
    if latest is not None and latest["status"] == "slate":
        # the card just photographed: its student is the one on the stool now, not photographed yet
        s = row_of.get(latest["shot_no"]) if latest["shot_no"] is not None else None
        current = {"kind": "slate", "shot_no": None, "student_id": None, "name": None, "verdict": latest["verdict"],
                   "reasons": latest["problems"], "frame_id": latest["id"], "card_no": latest["card_no"],
                   "code": latest["code"]}
        if s is not None:
            current.update(shot_no=s["shot_no"], student_id=s["student_id"], name=s["name"])
    elif latest is not None:
        s = row_of.get(latest["shot_no"]) if latest["shot_no"] is not None else None
        if s is not None:
            current = {"kind": "frame", "shot_no": s["shot_no"], "student_id": s["student_id"], "name": s["name"],
                       "verdict": student_verdict(s["status"]), "reasons": problems(s["findings"]),
                       "frame_id": latest["id"]}
        else:  # not assigned to a row: no student is named
            current = {"kind": "frame", "shot_no": None, "student_id": None, "name": None, "verdict": latest["verdict"],
                       "reasons": latest["problems"], "frame_id": latest["id"]}

    log_rows = [s for s in rows if s["shot_no"] is not None]
    nxt = None
    start = 0
    if current and current["kind"] == "slate" and current["shot_no"] is not None:
        nxt = {"shot_no": current["shot_no"], "student_id": current["student_id"], "name": current["name"]}
    elif current:
        # after the latest student named (for a frame no one was given or a card naming no row: the
        # one before it; a card's student not photographed yet is still to come)
        named = next((fr for fr in people[people.index(latest):] if fr["shot_no"] is not None), None)
        if named is not None:
            after = 0 if named["status"] == "slate" else 1
            start = next((i + after for i, s in enumerate(log_rows) if s["shot_no"] == named["shot_no"]), 0)
    for s in [] if nxt else log_rows[start:] + log_rows[:start]:
        if s["status"] == "missing":
            nxt = {"shot_no": s["shot_no"], "student_id": s["student_id"], "name": s["name"]}
            break

    photographed = [s for s in log_rows if s["file"]]
    counts = {"photographed": len(photographed),
              "ok": sum(s["status"] == "ok" for s in photographed),
              "retake": sum(s["status"] == "failed" for s in photographed),
              "check": sum(s["status"] not in ("ok", "failed") for s in photographed)
              + sum(1 for s in rows if s["shot_no"] is None),
              "missing": sum(s["status"] == "missing" for s in log_rows),
              "pending": sum(fr["status"] == "pending" or "waiting" in fr for fr in frames)}
    return {"version": 0, "lang": lang, "shots_dir": str(inputs.shots), "out": str(inputs.out),
            "current": current, "next": nxt, "counts": counts, "frames": frames, "students": rows,
            "mismatches": report["mismatches"], "notes": list(report["notes"]),
            "summary": report["summary"]}
