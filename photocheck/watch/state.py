"""What the operator page shows (``GET /api/state``), from the batch's report and the files seen.

A pure function of its inputs. Every verdict is the batch's: a frame's student is the one the
matcher assigned it (``report["files"]``), never a guess; a frame the matcher did not assign to a
row is shown without a student. The three verdicts the page uses:

* ``ok``: the student's chosen frame passes and the match is trusted (the batch's ``ok``);
* ``retake`` (重拍): the frame breaks a rule a new photo fixes (the batch's ``failed``), or the
  file could not be read;
* ``check`` (请核对): a stranger, a swap, a match no evidence confirms — any other batch status.
"""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING, Any

from ..batch.work import pick_lang

if TYPE_CHECKING:
    from ..batch.journal import Journal
    from ..batch.runner import Inputs
    from .live import Entry

#: batch file statuses that are frames of someone (others are copies, non-images, slates)
FRAME_STATUSES = ("used", "retake", "unmatched", "unreadable")
_ORDER = {"error": 0, "fail": 1, "warn": 2}


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
           for f in findings if f.get("status") in _ORDER]
    return sorted(out, key=lambda p: _ORDER[p["status"]])


def build_state(report: dict, entries: list[Entry], journal: Journal, inputs: Inputs, by_rel: dict) -> dict[str, Any]:
    """The ``/api/state`` object (without ``version``, which the caller sets)."""
    lang = inputs.lang
    zh = lang == "zh"
    rows = report["students"]
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
        if e.scanned is not None and e.scanned.kind == "image" and rec is not None:
            item["thumb"] = f"/api/thumb/{fid}.jpg?v={e.seq}"
        frames.append(item)

    current = None
    # the latest frame taken while watching; a backlog judged after it (a half-full folder) is older
    # (by arrival: an older truncated copy judged at its time-out does not take the newer frame's place)
    live = {frame_id(e.rel): e.arrived for e in entries if e.live}
    people = [fr for fr in frames if fr["status"] in FRAME_STATUSES]
    latest = max((fr for fr in people if fr["id"] in live), key=lambda fr: live[fr["id"]],
                 default=people[0] if people else None)
    if latest is not None:
        s = row_of.get(latest["shot_no"]) if latest["shot_no"] is not None else None
        if s is not None:
            current = {"shot_no": s["shot_no"], "student_id": s["student_id"], "name": s["name"],
                       "verdict": student_verdict(s["status"]), "reasons": problems(s["findings"]),
                       "frame_id": latest["id"]}
        else:  # not assigned to a row: no student is named
            current = {"shot_no": None, "student_id": None, "name": None, "verdict": latest["verdict"],
                       "reasons": latest["problems"], "frame_id": latest["id"]}

    log_rows = [s for s in rows if s["shot_no"] is not None]
    nxt = None
    start = 0
    if current and current["shot_no"] is not None:
        start = next((i + 1 for i, s in enumerate(log_rows) if s["shot_no"] == current["shot_no"]), 0)
    for s in log_rows[start:] + log_rows[:start]:
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
