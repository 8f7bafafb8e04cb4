"""Match camera frames to log rows: the heart of the batch pipeline.

1. Frames whose file name carries a shot number (staff renamed them) go to that row directly.
2. The other frames are put in capture order (EXIF time, then file sequence) and consecutive frames of
   the same face (SFace identity, within a time gap) become one *subject*: a student and their retakes.
3. Subjects are aligned to the log rows in shot order by dynamic programming with four moves: match,
   missing row, extra subject (stranger), and a swapped neighbouring pair. A match costs what the
   evidence says against it: identity against the student's reference photo (``--references``) and
   the capture time against the log time (when the log has times; the camera's clock offset is
   estimated). With no evidence every match costs 0, so the order decides.
4. Nothing is guessed silently: each match is *confirmed* (identity or time agrees), *contradicted*
   (identity or time disagrees) or *by order* (no evidence either way). Between two confirmed
   matches, if the run contains a missing row, a stranger or a contradiction, the order-only matches
   there are not trusted: those rows are reported as mismatches with the candidate photos, and the
   place where the alignment breaks is named by shot numbers. Where the run is clean, an order-only
   match is still only a guess that the counts agree — a missing student plus a stranger would
   shift the names unseen — so its state is ``unverified``, never ``ok``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from .bilingual import Said
from .roster import Row, parse_time


@dataclass
class Frame:
    rel: str
    seconds: float | None
    embedding: np.ndarray | None
    order: int = 0  # position in capture order
    shot_key: str | None = None  # from the file name


@dataclass
class Subject:
    frames: list[Frame]
    embedding: np.ndarray | None = None
    seconds: float | None = None
    named: str | None = None  # shot key when the frames were named by shot number

    @property
    def files(self) -> list[str]:
        return [f.rel for f in self.frames]


@dataclass
class Issue:
    kind: str  # count | missing | stranger | swap | identity | time | ambiguous | duplicate | no_face | unreadable | not_image
    shot_nos: list[str]
    files: list[str]
    zh: str
    en: str

    def to_dict(self, lang: str) -> dict:
        return {"kind": self.kind, "shot_nos": self.shot_nos, "files": self.files,
                "message": self.zh if lang == "zh" else self.en}


@dataclass
class RowMatch:
    subject: int | None = None  # index into subjects, when the row got a photo
    state: str = "missing"  # ok | unverified | missing | mismatch   (ok = matched, confirmed by evidence)
    how: str = ""  # file_name | face | time | order | swap | ambiguous | contradicted
    similarity: float | None = None  # to the reference
    time_residual: float | None = None  # s
    candidates: list[str] = field(default_factory=list)  # files, when the match cannot be trusted
    issues: list[Issue] = field(default_factory=list)


@dataclass
class MatchResult:
    subjects: list[Subject]
    rows: list[RowMatch]
    unassigned: list[int]  # subjects with no trusted row
    issues: list[Issue]
    clock_offset: float | None = None
    notes: list[Said] = field(default_factory=list)


def exif_seconds(values: list[str | None]) -> list[float | None]:
    """EXIF "YYYY:MM:DD HH:MM:SS" as seconds since midnight of the earliest day seen."""
    parsed = [parse_time(v) if v else None for v in values]
    days = [p.replace(hour=0, minute=0, second=0, microsecond=0) for p in parsed if p]
    if not days:
        return [None] * len(values)
    base = min(days)
    return [(p - base).total_seconds() if p else None for p in parsed]


def _unit(v: np.ndarray) -> np.ndarray:
    return v / max(float(np.linalg.norm(v)), 1e-9)


def group_subjects(frames: list[Frame], same_person: float, max_gap: float) -> list[Subject]:
    """Consecutive frames (capture order) of one face, within ``max_gap`` seconds, form a subject."""
    subjects: list[Subject] = []
    for f in frames:
        cur = subjects[-1] if subjects else None
        if cur is not None and f.embedding is not None:
            last = cur.frames[-1]
            sim = max(float(f.embedding @ last.embedding), float(f.embedding @ cur.embedding))
            gap = None if f.seconds is None or last.seconds is None else f.seconds - last.seconds
            if sim >= same_person and (gap is None or gap <= max_gap):
                cur.frames.append(f)
                cur.embedding = _unit(np.mean([g.embedding for g in cur.frames], axis=0))
                continue
        subjects.append(Subject([f], f.embedding, f.seconds))
    return subjects


def offset_candidates(t_s: list[float | None], t_r: list[float | None], tol: float, k: int = 5) -> list[float]:
    """Plausible camera-minus-log clock offsets: centres of the densest clusters of capture−log
    differences near the diagonal (at most ``k``, at least ``tol`` apart, densest first)."""
    n_s, n_r = len(t_s), len(t_r)
    reach = 3 + abs(n_s - n_r)
    d = [t_s[i] - t_r[j] for i in range(n_s) for j in range(max(0, i - reach), min(n_r, i + reach + 1))
         if t_s[i] is not None and t_r[j] is not None]
    if len(d) < 2:
        return []
    d = np.sort(np.array(d))
    hi = np.searchsorted(d, d + tol, side="right")
    counts = hi - np.arange(len(d))
    out: list[float] = []
    for i in np.argsort(-counts, kind="stable"):
        if counts[i] < 2 or len(out) >= k:
            break
        c = float(np.median(d[i:hi[i]]))
        if all(abs(c - o) > tol for o in out):
            out.append(c)
    return out


def estimate_offset(t_s: list[float | None], t_r: list[float | None], tol: float) -> float | None:
    """The densest cluster's offset (see :func:`choose_offset` for the one the alignment uses)."""
    c = offset_candidates(t_s, t_r, tol, 1)
    return c[0] if c else None


class _Cost:
    """The cost of each pairing under one clock offset. Every (subject, row) pair is worked out once
    (``parts`` is asked for the same pair by matches and swaps); the similarities, which no offset
    changes, are shared by the costs of one matching (``sims``): ``photocheck watch`` matches the
    whole shoot again after every frame."""

    def __init__(self, subjects, rows, refs, offset, cfg, sims: dict | None = None):
        self.s, self.r, self.refs, self.offset, self.cfg = subjects, rows, refs, offset, cfg
        self.sims = {} if sims is None else sims
        self._parts: dict[tuple[int, int], tuple] = {}

    def parts(self, i: int, j: int) -> tuple[float, float, float | None, float | None, str | None, str | None]:
        """(identity cost, time cost, similarity, time residual, identity state, time state) of
        subject i as row j's student photographed in row j's slot."""
        got = self._parts.get((i, j))
        if got is None:
            got = self._parts[(i, j)] = self._parts_of(i, j)
        return got

    def _parts_of(self, i: int, j: int) -> tuple[float, float, float | None, float | None, str | None, str | None]:
        ident, tcfg, al = self.cfg["identity"], self.cfg["time"], self.cfg["alignment"]
        s, row = self.s[i], self.r[j]
        c_id = c_t = 0.0
        sim = res = id_state = t_state = None
        sim = self.sim(i, j)  # against one reference, or the best of several when the row may be one of several students
        if sim is not None:
            hi, lo = ident["same_person"], ident["different_person"]
            c_id = al["identity_weight"] * min(max((hi - sim) / (hi - lo), 0.0), 1.0)
            id_state = "same" if sim >= hi else "different" if sim <= lo else "unsure"
        if self.offset is not None and s.seconds is not None and row.seconds is not None:
            res = s.seconds - row.seconds - self.offset
            tol = tcfg["log_tolerance_s"]
            c_t = min(al["time_cost_max"], abs(res) / (2 * tol))
            t_state = "fits" if abs(res) <= tol else "off"
        return c_id, c_t, sim, res, id_state, t_state

    def sim(self, i: int, j: int) -> float | None:
        """Similarity of subject i to row j's reference (None without one): one dot product per pair."""
        ref, emb = self.refs.get(j), self.s[i].embedding
        if ref is None or emb is None:
            return None
        sim = self.sims.get((i, j))
        if sim is None:
            d = ref @ emb  # one reference: a number; several: the best of them
            sim = self.sims[(i, j)] = float(d if d.ndim == 0 else np.max(d))
        return sim

    def matrices(self, band: int, n_r: int) -> tuple[np.ndarray, np.ndarray]:
        """(match costs, swap costs) of every subject × row within ``band`` of the diagonal, as
        arrays: the same numbers as :meth:`evidence` and :meth:`swap_cost` (the same float
        operations in the same order, element-wise), for the alignment's inner loop."""
        ident, tcfg, al = self.cfg["identity"], self.cfg["time"], self.cfg["alignment"]
        n_s = len(self.s)
        key = ("identity", band, n_r)  # no clock offset changes it: shared by the costs of one matching
        if key not in self.sims:
            hi, lo, w = ident["same_person"], ident["different_person"], al["identity_weight"]
            has_id = np.zeros((n_s + 1, n_r + 1), bool)
            sim = np.zeros((n_s + 1, n_r + 1))
            for i in range(n_s):
                for j in range(max(0, i - band - 2), min(n_r, i + band + 3)):
                    v = self.sim(i, j)
                    if v is not None:
                        sim[i, j], has_id[i, j] = v, True
            self.sims[key] = (np.where(has_id, w * np.minimum(np.maximum((hi - sim) / (hi - lo), 0.0), 1.0), 0.0),
                              has_id)
        c_id, has_id = self.sims[key]
        c_t = np.zeros((n_s + 1, n_r + 1))
        has_t = np.zeros((n_s + 1, n_r + 1), bool)
        if self.offset is not None:
            ts = np.array([np.nan if s.seconds is None else s.seconds for s in self.s] + [np.nan])
            tr = np.array([np.nan if r.seconds is None else r.seconds for r in self.r[:n_r]] + [np.nan])
            res = ts[:, None] - tr[None, :] - self.offset
            has_t = ~np.isnan(res)
            tol = tcfg["log_tolerance_s"]
            c_t = np.where(has_t, np.minimum(al["time_cost_max"], np.abs(np.nan_to_num(res)) / (2 * tol)), 0.0)
        match = c_id + c_t + np.where(~has_id & ~has_t, al["unverified_match"], 0.0)
        swap = np.full((n_s + 1, n_r + 1), math.inf)
        # swap (i, j): subject i as row j+1's student, i+1 as row j's, in the slots of rows j, j+1
        swap[:-1, :-1] = (c_id[:-1, 1:] + c_id[1:, :-1]) + c_t[:-1, :-1] + c_t[1:, 1:] + al["swap_penalty"]
        return match, swap

    def swap_cost(self, i: int, j: int) -> float:
        """Subjects i, i+1 are the students of rows j+1, j, photographed in the slots of rows j, j+1."""
        a, b = self.parts(i, j + 1), self.parts(i + 1, j)
        slot_a, slot_b = self.parts(i, j), self.parts(i + 1, j + 1)
        return a[0] + b[0] + slot_a[1] + slot_b[1] + self.cfg["alignment"]["swap_penalty"]

    def evidence(self, i: int, j: int) -> tuple[float, float | None, float | None, str]:
        """(cost, similarity, time residual, verdict: confirmed | contradicted | order)."""
        c_id, c_t, sim, res, id_state, t_state = self.parts(i, j)
        cost = c_id + c_t
        if id_state is None and t_state is None:
            cost += self.cfg["alignment"]["unverified_match"]  # prefer matches that evidence confirms
        if id_state == "same":
            verdict = "confirmed"
        elif id_state == "different":
            verdict = "contradicted"
        elif t_state == "fits":
            verdict = "confirmed"
        elif t_state == "off":
            verdict = "contradicted"
        else:
            verdict = "order"
        return cost, sim, res, verdict


def _align(cost: _Cost, n_s: int, n_r: int, cfg, open_end: bool = False) -> tuple[list[tuple], float]:
    """Minimum-cost monotone alignment. Returns (steps, total cost); steps: ("match", i, j) | ("miss", j) | ("extra", i) |
    ("swap", i, j) meaning subject i ↔ row j+1 and subject i+1 ↔ row j | ("later", j). ``open_end``: the shoot
    is still going, so the rows after the last one aligned cost nothing: they are ("later", j), not missing."""
    al = cfg["alignment"]
    miss, extra = al["missing_row"], al["extra_subject"]
    n_log = n_r
    band = int(al["band"])
    if open_end:  # the end is free: the path stays within the band, and rows beyond it are not reached yet
        n_r = min(n_r, n_s + band)
    else:  # the path must end in the corner
        band += abs(n_s - n_r)
    INF = math.inf
    F = np.full((n_s + 1, n_r + 1), INF)
    F[0, 0] = 0.0
    match_c, swap_c = (m.tolist() for m in cost.matrices(band, n_r))
    rows = [[INF] * (n_r + 1) for _ in range(n_s + 1)]  # F as lists: the loop reads single cells
    rows[0][0] = 0.0
    moves = [[0] * (n_r + 1) for _ in range(n_s + 1)]  # 1 match, 2 miss, 3 extra, 4 swap
    for i in range(n_s + 1):
        cur, mv = rows[i], moves[i]
        up = rows[i - 1] if i else None
        up2 = rows[i - 2] if i >= 2 else None
        mc = match_c[i - 1] if i else None
        sc = swap_c[i - 2] if i >= 2 else None
        for j in range(max(0, i - band), min(n_r, i + band) + 1):
            if i == 0 and j == 0:
                continue
            best, move = INF, 0
            if i and j and up[j - 1] < INF:  # match first: ties prefer matching in order
                v = up[j - 1] + mc[j - 1]
                if v < best - 1e-9:
                    best, move = v, 1
            if j and cur[j - 1] + miss < best - 1e-9:
                best, move = cur[j - 1] + miss, 2
            if i and up[j] + extra < best - 1e-9:
                best, move = up[j] + extra, 3
            if i >= 2 and j >= 2 and up2[j - 2] < INF:
                v = up2[j - 2] + sc[j - 2]
                if v < best - 1e-9:
                    best, move = v, 4
            cur[j] = best
            mv[j] = move
    F = np.array(rows)
    end = n_r
    if open_end:
        # rows after the end are not reached yet and cost nothing; ending before row n_s makes
        # some subjects strangers, which the closed alignment would pay for with a missing row each
        # too — so it is paid here as well, and a stranger is no cheaper live than at the end
        short = np.maximum(0, n_s - np.arange(n_r + 1))
        end = int(np.argmin(F[n_s, :] + miss * short))
    total = float(F[n_s, end])
    steps = [("later", k) for k in range(n_log - 1, end - 1, -1)]
    i, j = n_s, end
    while i or j:
        m = (None, ("match", i - 1, j - 1), ("miss", j - 1), ("extra", i - 1), ("swap", i - 2, j - 2))[moves[i][j]]
        steps.append(m)
        if m[0] == "match":
            i, j = i - 1, j - 1
        elif m[0] == "miss":
            j -= 1
        elif m[0] == "extra":
            i -= 1
        else:
            i, j = i - 2, j - 2
    return steps[::-1], total


def _between(rows: list[Row], j_before: int | None, j_after: int | None) -> tuple[str, str]:
    a = rows[j_before].shot_no if j_before is not None else None
    b = rows[j_after].shot_no if j_after is not None and j_after < len(rows) else None
    if a and b:
        return f"拍摄号 {a} 与 {b} 之间", f"between shot {a} and shot {b}"
    if a:
        return f"拍摄号 {a} 之后", f"after shot {a}"
    if b:
        return f"拍摄号 {b} 之前", f"before shot {b}"
    return "", ""


def match(frames: list[Frame], rows: list[Row], refs: dict[int, np.ndarray], cfg: dict,
          open_end: bool = False) -> MatchResult:
    """Assign frames (with faces, not duplicates) to log rows. ``refs``: row index → reference embedding,
    or a stack of them for a row whose student is one of several (its similarity is the highest).
    ``open_end``: the shoot is still going (``photocheck watch``): the rows after the last one the
    frames reach are not photographed *yet* (``how`` "later", no issue), not missing."""
    from .roster import _shot_key

    ident, tcfg = cfg["identity"], cfg["time"]
    issues: list[Issue] = []
    notes: list[Said] = []
    row_of_key = {_shot_key(r.shot_no): j for j, r in enumerate(rows)}
    result_rows = [RowMatch() for _ in rows]

    # 1. frames named by shot number
    named: dict[str, list[Frame]] = {}
    rest: list[Frame] = []
    for f in frames:
        if f.shot_key is not None and f.shot_key in row_of_key:
            named.setdefault(f.shot_key, []).append(f)
        else:
            rest.append(f)
    subjects: list[Subject] = []
    for key, fs in named.items():
        embs = [f.embedding for f in fs if f.embedding is not None]
        subjects.append(Subject(fs, _unit(np.mean(embs, axis=0)) if embs else None,
                                min((f.seconds for f in fs if f.seconds is not None), default=None), named=key))

    # 2. capture order and subjects
    if rest and all(f.seconds is not None for f in rest):
        rest.sort(key=lambda f: (f.seconds, f.order))
    else:
        rest.sort(key=lambda f: f.order)
        if any(f.seconds is not None for f in rest):
            notes.append(Said("some frames have no EXIF capture time: all frames ordered by file name",
                              "部分照片没有 EXIF 拍摄时间：全部照片按文件名排序", "no_exif_time"))
    first_free = len(subjects)
    subjects += group_subjects(rest, ident["same_person"], tcfg["max_retake_gap_s"])

    free_rows = [j for j in range(len(rows)) if _shot_key(rows[j].shot_no) not in named]
    free_subj = list(range(first_free, len(subjects)))
    sub_rows = [rows[j] for j in free_rows]
    sub_refs = {k: refs[j] for k, j in enumerate(free_rows) if j in refs}
    free = [subjects[i] for i in free_subj]
    sims: dict = {}  # subject × row similarities, the same under every clock offset tried
    offset, rivals = choose_offset(free, sub_rows, sub_refs, cfg, sims=sims, open_end=open_end)
    cost = _Cost(free, sub_rows, sub_refs, offset, cfg, sims)

    # named subjects: checked against the reference, never moved
    full_cost = _Cost(subjects, rows, refs, None, cfg)
    for si in range(first_free):
        j = row_of_key[subjects[si].named]
        _, sim, _, verdict = full_cost.evidence(si, j)
        rm = result_rows[j]
        rm.subject, rm.how, rm.similarity = si, "file_name", sim
        other = None if verdict == "confirmed" else _looks_like(subjects[si], j, refs, ident["same_person"])
        if verdict == "contradicted":
            rm.state = "mismatch"
            rm.issues.append(_identity_issue(rows[j], subjects[si], sim))
        elif other is not None:  # the name says row j, the face says another row's student: a slip when renaming
            rm.state = "mismatch"
            rm.issues.append(_named_other_issue(rows[j], rows[other[0]], subjects[si], other[1]))
        else:
            rm.state = "ok"

    assigned_subjects: set[int] = set(range(first_free))
    steps, _ = _align(cost, len(free_subj), len(sub_rows), cfg, open_end)

    # matches that an almost-as-good clock offset would make differently are not trusted
    stable = None
    for off in rivals:
        other, _ = _align(_Cost(free, sub_rows, sub_refs, off, cfg, sims), len(free_subj), len(sub_rows), cfg, open_end)
        pairs = {(st[1], st[2]) for st in other if st[0] == "match"}
        stable = pairs if stable is None else stable & pairs

    # 3. evidence of every step, and segments between confirmed anchors
    info = []  # (step, verdict, sim, res)
    looks: dict[tuple[int, int], tuple[int, float]] = {}  # order-only match → (row, similarity) whose student it shows
    for st in steps:
        if st[0] == "match":
            _, sim, res, verdict = cost.evidence(st[1], st[2])
            if verdict == "order" and (other := _looks_like(free[st[1]], st[2], sub_refs, ident["same_person"])):
                looks[(st[1], st[2])] = (free_rows[other[0]], other[1])
                verdict = "contradicted"  # no reference of its own, but another row's student's face
            if stable is not None and (st[1], st[2]) not in stable and verdict == "confirmed" and (
                    sim is None or sim < ident["same_person"]):
                verdict = "unstable"  # confirmed only by a clock offset that is not certain
            info.append((st, verdict, sim, res))
        elif st[0] == "swap":
            e1, e2 = cost.evidence(st[1], st[2] + 1), cost.evidence(st[1] + 1, st[2])
            info.append((st, "confirmed" if e1[3] == e2[3] == "confirmed" else "contradicted", (e1[1], e2[1]), (e1[2], e2[2])))
        else:
            info.append((st, st[0], None, None))

    def row_j(k):  # local row index → global
        return free_rows[k]

    def subj_i(k):
        return free_subj[k]

    last_row_before: list[int | None] = []
    seen_row = None
    for st, *_ in info:
        last_row_before.append(seen_row)
        if st[0] in ("match", "miss"):
            seen_row = st[2] if st[0] == "match" else st[1]
        elif st[0] == "swap":
            seen_row = st[2] + 1

    k = 0
    while k < len(info):
        if info[k][0][0] in ("match", "swap") and info[k][1] == "confirmed":
            k += 1
            continue
        # a run of non-anchor steps
        e = k
        while e < len(info) and not (info[e][0][0] in ("match", "swap") and info[e][1] == "confirmed"):
            e += 1
        run = info[k:e]
        broken = any(v in ("miss", "extra", "contradicted", "unstable") for _, v, *_ in run)
        order_only = [(st, sim, res) for st, v, sim, res in run if st[0] == "match" and v in ("order", "unstable")]
        before = last_row_before[k]
        after_row = next((st[2] for st, *_ in info[e:] if st[0] in ("match", "swap")), None)
        after_row = after_row if after_row is not None else next((st[1] for st, *_ in info[e:] if st[0] == "miss"), None)
        where = _between(rows, row_j(before) if before is not None else None,
                         row_j(after_row) if after_row is not None else None)
        if broken and order_only:
            where = where if where[0] else ("整场拍摄", "across the whole shoot")  # no anchor on either side
            cand_subjects = [subj_i(st[1]) for st, *_ in run if st[0] in ("match", "extra")]
            cand_files = [f for si in cand_subjects for f in subjects[si].files]
            amb_rows = [row_j(st[2] if st[0] == "match" else st[1]) for st, *_ in run if st[0] in ("match", "miss")]
            shots = [rows[j].shot_no for j in amb_rows]
            n_people, n_rows = len(cand_subjects), len(amb_rows)
            issues.append(Issue("ambiguous", shots, cand_files,
                                f"{where[0]}：照片中有 {n_people} 人，记录中有 {n_rows} 名学生，无法确定哪张照片属于谁。请核对拍摄顺序，或用 --references 提供学籍照片，或按拍摄号重命名照片后重新运行。",
                                f"{where[1]}: the photos show {n_people} people but the log has {n_rows} students, so which photo is whose cannot be told. Check the shooting order, give --references, or rename the photos by shot number and run again."))
            for j in amb_rows:
                rm = result_rows[j]
                rm.state, rm.how, rm.candidates = "mismatch", "ambiguous", cand_files
        else:
            for st, v, sim, res in run:
                if st[0] == "match" and v in ("order", "unstable"):
                    j = row_j(st[2])
                    rm = result_rows[j]
                    # no face, time or file-name evidence: the counts agree, nothing more (never "ok")
                    rm.subject, rm.state, rm.how, rm.similarity, rm.time_residual = subj_i(st[1]), "unverified", "order", sim, res
                    assigned_subjects.add(subj_i(st[1]))
            for st, *_ in run:
                if st[0] == "miss":
                    j = row_j(st[1])
                    result_rows[j].issues.append(Issue("missing", [rows[j].shot_no], [],
                        f"没有找到拍摄号 {rows[j].shot_no} 的照片。请确认该生是否已拍摄、照片是否遗漏。",
                        f"no photo found for shot {rows[j].shot_no}. Check whether the student was photographed and whether a file is missing."))
        # contradictions are reported in every case
        for st, v, sim, res in run:
            if st[0] == "match" and v == "contradicted":
                j, si = row_j(st[2]), subj_i(st[1])
                rm = result_rows[j]
                rm.state, rm.how, rm.similarity, rm.time_residual = "mismatch", "contradicted", sim, res
                rm.candidates = subjects[si].files
                if (st[1], st[2]) in looks:
                    k_other, sim_other = looks[(st[1], st[2])]
                    rm.issues.append(_named_other_issue(rows[j], rows[k_other], subjects[si], sim_other, named=False))
                else:
                    rm.issues.append(_identity_issue(rows[j], subjects[si], sim) if sim is not None and sim <= ident["different_person"]
                                     else _time_issue(rows[j], subjects[si], res))
            if st[0] == "swap":
                j1, j2 = row_j(st[2]), row_j(st[2] + 1)
                s1, s2 = subj_i(st[1]), subj_i(st[1] + 1)
                # contradicted swap: evidence too weak to claim identities; report like a contradiction
                for j in (j1, j2):
                    rm = result_rows[j]
                    rm.state, rm.how, rm.candidates = "mismatch", "contradicted", subjects[s1].files + subjects[s2].files
                issues.append(_swap_issue(rows[j1], rows[j2], subjects[s2], subjects[s1], confirmed=False))
        k = e

    for st, v, sim, res in info:
        if st[0] == "match" and v == "confirmed":
            j, si = row_j(st[2]), subj_i(st[1])
            rm = result_rows[j]
            rm.subject, rm.state, rm.similarity, rm.time_residual = si, "ok", sim, res
            rm.how = "face" if sim is not None and sim >= ident["same_person"] else "time"
            assigned_subjects.add(si)
        elif st[0] == "swap" and v == "confirmed":
            j1, j2 = row_j(st[2]), row_j(st[2] + 1)
            s_for_j2, s_for_j1 = subj_i(st[1]), subj_i(st[1] + 1)
            for j, si, sm in ((j1, s_for_j1, sim[1]), (j2, s_for_j2, sim[0])):
                rm = result_rows[j]
                rm.subject, rm.state, rm.how, rm.similarity = si, "mismatch", "swap", sm
                assigned_subjects.add(si)
            iss = _swap_issue(rows[j1], rows[j2], subjects[s_for_j1], subjects[s_for_j2], confirmed=True)
            result_rows[j1].issues.append(iss)
            result_rows[j2].issues.append(iss)
            issues.append(iss)

    # missing rows: issues were attached; collect them globally
    later = {row_j(st[1]) for st, *_ in info if st[0] == "later"}
    for j in later:
        result_rows[j].how = "later"
    for j, rm in enumerate(result_rows):
        if rm.state == "missing" and j not in later and not any(i.kind == "missing" for i in rm.issues):
            rm.issues.append(Issue("missing", [rows[j].shot_no], [],
                                   f"没有找到拍摄号 {rows[j].shot_no} 的照片。", f"no photo found for shot {rows[j].shot_no}."))
        for iss in rm.issues:
            if iss.kind != "swap":
                issues.append(iss)

    # 4. subjects without a trusted row: strangers (extra) and those of broken runs
    unassigned = [si for si in range(len(subjects)) if si not in assigned_subjects]
    extra_steps = {subj_i(st[1]): k for k, (st, *_) in enumerate(info) if st[0] == "extra"}
    for si in unassigned:
        if si in extra_steps:
            k = extra_steps[si]
            before = last_row_before[k]
            after_row = next((st[2] for st, *_ in info[k:] if st[0] in ("match", "swap")), None)
            after_row = after_row if after_row is not None else next((st[1] for st, *_ in info[k:] if st[0] == "miss"), None)
            w = _between(rows, row_j(before) if before is not None else None, row_j(after_row) if after_row is not None else None)
            issues.append(Issue("stranger", [], subjects[si].files,
                                f"{w[0]}拍摄的这个人不在记录中（{', '.join(subjects[si].files)}）。请确认其身份，补登记录后重新运行。",
                                f"a person not in the log was photographed {w[1]} ({', '.join(subjects[si].files)}). Find out who it is, add them to the log and run again."))

    if len(free_subj) != len(sub_rows) - len(later):
        issues.insert(0, Issue("count", [], [],
                               f"照片中有 {len(free_subj)} 人，记录中有 {len(sub_rows)} 名学生（不含按拍摄号命名的照片）。",
                               f"the photos show {len(free_subj)} people but the log has {len(sub_rows)} students (not counting files named by shot number)."))
    if not refs:
        notes.append(Said("no references: identities not verified; a swap of two students cannot be detected",
                          "未提供参考照片：没有核对身份，两名学生的照片互换无法发现", "no_references"))
        if not any(r.seconds is not None for r in rows):
            notes.append(Said("no references and no log times: photos are matched to the log by order alone, so a missing "
                              "student and a person not in the log would shift the names between them unseen; give --references",
                              "没有参考照片，记录中也没有时间：照片只能按顺序对应到记录，缺拍一人又多拍一人会让其间的姓名错位而无法发现；"
                              "请用 --references 提供学籍照片", "order_only"))
    if offset is None and any(r.seconds is not None for r in rows):
        notes.append(Said("log times could not be used: too few photos fit them to fix the camera clock's offset",
                          "记录中的时间无法使用：与之吻合的照片太少，无法确定相机时钟的偏差", "times_unused"))
    elif rivals:
        notes.append(Said(f"the camera clock's offset is uncertain ({len(rivals)} other offset(s) fit almost as well); "
                          "matches that depend on it are not trusted",
                          f"相机时钟的偏差不确定（另有 {len(rivals)} 个偏差几乎同样吻合）；依赖它的匹配不予采信", "offset_uncertain"))
    return MatchResult(subjects, result_rows, unassigned, issues, offset, notes)


def choose_offset(subjects: list[Subject], rows: list[Row], refs: dict, cfg: dict,
                  sims: dict | None = None, open_end: bool = False) -> tuple[float | None, list[float]]:
    """(offset, rivals): the camera clock's offset from the log's, or None when the times cannot be
    used, and the other offsets that explain the shoot almost as well.

    Each candidate offset (dense clusters of capture−log differences) is tried in the alignment; the
    cheapest wins if at least ``[time] min_time_matches`` subjects then fit their row's time. Offsets
    whose alignment costs less than ``[time] offset_margin`` more are *rivals*: a regular pace makes
    an offset shifted by one student look almost as good, and a handful of photos cannot pin the
    offset down. Matches that the rivals' alignments do not share are not trusted.
    """
    tcfg = cfg["time"]
    tol = tcfg["log_tolerance_s"]
    if not any(r.seconds is not None for r in rows):
        return None, []
    cands = offset_candidates([s.seconds for s in subjects], [r.seconds for r in rows], tol)
    tried = []
    for off in cands:
        cost = _Cost(subjects, rows, refs, off, cfg, sims)
        steps, total = _align(cost, len(subjects), len(rows), cfg, open_end)
        fits = 0
        for st in steps:
            if st[0] == "match":
                res = cost.evidence(st[1], st[2])[2]
                fits += res is not None and abs(res) <= tol
        tried.append((total, off, fits))
    if not tried:
        return None, []
    tried.sort()
    total, off, fits = tried[0]
    if fits < tcfg["min_time_matches"]:
        return None, []
    rivals = [o for t, o, _ in tried[1:] if t - total < tcfg["offset_margin"]]
    return off, rivals


def _looks_like(s: Subject, j: int, refs: dict[int, np.ndarray], same_person: float) -> tuple[int, float] | None:
    """(row, similarity) of the other row whose student's reference this subject's face matches best,
    when it is at least ``same_person``; None otherwise. A row whose own reference is missing cannot
    contradict a photo, but another row's reference can say whose face it is."""
    if s.embedding is None:
        return None
    best = max(((k, float(np.max(ref @ s.embedding))) for k, ref in refs.items() if k != j), key=lambda t: t[1], default=None)
    return best if best is not None and best[1] >= same_person else None


def _named_other_issue(row: Row, other: Row, s: Subject, sim: float, named: bool = True) -> Issue:
    """The photo given to ``row`` (by its file name, or by order) shows ``other``'s student."""
    files = ", ".join(s.files)
    how_zh, how_en = ("按拍摄号", "named for") if named else ("按顺序对应到拍摄号", "in order for")
    check_zh, check_en = ("请核对文件名后重新运行。", "Check the file name and run again.") if named else (
        "请核对拍摄顺序（该生可能拍了两次，或有人缺拍）。", "Check the shooting order (the student may have been photographed twice, or someone is missing).")
    return Issue("identity", [row.shot_no, other.shot_no], s.files,
                 f"{how_zh} {row.shot_no} {'命名' if named else ''}的照片（{files}）与拍摄号 {other.shot_no} 学生的参考照片相符（相似度 {sim:.2f}），"
                 f"不是拍摄号 {row.shot_no} 的学生，未导出。{check_zh}",
                 f"the photo {how_en} shot {row.shot_no} ({files}) matches the reference photo of shot {other.shot_no}'s "
                 f"student (similarity {sim:.2f}), so it is not shot {row.shot_no}'s student; nothing is exported for it. {check_en}")


def _identity_issue(row: Row, s: Subject, sim: float | None) -> Issue:
    files = ", ".join(s.files)
    return Issue("identity", [row.shot_no], s.files,
                 f"拍摄号 {row.shot_no} 的照片（{files}）与该生的参考照片不像同一人（相似度 {sim:.2f}）。请核对。",
                 f"the photo for shot {row.shot_no} ({files}) does not look like the student's reference photo (similarity {sim:.2f}). Check it.")


def _time_issue(row: Row, s: Subject, res: float | None) -> Issue:
    files = ", ".join(s.files)
    return Issue("time", [row.shot_no], s.files,
                 f"拍摄号 {row.shot_no} 按顺序对应的照片（{files}）拍摄时间与记录时间相差 {res:+.0f} 秒，可能不是该生。请核对。",
                 f"the photo in order for shot {row.shot_no} ({files}) was taken {res:+.0f} s off the log time; it may not be this student. Check it.")


def _swap_issue(r1: Row, r2: Row, s_r1: Subject, s_r2: Subject, confirmed: bool) -> Issue:
    f1, f2 = ", ".join(s_r1.files), ", ".join(s_r2.files)
    if confirmed:
        return Issue("swap", [r1.shot_no, r2.shot_no], s_r1.files + s_r2.files,
                     f"拍摄号 {r1.shot_no} 与 {r2.shot_no} 的拍摄顺序颠倒：{r1.shot_no} 的照片是 {f1}，{r2.shot_no} 的照片是 {f2}（已用参考照片核对）。请人工确认。",
                     f"shots {r1.shot_no} and {r2.shot_no} were photographed in swapped order: {r1.shot_no} is {f1}, {r2.shot_no} is {f2} (checked against the references). Confirm by eye.")
    return Issue("swap", [r1.shot_no, r2.shot_no], s_r1.files + s_r2.files,
                 f"拍摄号 {r1.shot_no} 与 {r2.shot_no} 的照片可能顺序颠倒（{f1}；{f2}），证据不足以确定。请人工核对。",
                 f"the photos of shots {r1.shot_no} and {r2.shot_no} may be in swapped order ({f1}; {f2}); the evidence is not enough to tell. Check by eye.")
