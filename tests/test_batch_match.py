"""The alignment of subjects to log rows, on synthetic identities (unit vectors) and clocks.

These are the matching decisions themselves, without models: each test builds a shoot as a list of
(person, capture time) frames and a log, and asserts which row gets which file and what is reported.
The same decisions on real photos are asserted in test_batch.py on the sample shoot."""

from __future__ import annotations

import numpy as np
import pytest

from photocheck.batch.match import Frame, estimate_offset, group_subjects, match
from photocheck.batch.roster import Row
from photocheck.batch.runner import load_settings

CFG = load_settings()
DIM = 128


def person(k: int, noise: float = 0.0, seed: int = 0) -> np.ndarray:
    """A unit 'embedding' for person k; frames of one person differ by a little noise."""
    v = np.random.default_rng(1000 + k).normal(size=DIM)
    v /= np.linalg.norm(v)
    if noise:
        v = v + noise * np.random.default_rng(seed).normal(size=DIM) / np.sqrt(DIM)
        v /= np.linalg.norm(v)
    return v.astype(np.float32)


def rows(n: int, times: bool = True) -> list[Row]:
    out = []
    for k in range(n):
        r = Row(k + 2, str(k + 1), f"S{k + 1:03d}", f"name{k + 1}")
        if times:
            r.time, r.seconds = "x", 1000.0 + 30.0 * k
        out.append(r)
    return out


def shoot(people: list[int], times: bool = True, clock: float = 95.0, retakes: dict | None = None,
          slots: list[int] | None = None) -> list[Frame]:
    """Frames in capture order: person p photographed in slot s (the log time of row s + clock + 8 s)."""
    frames = []
    order = 0
    slots = slots or list(range(len(people)))
    for p, s in zip(people, slots):
        for r in range((retakes or {}).get(p, 0) + 1):
            t = 1000.0 + 30.0 * s + clock + 8 + 5 * r if times else None
            frames.append(Frame(f"DSC_{order:04d}.JPG", t, person(p, 0.3, seed=order), order))
            order += 1
    return frames


def assigned(m, subjects_files=True):
    return {j: (m.subjects[rm.subject].files if rm.subject is not None else None, rm.state) for j, rm in enumerate(m.rows)}


def kinds(m):
    return sorted(i.kind for i in m.issues)


def test_retakes_group_into_one_subject():
    fr = shoot([0, 1, 2], retakes={1: 2})
    subs = group_subjects(fr, CFG["identity"]["same_person"], CFG["time"]["max_retake_gap_s"])
    assert [s.files for s in subs] == [["DSC_0000.JPG"], ["DSC_0001.JPG", "DSC_0002.JPG", "DSC_0003.JPG"], ["DSC_0004.JPG"]]


def test_same_face_after_a_long_gap_is_a_new_subject():
    fr = shoot([0, 0], slots=[0, 20])  # 600 s apart > max_retake_gap_s
    subs = group_subjects(fr, CFG["identity"]["same_person"], CFG["time"]["max_retake_gap_s"])
    assert len(subs) == 2


def test_clean_shoot_matches_in_order_confirmed_by_time():
    m = match(shoot([0, 1, 2, 3]), rows(4), {}, CFG)
    assert [rm.state for rm in m.rows] == ["ok"] * 4
    assert [rm.how for rm in m.rows] == ["time"] * 4
    assert m.issues == [] and m.unassigned == []
    assert m.clock_offset == pytest.approx(103.0, abs=1)


def test_missing_student_found_by_time():
    # row 3 (index 2) was never photographed
    m = match(shoot([0, 1, 3, 4], slots=[0, 1, 3, 4]), rows(5), {}, CFG)
    assert [rm.state for rm in m.rows] == ["ok", "ok", "missing", "ok", "ok"]
    assert kinds(m) == ["count", "missing"]
    assert m.rows[3].subject is not None and m.subjects[m.rows[3].subject].files == ["DSC_0002.JPG"]


def test_stranger_between_rows_is_not_given_a_row():
    fr = shoot([0, 1, 99, 2], slots=[0, 1, 1.5, 2])
    m = match(fr, rows(3), {}, CFG)
    assert [rm.state for rm in m.rows] == ["ok", "ok", "ok"]
    assert [m.subjects[i].files for i in m.unassigned] == [["DSC_0002.JPG"]]
    st = next(i for i in m.issues if i.kind == "stranger")
    assert "between shot 2 and shot 3" in st.en and st.files == ["DSC_0002.JPG"]


def test_count_mismatch_without_evidence_is_never_guessed():
    # no times, no references, one photo fewer than rows: nobody can say which student is missing
    m = match(shoot([0, 1, 3], times=False), rows(4, times=False), {}, CFG)
    assert all(rm.state == "mismatch" for rm in m.rows)
    amb = next(i for i in m.issues if i.kind == "ambiguous")
    assert amb.shot_nos == ["1", "2", "3", "4"] and len(amb.files) == 3
    assert "3 people" in amb.en and "4 students" in amb.en


def test_equal_counts_without_evidence_match_by_order_and_are_never_ok():
    m = match(shoot([0, 1, 2], times=False), rows(3, times=False), {}, CFG)
    assert [rm.how for rm in m.rows] == ["order"] * 3 and all(rm.state == "unverified" for rm in m.rows)
    assert any("no references" in n for n in m.notes)


def test_break_is_localised_between_confirmed_rows():
    # references for rows 1, 2, 5, 6 only; rows 3-4 have one photo between them and no clock
    refs = {j: person(p) for j, p in {0: 0, 1: 1, 4: 4, 5: 5}.items()}
    m = match(shoot([0, 1, 3, 4, 5], times=False), rows(6, times=False), refs, CFG)
    st = [rm.state for rm in m.rows]
    assert st[:2] == ["ok", "ok"] and st[4:] == ["ok", "ok"]
    assert st[2:4] == ["mismatch", "mismatch"]
    amb = next(i for i in m.issues if i.kind == "ambiguous")
    assert amb.shot_nos == ["3", "4"] and "between shot 2 and shot 5" in amb.en


def test_swap_detected_with_references():
    refs = {j: person(j) for j in range(4)}
    m = match(shoot([0, 2, 1, 3]), rows(4), refs, CFG)
    assert [rm.state for rm in m.rows] == ["ok", "mismatch", "mismatch", "ok"]
    assert m.subjects[m.rows[1].subject].files == ["DSC_0002.JPG"]  # row 2 gets the photo that is person 1
    assert m.subjects[m.rows[2].subject].files == ["DSC_0001.JPG"]
    sw = next(i for i in m.issues if i.kind == "swap")
    assert sw.shot_nos == ["2", "3"]


def test_swap_without_references_is_invisible_and_the_report_says_so():
    m = match(shoot([0, 2, 1, 3]), rows(4), {}, CFG)
    assert all(rm.state == "ok" for rm in m.rows)
    assert any("swap of two students cannot be detected" in n for n in m.notes)


def test_wrong_person_in_a_slot_is_a_stranger_and_the_row_is_missing():
    # the reference says the photo in row 2's slot is somebody else: never give it to row 2
    refs = {j: person(j) for j in range(3)}
    m = match(shoot([0, 7, 2]), rows(3), refs, CFG)
    assert [rm.state for rm in m.rows] == ["ok", "missing", "ok"]
    st = next(i for i in m.issues if i.kind == "stranger")
    assert st.files == ["DSC_0001.JPG"] and "between shot 1 and shot 3" in st.en


def test_named_files_win_and_are_checked_against_reference():
    fr = shoot([0, 1, 2])
    fr[2].shot_key = "2"  # staff renamed person 2's file to 002.jpg: it claims row 2
    fr[1].shot_key = None
    refs = {j: person(j) for j in range(3)}
    m = match(fr, rows(3), refs, CFG)
    assert m.rows[1].how == "file_name" and m.rows[1].state == "mismatch"  # person 2 is not row 2's student
    assert any(i.kind == "identity" for i in m.issues)


def test_clock_offset_found_despite_missing_and_extra():
    t_r = [1000.0 + 30 * k for k in range(10)]
    t_s = [t + 300 + 8 for k, t in enumerate(t_r) if k != 4] + [1000.0 + 30 * 4.5 + 308]
    assert estimate_offset(sorted(t_s), t_r, 10) == pytest.approx(308, abs=1)


def test_a_few_photos_cannot_pin_the_clock_so_times_give_no_evidence():
    # 2 photos for 12 rows: every offset explains them equally well; nothing may be "confirmed by time"
    m = match(shoot([0, 1], slots=[3, 7]), rows(12), {}, CFG)
    assert m.clock_offset is None
    assert all(rm.state == "mismatch" for rm in m.rows)
    assert any(i.kind == "ambiguous" for i in m.issues)


def test_regular_pace_offset_is_still_found_with_a_stranger_and_a_missing_row():
    # irregular enough pace (30-40 s) with one missing row and one stranger: the true offset wins
    r = rows(10)
    for k, row in enumerate(r):
        row.seconds = 1000.0 + sum(30 + (7 * i) % 11 for i in range(k))
    frames, order = [], 0
    for k in range(10):
        if k == 6:
            continue
        t = r[k].seconds + 95 + 8
        frames.append(Frame(f"DSC_{order:04d}.JPG", t, person(k, 0.3, order), order))
        order += 1
        if k == 2:
            frames.append(Frame(f"DSC_{order:04d}.JPG", t + 15, person(50), order))
            order += 1
    m = match(frames, r, {}, CFG)
    assert m.clock_offset == pytest.approx(103, abs=2)
    assert [rm.state for rm in m.rows] == ["ok"] * 6 + ["missing"] + ["ok"] * 3
    assert [m.subjects[i].files for i in m.unassigned] == [["DSC_0003.JPG"]]


def test_perfectly_regular_pace_with_a_missing_end_row_is_not_guessed():
    # 3 photos, 4 rows exactly 30 s apart: "row 4 missing" and "row 1 missing" fit the clock equally
    # well (the offset could be shifted by one student), so no row may be claimed as confirmed
    m = match(shoot([0, 1, 2]), rows(4), {}, CFG)
    assert [rm.state for rm in m.rows] == ["mismatch"] * 4
    assert any("offset is uncertain" in n for n in m.notes)
    # with references the faces settle it
    m = match(shoot([0, 1, 2]), rows(4), {j: person(j) for j in range(4)}, CFG)
    assert [rm.state for rm in m.rows] == ["ok", "ok", "ok", "missing"]


def test_missing_student_and_stranger_with_equal_counts_are_unverified_not_ok():
    # person 1 was not photographed, person 9 (not in the log) was: by order 9 lands on row 2 and
    # person 2 on row 3 … nothing shows it, so no row may be ok
    m = match(shoot([0, 9, 2, 3], times=False), rows(4, times=False), {}, CFG)
    assert [rm.state for rm in m.rows] == ["unverified"] * 4 and [rm.how for rm in m.rows] == ["order"] * 4
    # one reference is enough to confirm its own row, and only that row
    m = match(shoot([0, 9, 2, 3], times=False), rows(4, times=False), {0: person(0)}, CFG)
    assert [(rm.state, rm.how) for rm in m.rows] == [("ok", "face")] + [("unverified", "order")] * 3


def test_an_order_only_photo_whose_face_is_another_rows_student_breaks_the_stretch():
    """No times, a reference for person 0 only. Person 0 is photographed again after person 3 and
    person 5 never came, so the counts agree: by order row 5 (no reference of its own) gets person 0's
    second photo. That row's own reference cannot say so, but row 1's can: the photo is not row 5's
    student, and the names of the order-only stretch around it cannot be trusted (none unverified)."""
    people = [0, 1, 2, 3, 0, 4, 6, 7]  # row 6 (person 5) missing
    m = match(shoot(people, times=False), rows(8, times=False), {0: person(0)}, CFG)
    assert m.rows[0].state == "ok" and m.rows[0].how == "face"
    assert m.rows[4].state == "mismatch" and m.rows[4].how == "contradicted"
    assert not any(rm.state in ("ok", "unverified") for rm in m.rows[1:])
    iss = next(i for i in m.issues if i.kind == "identity")
    assert iss.shot_nos == ["5", "1"] and "shot 1's student" in iss.en and iss.files == ["DSC_0004.JPG"]
