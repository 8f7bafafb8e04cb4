"""Assemble the report: every input file and every log row accounted for, from the journaled
analyses and the match of frames to rows. Pure data in, the report dict out (nothing is written)."""

from __future__ import annotations

import numpy as np

from .baseline import Frame as SessionFrame, judge_session, session_words
from .bilingual import Said, say
from .duplicates import content_duplicates
from .join import RowJoin, candidate_ids, not_photographed, settle
from .journal import Journal
from .match import Frame, Issue, exif_seconds, match
from .registration import Registration
from .roster import Roster, _shot_key, natural_key
from .scan import ScannedFile, keep_order, shot_from_name
from .slates import find_slates, match_cards
from .tables import mask_id
from .work import pick_lang, score


def finding(kind: str, msg: str, status: str = "fail", value=None) -> dict:
    """A batch finding (``batch.<kind>``) in the form of a rule finding."""
    return {"rule": f"batch.{kind}", "status": status, "value": value, "limit": None, "message": msg}


def build_report(files: list[ScannedFile], roster: Roster, journal: Journal, ref_files, cfg, lang,
                 shots, log, references, registration: Registration | None = None,
                 joins: list[RowJoin] | None = None, trust_order: bool = False,
                 open_end: bool = False) -> tuple[dict, dict]:
    """(records by file name, the report dict). ``joins``: what :func:`photocheck.batch.join.join_log`
    decided per log row, when a registration form was given; rows it left unresolved are settled by
    the face here, or reported with their candidates. A row matched by order only (no face, time or
    file-name evidence) is ``unverified``; ``trust_order`` (the operator checked the shoot) lets it be
    ``ok`` with ``order_trusted`` set, and the report says so. ``open_end``: a shoot still going
    (``photocheck watch``): rows not reached yet are not missing (:func:`photocheck.batch.match.match`)."""
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
            issues.append(Issue("unreadable", [], [f.rel], f"无法读取：{f.rel}（{say(f.reason, 'zh')}）", f"cannot read {f.rel} ({f.reason})"))
        elif f.duplicate_of:
            file_status[f.rel] = {"status": "duplicate", "duplicate_of": f.duplicate_of, "reason": _SAME_BYTES}
        else:
            r = recs.get(f.rel)
            if r is None or r.get("kind") == "unreadable":
                err = (r or {}).get("error") or {"zh": "未分析", "en": "not analysed", "code": "not_analysed"}
                file_status[f.rel] = {"status": "unreadable", "reason": Said(err["en"], err["zh"], err.get("code"))}
                issues.append(Issue("unreadable", [], [f.rel], f"无法读取：{f.rel}（{err['zh']}）", f"cannot read {f.rel} ({err['en']})"))
    good = sorted((recs[f.rel] for f in files if f.rel not in file_status), key=lambda r: keep_order(r["rel"]))
    dups = content_duplicates(good, cfg)
    for rel, orig in dups.items():
        file_status[rel] = {"status": "duplicate", "duplicate_of": orig, "reason": _SAME_IMAGE}
    for f in files:
        if file_status.get(f.rel, {}).get("status") == "duplicate":
            st = file_status[f.rel]
            issues.append(Issue("duplicate", [], [f.rel, st["duplicate_of"]],
                                f"{f.rel} 与 {st['duplicate_of']} 是同一张照片（{st['reason'].zh}），已忽略副本。",
                                f"{f.rel} is the same photo as {st['duplicate_of']} ({st['reason']}); the copy is ignored."))

    # frames for matching: readable, not duplicates, with a face
    candidates = [recs[f.rel] for f in files if f.rel not in file_status]
    seconds = exif_seconds([r.get("exif_time") for r in candidates])
    shot_keys = {_shot_key(r.shot_no) for r in roster.rows}
    frames = []
    order = {f.rel: k for k, f in enumerate(files)}
    slates = find_slates(candidates, seconds, order, roster.rows)  # frames showing a shot-number card
    for r, s in zip(candidates, seconds):
        sl = slates.get(r["rel"])
        if sl is not None and not sl.portrait:  # a slate is never a portrait, never exported
            file_status[r["rel"]] = {"status": "slate", "shot_no": sl.shot_no}
            continue
        if r.get("embedding") is None:
            file_status[r["rel"]] = {"status": "unmatched", "reason": _NO_FACE}
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
    m = (match_cards(frames, roster.rows, refs, cfg, slates, match, open_end) if slates
         else match(frames, roster.rows, refs, cfg, open_end))
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
            if not references and rj.why_not == "no_reference":
                rj.why_not = "no_references"  # none were given at all: say that, not "the candidates have none"
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
            findings += session_words(session_found.get(chosen, []), lang)
            for rel in [chosen] + retakes:
                file_status[rel] = {"status": "used" if rel == chosen else "retake", "shot_no": row.shot_no}
            entry["thumbnail"] = rec.get("thumb")
            # a clear session fault (the flash did not fire…) is a retake, like a failed rule: no upload
            session_fail = any(f["status"] == "fail" for f in session_found.get(chosen, []))
            photo_ok = bool(rec.get("ok") and rec.get("upload_ok")) and not session_fail and not _shows_code(rec, findings, zh)
            entry["photo_ok"] = photo_ok
            if rm.state == "unverified" and not trust_order:
                status = "unverified"  # whose photo this is was never checked: not ok, whatever the rules say
            elif rm.state in ("ok", "unverified"):
                status = "ok" if photo_ok else "failed"
            else:
                status = rm.state
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
        if status == "unverified":
            findings.append(_unverified_finding(row.shot_no, entry["photo_ok"], lang))
        elif rm.state == "unverified" and status in ("ok", "failed"):  # --trust-order: the operator vouches for the order
            entry["order_trusted"] = True
            findings.append(finding("unverified", "按拍摄顺序对应，未经人脸、时间或拍摄号核实；因使用了 --trust-order，按顺序处理。" if zh else
                                    "matched by order only, not verified by face, time or shot number; processed by order because of --trust-order.", "warn"))
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
                         + session_words(session_found.get(chosen, []), lang)})

    file_list = []
    for f in files:
        st = file_status.get(f.rel, {"status": "unmatched", "shot_no": None})
        item = {"file": f.rel, "status": st["status"], "shot_no": st.get("shot_no")}
        if st.get("duplicate_of"):
            item["duplicate_of"] = st["duplicate_of"]
            item["shot_no"] = file_status.get(st["duplicate_of"], {}).get("shot_no")
        if st.get("reason"):
            item["reason"] = say(st["reason"], lang)
            if getattr(st["reason"], "code", None):
                item["reason_code"] = st["reason"].code
        rec = by_rel.get(f.rel)
        if rec:
            item["time"] = rec.get("exif_time")
        file_list.append(item)

    unverified = [s for s in students if s["status"] == "unverified"]
    if unverified:
        shots_zh, shots_en = "、".join(s["shot_no"] for s in unverified), ", ".join(s["shot_no"] for s in unverified)
        issues.insert(0, Issue(
            "unverified", [s["shot_no"] for s in unverified], [s["file"] for s in unverified],
            f"{len(unverified)} 名学生的照片只是按拍摄顺序对应的，未经核实（拍摄号 {shots_zh}）：没有参考照片、记录时间或拍摄号卡，"
            "若有人缺拍、又拍了记录外的人，姓名会整体错位而看不出来。合格的照片放在 review/ 而不是 upload/：请对照报告中的缩略图逐一确认。"
            "要自动核实，请用 --references 提供学籍照片、在记录中填写扫码时间，或拍摄时手持拍摄号卡，然后重新运行；整场核对无误可加 --trust-order。",
            f"{len(unverified)} students' photos were matched by shooting order only, not verified (shots {shots_en}): no reference "
            "photos, log times or shot-number cards, so a missing student plus a person not in the log would shift the names unseen. "
            "Passing photos are in review/, not upload/: confirm each against its thumbnail in the report. To verify automatically, "
            "give --references (enrollment photos), log times, or shot-number cards in the photos, and run again; after checking the "
            "whole shoot, --trust-order exports by order."))
    trusted = [s["shot_no"] for s in students if s.get("order_trusted")]
    counts = {}
    for s in sorted(students, key=lambda s: _STATUS_ORDER.get(s["status"], 9)):
        counts[s["status"]] = counts.get(s["status"], 0) + 1
    fcounts = {}
    for f in file_list:
        fcounts[f["status"]] = fcounts.get(f["status"], 0) + 1
    notes = list(roster.notes) + (registration.notes if registration else []) + list(m.notes)
    notes += [Said(en, zh_, "session_too_small") for zh_, en in session_notes]
    if ref_missing:
        notes.append(Said(f"no usable reference photo for shot(s) {', '.join(ref_missing)}",
                          f"拍摄号 {'、'.join(ref_missing)} 没有可用的参考照片", "no_reference_photo"))
    notes = [say(n, lang) for n in notes]
    report = {
        "photocheck_batch": 1,
        "shots": str(shots), "log": str(log), "references": str(references) if references else None,
        "summary": {"log_rows": len(roster.rows), "files": len(files), "students": counts, "files_by_status": fcounts,
                    "clock_offset_s": None if m.clock_offset is None else round(m.clock_offset, 1),
                    "unverified": len(unverified), "trusted_order": len(trusted)},
        "mismatches": [i.to_dict(lang) for i in issues],
        "notes": notes,
        "columns": roster.columns,
        "students": students,
        "files": file_list,
    }
    if trust_order:
        report["trust_order"] = {"shot_nos": trusted}
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


_SAME_BYTES = Said("same bytes", "文件相同", "same_bytes")
_SAME_IMAGE = Said("same image", "内容相同（重新保存或缩放的副本）", "same_image")
_NO_FACE = Said("no face", "没有检测到人脸", "no_face")

_STATUS_ORDER = {"ok": 0, "unverified": 1, "failed": 2, "mismatch": 3, "missing": 4, "unmatched": 5}


def _unverified_finding(shot_no: str, photo_ok: bool, lang: str) -> dict:
    """Why a row matched by order only is not ok, and what would verify it."""
    if lang == "zh":
        where = "照片合格，已放入 review/（未放入 upload/），请对照缩略图目视确认是否本人。" if photo_ok else "请对照缩略图目视确认是否本人。"
        msg = (f"未核实：这张照片只是按拍摄顺序对应到拍摄号 {shot_no}，没有人脸、时间或拍摄号证据，可能是别人。{where}"
               "要核实：用 --references 提供学籍照片、在记录中填写扫码时间，或拍摄时手持拍摄号卡。")
    else:
        where = ("The photo passes and is in review/ (not upload/): confirm by eye that it is this student. " if photo_ok
                 else "Confirm by eye against the thumbnail that it is this student. ")
        msg = (f"unverified: this photo was given to shot {shot_no} by shooting order only, with no face, time or shot-number "
               f"evidence; it may be someone else. {where}"
               "To verify: give --references (enrollment photos), log times, or shot-number cards in the photos.")
    return finding("unverified", msg)


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
    return "mismatch" if status in ("ok", "failed", "unverified") else status


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


def _shows_code(rec: dict, findings: list[dict], zh: bool) -> bool:
    """Whether the upload crop of a frame would show a card or QR code that made no slate of it (one
    the reader saw but could not decode); if so the student is told (``batch.card``)."""
    if not any(c.get("in_crop") for c in rec.get("card") or []):
        return False
    findings.append(finding("card", "照片的上传区域内有拍摄号卡或二维码，不能作为上传照片。请不拿卡重拍。" if zh else
                            "a shot-number card or QR code is inside the upload crop of this photo, so it cannot be uploaded. "
                            "Photograph the student again without the card."))
    return True


def _choose(rels: list[str], by_rel: dict) -> tuple[str, list[str]]:
    """The retake that passes the most rules (then fewest warnings, eyes most open, sharpest). A frame
    that shows a shot-number card (held outside the crop) is taken only when no other frame is."""
    ranked = sorted(rels, key=lambda r: (bool(by_rel[r].get("card")), score(by_rel[r]["findings"]), natural_key(r)))
    return ranked[0], [r for r in rels if r != ranked[0]]
