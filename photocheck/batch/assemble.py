"""Assemble the report: every input file and every log row accounted for, from the journaled
analyses and the match of frames to rows. Pure data in, the report dict out (nothing is written)."""

from __future__ import annotations

import numpy as np

from .baseline import Frame as SessionFrame
from .baseline import judge_session
from .duplicates import content_duplicates
from .join import RowJoin, candidate_ids, not_photographed, settle
from .journal import Journal
from .match import Frame, Issue, exif_seconds, match
from .registration import Registration
from .roster import Roster, _shot_key, natural_key
from .scan import ScannedFile, keep_order, shot_from_name
from .tables import mask_id
from .work import pick_lang, score


def finding(kind: str, msg: str, status: str = "fail", value=None) -> dict:
    """A batch finding (``batch.<kind>``) in the form of a rule finding."""
    return {"rule": f"batch.{kind}", "status": status, "value": value, "limit": None, "message": msg}


def build_report(files: list[ScannedFile], roster: Roster, journal: Journal, ref_files, cfg, lang,
                 shots, log, references, registration: Registration | None = None,
                 joins: list[RowJoin] | None = None) -> tuple[dict, dict]:
    """(records by file name, the report dict). ``joins``: what :func:`photocheck.batch.join.join_log`
    decided per log row, when a registration form was given; rows it left unresolved are settled by
    the face here, or reported with their candidates."""
    zh = lang == "zh"
    recs = {}
    for f in files:  # the record is keyed by content; the name is today's name of the file
        if f.kind == "image" and f.duplicate_of is None:
            rec = journal.records.get(f.sha256 + ":img")
            recs[f.rel] = None if rec is None else {**rec, "rel": f.rel}
    file_status: dict[str, dict] = {}
    issues: list[Issue] = []
    for f in files:
        if f.kind == "not_image":
            file_status[f.rel] = {"status": "not_image", "reason": f.reason}
        elif f.kind == "unreadable":
            file_status[f.rel] = {"status": "unreadable", "reason": f.reason}
            issues.append(Issue("unreadable", [], [f.rel], f"无法读取：{f.rel}（{f.reason}）", f"cannot read {f.rel} ({f.reason})"))
        elif f.duplicate_of:
            file_status[f.rel] = {"status": "duplicate", "duplicate_of": f.duplicate_of, "reason": "same bytes"}
        else:
            r = recs.get(f.rel)
            if r is None or r.get("kind") == "unreadable":
                err = (r or {}).get("error") or {"zh": "未分析", "en": "not analysed"}
                file_status[f.rel] = {"status": "unreadable", "reason": err["zh"] if zh else err["en"]}
                issues.append(Issue("unreadable", [], [f.rel], f"无法读取：{f.rel}（{err['zh']}）", f"cannot read {f.rel} ({err['en']})"))
    good = sorted((recs[f.rel] for f in files if f.rel not in file_status), key=lambda r: keep_order(r["rel"]))
    dups = content_duplicates(good, cfg)
    for rel, orig in dups.items():
        file_status[rel] = {"status": "duplicate", "duplicate_of": orig, "reason": "same image"}
    for f in files:
        if file_status.get(f.rel, {}).get("status") == "duplicate":
            issues.append(Issue("duplicate", [], [f.rel, file_status[f.rel]["duplicate_of"]],
                                f"{f.rel} 与 {file_status[f.rel]['duplicate_of']} 是同一张照片（{'内容相同' if file_status[f.rel]['reason'] == 'same image' else '文件相同'}），已忽略副本。",
                                f"{f.rel} is the same photo as {file_status[f.rel]['duplicate_of']} ({file_status[f.rel]['reason']}); the copy is ignored."))

    # frames for matching: readable, not duplicates, with a face
    candidates = [recs[f.rel] for f in files if f.rel not in file_status]
    seconds = exif_seconds([r.get("exif_time") for r in candidates])
    shot_keys = {_shot_key(r.shot_no) for r in roster.rows}
    frames = []
    order = {f.rel: k for k, f in enumerate(files)}
    for r, s in zip(candidates, seconds):
        if r.get("embedding") is None:
            file_status[r["rel"]] = {"status": "unmatched", "reason": "no face"}
            issues.append(Issue("no_face", [], [r["rel"]], f"{r['rel']} 中没有检测到人脸，未参与匹配。", f"no face found in {r['rel']}; not matched."))
            continue
        frames.append(Frame(r["rel"], s, np.array(r["embedding"], np.float32), order[r["rel"]], shot_from_name(r["rel"], shot_keys)))

    refs = {}
    ref_by_id: dict[str, np.ndarray] = {}  # student id → reference embedding
    ref_missing = []
    if references:
        for j, row in enumerate(roster.rows):
            for sid in candidate_ids(joins[j] if joins else None, row):
                entry = ref_files.get(sid)
                rec = journal.records.get(entry[1] + ":ref") if entry else None
                if rec and rec.get("embedding"):
                    ref_by_id[sid] = np.array(rec["embedding"], np.float32)
            embs = [ref_by_id[sid] for sid in candidate_ids(joins[j] if joins else None, row) if sid in ref_by_id]
            if embs:
                refs[j] = embs[0] if len(embs) == 1 else np.stack(embs)
            else:
                ref_missing.append(row.shot_no)
    m = match(frames, roster.rows, refs, cfg)
    issues = m.issues + issues

    by_rel = {r["rel"]: r for r in candidates}
    session_found, session_notes = _session_findings(candidates, cfg)
    students = []
    taken = {rj.student.student_id for rj in joins or [] if rj.student}
    for j, (row, rm) in enumerate(zip(roster.rows, m.rows)):
        rj = joins[j] if joins else None
        if rj is not None and not rj.decided:
            settle(rj, row, m.subjects[rm.subject].embedding if rm.subject is not None else None, ref_by_id,
                   cfg["identity"]["same_person"], taken)
            taken |= {rj.student.student_id} if rj.student else set()
        entry = _row_entry(row, roster)
        findings = []
        if rm.subject is not None:
            chosen, retakes = _choose(m.subjects[rm.subject].files, by_rel)
            entry["file"], entry["retakes"] = chosen, retakes
            rec = by_rel[chosen]
            findings += pick_lang([f for f in rec["findings"] if f["status"] not in ("pass", "skip")], lang)
            seen_rules = {f["rule"] for f in findings}
            findings += pick_lang([f for f in rec.get("upload_findings", []) if f["rule"] not in seen_rules], lang)
            findings += pick_lang(session_found.get(chosen, []), lang)
            for rel in [chosen] + retakes:
                file_status[rel] = {"status": "used" if rel == chosen else "retake", "shot_no": row.shot_no}
            entry["thumbnail"] = rec.get("thumb")
            status = rm.state if rm.state != "ok" else ("ok" if rec.get("ok") and rec.get("upload_ok") else "failed")
            if status == "ok" and any(f["status"] == "fail" for f in session_found.get(chosen, [])):
                status = "failed"  # a clear session fault (the flash did not fire…): retake, no upload
        else:
            status = rm.state
        if rm.candidates:
            entry["candidates"] = rm.candidates
        for iss in rm.issues:
            findings.append(finding(iss.kind, iss.zh if zh else iss.en))
        if rm.how == "ambiguous":
            iss = next(i for i in m.issues if i.kind == "ambiguous" and row.shot_no in i.shot_nos)
            findings.append(finding("ambiguous", iss.zh if zh else iss.en))
        if rj is not None:
            status = _join_verdict(rj, entry, status, findings, issues, lang)
        entry["status"] = status
        entry["matched_by"] = rm.how or None
        entry["similarity"] = None if rm.similarity is None else round(rm.similarity, 3)
        entry["findings"] = findings
        students.append(entry)

    for si in m.unassigned:
        chosen, retakes = _choose(m.subjects[si].files, by_rel)
        rec = by_rel[chosen]
        for rel in [chosen] + retakes:
            file_status[rel] = {"status": "unmatched", "shot_no": None}
        kind = next((i for i in m.issues if chosen in i.files and i.kind in ("stranger", "ambiguous", "identity", "time", "swap")), None)
        students.append({"shot_no": None, "student_id": None, "name": None, "status": "unmatched", "file": chosen,
                         "retakes": retakes, "output": None, "thumbnail": rec.get("thumb"), "matched_by": None, "similarity": None,
                         "findings": [finding(kind.kind if kind else "unmatched",
                                               (kind.zh if zh else kind.en) if kind else ("未匹配到任何学生" if zh else "not matched to any student"))]
                         + pick_lang(session_found.get(chosen, []), lang)})

    file_list = []
    for f in files:
        st = file_status.get(f.rel, {"status": "unmatched", "shot_no": None})
        item = {"file": f.rel, "status": st["status"], "shot_no": st.get("shot_no")}
        if st.get("duplicate_of"):
            item["duplicate_of"] = st["duplicate_of"]
            item["shot_no"] = file_status.get(st["duplicate_of"], {}).get("shot_no")
        if st.get("reason"):
            item["reason"] = st["reason"]
        rec = by_rel.get(f.rel)
        if rec:
            item["time"] = rec.get("exif_time")
        file_list.append(item)

    counts = {}
    for s in students:
        counts[s["status"]] = counts.get(s["status"], 0) + 1
    fcounts = {}
    for f in file_list:
        fcounts[f["status"]] = fcounts.get(f["status"], 0) + 1
    notes = list(roster.notes) + (registration.notes if registration else []) + list(m.notes)
    notes += [zh_en[0] if zh else zh_en[1] for zh_en in session_notes]
    if ref_missing:
        notes.append(f"no usable reference photo for shot(s) {', '.join(ref_missing)}")
    report = {
        "photocheck_batch": 1,
        "shots": str(shots), "log": str(log), "references": str(references) if references else None,
        "summary": {"log_rows": len(roster.rows), "files": len(files), "students": counts, "files_by_status": fcounts,
                    "clock_offset_s": None if m.clock_offset is None else round(m.clock_offset, 1)},
        "mismatches": [i.to_dict(lang) for i in issues],
        "notes": notes,
        "columns": roster.columns,
        "students": students,
        "files": file_list,
    }
    if registration is not None:
        report["roster"] = _roster_summary(registration, joins)
        report["summary"]["not_photographed"] = len(report["roster"]["not_photographed"])
    return by_rel, report


def _session_findings(records: list[dict], cfg) -> tuple[dict[str, list[dict]], list[tuple[str, str]]]:
    """The session rules (:mod:`.baseline`) over the readable frames: findings by file, notes."""
    if "session" not in cfg:
        return {}, []
    frames = [SessionFrame(r["rel"], bool(r.get("ok")), r.get("session")) for r in records if r.get("session")]
    return judge_session(frames, cfg["session"]) if frames else ({}, [])


def _join_verdict(rj: RowJoin, entry: dict, status: str, findings: list[dict], issues: list[Issue], lang: str) -> str:
    """Put what the join decided on a student entry; a row whose student is not decided becomes a
    mismatch (when it has a photo) and a problem at the top of the report. Returns the status."""
    entry["roster"] = rj.to_dict()
    said = rj.message()
    if said is None:
        return status
    level, zh, en = said
    findings.append(finding("roster", zh if lang == "zh" else en, level))
    if rj.decided:
        return status
    issues.append(Issue("roster", [entry["shot_no"]], [f for f in [entry["file"], *entry["retakes"]] if f], zh, en))
    return "mismatch" if status in ("ok", "failed") else status


def _roster_summary(registration: Registration, joins: list[RowJoin]) -> dict:
    how: dict[str, int] = {}
    for rj in joins:
        how[rj.how] = how.get(rj.how, 0) + 1
    return {"file": registration.file, "sheet": registration.sheet, "students": len(registration.students),
            "joined_by": how, "unresolved": sum(not rj.decided for rj in joins),
            "not_photographed": [{**s.public(), "line": s.line, "extra": dict(s.columns)}
                                 for s in not_photographed(registration, joins)]}


def _row_entry(row, roster) -> dict:
    e = {"shot_no": row.shot_no, "student_id": row.student_id or None, "name": row.name or None,
         "status": None, "file": None, "retakes": [], "output": None}
    if row.code:
        e["code"] = row.code
    if row.time:
        e["time"] = row.time
    if row.id_number:
        e["id_number"] = mask_id(row.id_number)
    if row.extra:
        e["extra"] = dict(row.extra)
    return e


def _choose(rels: list[str], by_rel: dict) -> tuple[str, list[str]]:
    """The retake that passes the most rules (then fewest warnings, eyes most open, sharpest)."""
    ranked = sorted(rels, key=lambda r: (score(by_rel[r]["findings"]), natural_key(r)))
    return ranked[0], [r for r in rels if r != ranked[0]]
