"""Slates: frames that show a shot-number card (``photocheck cards``) or a phone's QR code whose text
is a log row's 采集码 or shot number, and the frames they bind to a student.

A frame whose code is read (``rec["card"]``, :func:`photocheck.cards.reader.card_record`) is a
**slate** when it is no usable portrait: no face, or the card inside the planned upload crop (the
upload file would show it). A slate is never a portrait and never exported. The portrait frames
after it in capture order, up to the next slate, belong to its shot number (``matched_by: card``);
a frame with a card held outside the upload crop is a portrait of that shot number and a slate for
the frames after it.

The card is evidence, not a new guess (:func:`match_cards`): the face of the card's holder (a slate
with a face), the reference photo and the log time are checked against it; two different people
after one card, a card with no portrait after it, a card of another session or of a shot number
the log does not have, and portraits before the first card are reported. Frames a card does not
bind (a student who forgot the card, a person not in the log) are matched as without cards, but
only to the log rows whose shot numbers lie between the cards around them.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

import numpy as np

from .bilingual import Said
from .match import Frame, Issue, MatchResult, RowMatch, Subject, _unit, group_subjects
from .roster import Row, _shot_key


@dataclass
class Slate:
    rel: str
    seconds: float | None
    order: int
    text: str
    key: str | None  # shot key of the log row the slate binds; None: it binds nothing (see ``problem``)
    shot_no: str | None  # as the card says it
    embedding: np.ndarray | None = None  # the face of the person holding the card, if any
    portrait: bool = False  # the frame is also a usable portrait (card outside the upload crop)
    problem: Issue | None = None


def _code_row(code: dict, rows: list[Row], session: str | None) -> tuple[str | None, Issue | None, str | None]:
    """(row key, problem, shot number) of one code read in a frame."""
    keys = {_shot_key(r.shot_no): r for r in rows}
    if "version" in code:  # a photocheck card
        no = code.get("shot_no")
        if code["version"] != 1 or not no:
            return None, Issue("card", [], [], f"拍摄号卡的格式版本 {code['version']} 不被本版本 photocheck 支持，请升级。",
                               f"a shot-number card of format version {code['version']}: this photocheck cannot read it; upgrade"), None
        if session is not None and code.get("session", "") != session:
            return None, Issue("card", [no], [], f"拍摄号卡 {no} 属于另一场次（{code.get('session') or '无标签'}，本场为 {session or '无标签'}），未用于匹配。",
                               f"card {no} is of another session ({code.get('session') or 'no label'}; this shoot's is {session or 'no label'}); not used for matching"), no
        if _shot_key(no) not in keys:
            return None, Issue("card", [no], [], f"拍下了拍摄号卡 {no}，但记录中没有拍摄号 {no}。",
                               f"card {no} was photographed but the log has no shot {no}"), no
        return _shot_key(no), None, keys[_shot_key(no)].shot_no
    text = code.get("text", "").strip()
    for r in rows:  # a phone's QR code: the 采集码 itself, or a code that is just the shot number
        if (r.code and text == r.code.strip()) or (text.isdigit() and _shot_key(text) == _shot_key(r.shot_no)):
            return _shot_key(r.shot_no), None, r.shot_no
    return None, None, None  # some other QR code (a poster, a T-shirt): not a slate


def find_slates(records: list[dict], seconds: list[float | None], order: dict[str, int], rows: list[Row]) -> dict[str, Slate]:
    """The slates among analysed frames (file name → :class:`Slate`)."""
    sessions = Counter(c.get("session", "") for r in records for c in r.get("card") or [] if c.get("version") == 1)
    session = sessions.most_common(1)[0][0] if sessions else None
    out: dict[str, Slate] = {}
    for r, s in zip(records, seconds):
        codes = r.get("card") or []
        found = [(c, *_code_row(c, rows, session)) for c in codes]
        found = [f for f in found if f[1] is not None or f[2] is not None]  # a card, or a code that names a row
        if not found:
            continue
        keys = {f[1] for f in found if f[1] is not None}
        code, key, problem, no = found[0] if len(keys) <= 1 else (found[0][0], None, None, None)
        if len(keys) == 1:
            code, key, problem, no = next(f for f in found if f[1] is not None)
        elif len(keys) > 1:
            nos = [f[3] for f in found if f[1] is not None]
            problem = Issue("card", nos, [], f"同一张照片中有多张拍摄号卡（{', '.join(nos)}），未用于匹配。",
                            f"several shot-number cards in one frame ({', '.join(nos)}); not used for matching")
        if problem is not None:
            problem.files = [r["rel"]]
        emb = r.get("embedding")
        usable = emb is not None and all(c.get("in_crop") is False for c, *_ in found)
        out[r["rel"]] = Slate(r["rel"], s, order[r["rel"]], code.get("text", ""), key, no,
                              None if emb is None else np.array(emb, np.float32), usable, problem)
    return out


def _capture_sorted(items: list, notes: list[str]) -> list:
    if items and all(x.seconds is not None for x in items):
        return sorted(items, key=lambda x: (x.seconds, x.order))
    return sorted(items, key=lambda x: x.order)


@dataclass
class _Acc:
    """The merged result under construction."""
    rows: list[Row]
    subjects: list[Subject] = field(default_factory=list)
    result_rows: list[RowMatch] = field(default_factory=list)
    unassigned: list[int] = field(default_factory=list)
    issues: list[Issue] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def add(self, sub: MatchResult, row_idx: list[int]) -> None:
        base = len(self.subjects)
        self.subjects += sub.subjects
        for k, rm in enumerate(sub.rows):
            if rm.subject is not None:
                rm.subject += base
            self.result_rows[row_idx[k]] = rm
        self.unassigned += [base + i for i in sub.unassigned]
        self.issues += sub.issues
        self.notes += [n for n in sub.notes if n not in self.notes]


def _sim(a: np.ndarray | None, b: np.ndarray | None) -> float | None:
    return None if a is None or b is None else float(np.max(np.atleast_2d(a) @ b))


def match_cards(frames: list[Frame], rows: list[Row], refs: dict[int, np.ndarray], cfg: dict,
                slates: dict[str, Slate], match, open_end: bool = False) -> MatchResult:
    """:func:`photocheck.batch.match.match` for a shoot with slates (``match`` is that function: the
    frames no card binds are matched with it, a stretch between two cards at a time). ``open_end``:
    the shoot is still going (``photocheck watch``): the last card's student may not be photographed
    yet, and the rows after the last card are not reached yet — neither is missing."""
    ident, tcfg = cfg["identity"], cfg["time"]
    same, diff = ident["same_person"], ident["different_person"]
    row_of_key = {_shot_key(r.shot_no): j for j, r in enumerate(rows)}
    acc = _Acc(rows, result_rows=[RowMatch() for _ in rows])
    slate_list = list(slates.values())
    for s in slate_list:
        if s.problem is not None:
            acc.issues.append(s.problem)

    # 1. frames named by shot number win over cards (staff renamed them by hand)
    named = [f for f in frames if f.shot_key is not None and f.shot_key in row_of_key]
    named_keys = {f.shot_key for f in named}
    if named:
        idx = sorted({row_of_key[f.shot_key] for f in named})
        acc.add(match(named, [rows[j] for j in idx], {k: refs[j] for k, j in enumerate(idx) if j in refs}, cfg), idx)

    # 2. walk the capture order: each frame belongs to the last slate before it
    rest = [f for f in frames if not (f.shot_key is not None and f.shot_key in row_of_key)]
    seq = _capture_sorted(rest + [s for s in slate_list if s.rel not in {f.rel for f in rest}], acc.notes)
    bound: dict[str, list[Frame]] = {}  # row key → its frames
    gap_of: dict[str, int] = {}  # frame → index of the last slate before it (-1: before any)
    cur, k_slate = None, -1
    slate_seq: list[Slate] = []
    for x in seq:
        s = slates.get(x.rel)
        if s is not None:
            slate_seq.append(s)
            k_slate = len(slate_seq) - 1
            cur = s.key if s.key not in named_keys else None
            if not s.portrait or not isinstance(x, Frame):
                continue
        gap_of[x.rel] = k_slate
        if cur is not None:
            bound.setdefault(cur, []).append(x)
    before_first = [x.rel for x in seq if isinstance(x, Frame) and gap_of.get(x.rel) == -1]
    if before_first and slate_seq:
        acc.issues.append(Issue("card", [], before_first,
                                f"这些照片拍在第一张拍摄号卡之前，没有卡可对应（{', '.join(before_first)}）：按无卡的方式匹配。",
                                f"these frames were taken before the first shot-number card, so no card binds them "
                                f"({', '.join(before_first)}); matched as without cards"))

    # 3. each card's frames: the card's student, checked against the holder's face, the reference and the time
    holder_of: dict[str, np.ndarray] = {}
    for key in {s.key for s in slate_list if s.key is not None}:
        hs = [s.embedding for s in slate_list if s.key == key and s.embedding is not None and not s.portrait]
        if hs:
            holder_of[key] = _unit(np.mean(hs, axis=0))
    chosen_of: dict[str, Subject] = {}
    others_of: dict[str, list[Subject]] = {}
    for key, fs in bound.items():
        groups = group_subjects(fs, same, tcfg["max_retake_gap_s"])
        merged: list[Subject] = []  # the same face again later in the stretch is the same subject
        for g in groups:
            tgt = next((m for m in merged if (_sim(m.embedding, g.embedding) or 0) >= same), None)
            if tgt is None:
                merged.append(g)
            else:
                tgt.frames += g.frames
                tgt.embedding = _unit(np.mean([f.embedding for f in tgt.frames], axis=0))
        holder, ref = holder_of.get(key), refs.get(row_of_key[key])

        def rank(m: Subject, holder=holder, ref=ref) -> tuple:
            h, r = _sim(holder, m.embedding), _sim(ref, m.embedding)
            return (-(h is not None and h >= same), -(r is not None and r >= same), m.frames[0].order)

        merged.sort(key=rank)
        chosen_of[key], others_of[key] = merged[0], merged[1:]
    # another face after a card that is clearly the student of another card (photographed before
    # their card, or the card of that student held by them): that student's frames
    faces = {k: m.embedding for k, m in chosen_of.items()} | {k: e for k, e in holder_of.items() if k not in chosen_of}
    moved: dict[str, list[str]] = {}
    for key in list(others_of):
        keep = []
        for m in others_of[key]:
            fits = [k for k, e in faces.items() if k != key and (_sim(e, m.embedding) or 0) >= same]
            if len(fits) != 1:
                keep.append(m)
                continue
            k2 = fits[0]
            if k2 in chosen_of:
                c = chosen_of[k2]
                c.frames = sorted(c.frames + m.frames, key=lambda f: f.order)
                c.embedding = _unit(np.mean([f.embedding for f in c.frames], axis=0))
            else:
                chosen_of[k2] = m
            moved.setdefault(k2, []).extend(m.files)
        others_of[key] = keep
    released: list[Frame] = []
    for key, chosen in chosen_of.items():
        j = row_of_key[key]
        row = rows[j]
        others = others_of.get(key, [])
        ref, holder = refs.get(j), holder_of.get(key)
        si = len(acc.subjects)
        acc.subjects.append(chosen)
        rm = acc.result_rows[j]
        rm.subject, rm.state, rm.how = si, "ok", "card"
        rm.similarity = _sim(ref, chosen.embedding)
        h_sim = _sim(holder, chosen.embedding)
        files = ", ".join(chosen.files)
        if key in moved:
            rm.issues.append(Issue("card", [row.shot_no], moved[key],
                                   f"拍摄号 {row.shot_no} 的学生（与卡 {row.shot_no} 之后的照片或持卡人是同一人）也出现在别的卡之后（{', '.join(moved[key])}），已归入拍摄号 {row.shot_no}。",
                                   f"the student of card {row.shot_no} (the same face as after or holding that card) also appears "
                                   f"after another card ({', '.join(moved[key])}); those frames are given to shot {row.shot_no}"))
        if rm.similarity is not None and rm.similarity <= diff:
            rm.state, rm.how = "mismatch", "contradicted"
            rm.candidates = chosen.files
            rm.issues.append(Issue("card", [row.shot_no], chosen.files,
                                   f"拍摄号卡 {row.shot_no} 之后的照片（{files}）与该生的参考照片不像同一人（相似度 {rm.similarity:.2f}）：卡与人脸不符，请核对。",
                                   f"the photo after card {row.shot_no} ({files}) does not look like the student's reference photo "
                                   f"(similarity {rm.similarity:.2f}): the card and the face disagree. Check it."))
        elif h_sim is not None and h_sim <= diff:
            rm.state, rm.how = "mismatch", "contradicted"
            rm.candidates = chosen.files
            rm.issues.append(Issue("card", [row.shot_no], chosen.files,
                                   f"拿着拍摄号卡 {row.shot_no} 的人与之后照片（{files}）中的人不是同一人，请核对。",
                                   f"the person holding card {row.shot_no} is not the person in the photos after it ({files}). Check it."))
        if others:
            other_files = [f for m in others for f in m.files]
            rm.issues.append(Issue("card", [row.shot_no], other_files,
                                   f"拍摄号卡 {row.shot_no} 之后出现了不同的人（{', '.join(other_files)}）：可能是忘了拿卡的学生，或记录外的人；"
                                   f"{files} 判给拍摄号 {row.shot_no}，其余按无卡的方式匹配。",
                                   f"a different person follows card {row.shot_no} ({', '.join(other_files)}): a student who forgot "
                                   f"the card, or someone not in the log; {files} is given to shot {row.shot_no}, the others are "
                                   f"matched as without cards"))
            released += [f for m in others for f in m.frames]

    # a card with no portrait after it: the student is missing
    last_key = next((s.key for s in reversed(slate_seq) if s.key is not None), None)
    for s in slate_list:
        if open_end and s.key == last_key:
            continue  # the student of the card just photographed is next
        if s.key is not None and s.key not in chosen_of and s.key not in named_keys:
            j = row_of_key[s.key]
            if not any(i.kind == "card" and s.rel in i.files for i in acc.result_rows[j].issues):
                acc.result_rows[j].issues.append(Issue(
                    "missing", [rows[j].shot_no], [s.rel],
                    f"拍下了拍摄号卡 {rows[j].shot_no}（{s.rel}），但之后没有该生的可用照片（卡在照片中，或没有拍本人）。请给该生补拍（不拿卡）。",
                    f"card {rows[j].shot_no} was photographed ({s.rel}) but no usable portrait follows it (the card is in the "
                    f"photo, or the student was not photographed). Photograph the student again, without the card."))

    # 4. the time: with the card pairing, the clock offset is the median difference
    pairs = [(j, rm) for j, rm in enumerate(acc.result_rows) if rm.how == "card" and rm.subject is not None
             and acc.subjects[rm.subject].seconds is not None and rows[j].seconds is not None]
    offset = None
    if len(pairs) >= tcfg["min_time_matches"]:
        d = [acc.subjects[rm.subject].seconds - rows[j].seconds for j, rm in pairs]
        offset = float(np.median(d))
        for (j, rm), dj in zip(pairs, d):
            rm.time_residual = dj - offset
            if abs(rm.time_residual) > tcfg["log_tolerance_s"] * 3:
                rm.state, rm.how = "mismatch", "contradicted"
                rm.candidates = acc.subjects[rm.subject].files
                rm.issues.append(Issue("card", [rows[j].shot_no], rm.candidates,
                                       f"拍摄号卡 {rows[j].shot_no} 之后的照片拍摄时间与记录时间相差 {rm.time_residual:+.0f} 秒：卡与时间不符，请核对。",
                                       f"the photo after card {rows[j].shot_no} was taken {rm.time_residual:+.0f} s off the log time: "
                                       f"the card and the time disagree. Check it."))

    # 5. frames no card binds: matched without cards, between the cards around them
    free = [f for f in rest if f.rel not in {g.rel for fs in bound.values() for g in fs}] + released
    taken_rows = {j for j, rm in enumerate(acc.result_rows) if rm.subject is not None or rm.issues} | \
                 {row_of_key[k] for k in named_keys} | {row_of_key[s.key] for s in slate_list if s.key is not None}
    free_rows = [j for j in range(len(rows)) if j not in taken_rows]
    keyed = [s for s in slate_seq if s.key is not None]
    pos = {s.rel: row_of_key[s.key] for s in keyed}

    def bounds(gap: int) -> tuple[int, int]:
        """Log positions strictly between which a frame after slate ``gap`` can belong."""
        prev = next((pos[slate_seq[g].rel] for g in range(gap, -1, -1) if slate_seq[g].rel in pos), -1)
        nxt = next((pos[slate_seq[g].rel] for g in range(gap + 1, len(slate_seq)) if slate_seq[g].rel in pos), len(rows))
        return min(prev, nxt), max(prev, nxt)

    by_gap: dict[tuple[int, int], list[Frame]] = {}
    for f in free:
        by_gap.setdefault(bounds(gap_of.get(f.rel, -1)) if keyed else (-1, len(rows)), []).append(f)
    rows_left = list(free_rows)
    for (lo, hi), fs in sorted(by_gap.items()):
        live_tail = open_end and bool(keyed) and hi >= len(rows)
        if live_tail:
            # live, after the last card: a face without a card is the next student who forgot it or a
            # stranger, which the next card will tell; until then it is given no row (shown "check")
            idx = []
        else:
            idx = [j for j in rows_left if lo < j < hi]
        rows_left = [j for j in rows_left if j not in idx]
        sub = match(fs, [rows[j] for j in idx], {k: refs[j] for k, j in enumerate(idx) if j in refs}, cfg)
        for iss in sub.issues:  # say where, by the cards around: the stretch's own rows may be none
            if iss.kind == "stranger" and live_tail:
                iss.zh = (f"拍摄号卡 {rows[lo].shot_no} 之后的这个人没有拿卡（{', '.join(iss.files)}）：忘了拿卡的学生，或记录外的人；"
                          "请拍他的拍摄号卡。")
                iss.en = (f"this person after card {rows[lo].shot_no} has no card ({', '.join(iss.files)}): a student who "
                          "forgot it, or someone not in the log; photograph their card.")
            elif iss.kind == "stranger":
                a, b = (rows[lo].shot_no if lo >= 0 else None), (rows[hi].shot_no if hi < len(rows) else None)
                zh = "、".join(x for x in (f"拍摄号卡 {a} 之后" if a else "", f"拍摄号卡 {b} 之前" if b else "") if x)
                en = " and ".join(x for x in (f"after card {a}" if a else "", f"before card {b}" if b else "") if x)
                iss.zh = (f"{zh}拍摄的这个人没有拍摄号卡，也没有空缺的记录可以对应（{', '.join(iss.files)}）："
                          "不在记录中的人，或拍错了卡。请确认其身份，补登记录或按拍摄号重命名照片后重新运行。")
                iss.en = (f"a person photographed {en or 'without a card'} has no card and no unaccounted log row fits "
                          f"({', '.join(iss.files)}): someone not in the log, or a mix-up of cards. Find out who it is, "
                          "add them to the log or name the photo by shot number, and run again.")
        acc.add(sub, idx)
    last_pos = max(pos.values(), default=-1)
    for part, live in (([j for j in rows_left if j <= last_pos], False), ([j for j in rows_left if j > last_pos], open_end)):
        if part:  # rows no stretch holds: missing (or, live, after the last card: not reached yet)
            acc.add(match([], [rows[j] for j in part], {}, cfg, open_end=live), part)
    for j, rm in enumerate(acc.result_rows):
        waiting = rm.how == "later" or (open_end and last_key is not None and j == row_of_key[last_key])
        if rm.subject is None and rm.state == "missing" and not rm.issues and not waiting:
            rm.issues.append(Issue("missing", [rows[j].shot_no], [],
                                   f"没有找到拍摄号 {rows[j].shot_no} 的照片，也没有拍到它的拍摄号卡。",
                                   f"no photo and no card found for shot {rows[j].shot_no}."))
        for iss in rm.issues:
            if iss not in acc.issues:
                acc.issues.append(iss)
    acc.issues = [i for i in acc.issues if i.kind != "count"]  # per stretch counts mean nothing for the whole shoot
    acc.notes = [n for n in acc.notes if not n.startswith("no references")]
    n = len(slate_list)
    acc.notes.append(Said(f"{n} slate frame(s) (shot-number cards) bind the frames after them to their shot numbers; "
                          "without references, only the frames no card binds are matched by order",
                          f"{n} 张拍摄号卡照片：卡之后的照片按卡上的拍摄号对应；没有参考照片时，只有卡未覆盖的照片按顺序对应", "cards"))
    return MatchResult(acc.subjects, acc.result_rows, sorted(set(acc.unassigned)), acc.issues, offset, acc.notes)
