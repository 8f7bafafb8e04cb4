"""What a reviewer sees in each real photo of ../shared/faces, per rule: one source of truth for
the precision test (tests/test_precision.py) and the person cases of the accuracy benchmark.

``real_labels(rule_id)`` maps a file name to ``(expect, note)`` where ``expect`` is
``"violation"`` (the photo clearly breaks the rule), ``"compliant"`` (labelled clean for it) or is
absent (not clear either way: not counted). Labels come from ``manifest.csv`` and the more careful
``accessories.csv`` (jewellery, headwear, glasses, ears; it wins where the two disagree), plus a
few corrections made by looking at the photo (``LABEL_FIXES``, ``NOT_CLEAR``).
"""

from __future__ import annotations

import csv
import re
from functools import lru_cache

from .compose import FACES

# checked by eye: lips parted with the teeth showing, though labelled "mouth closed"
LABEL_FIXES = {
    ("faceapi__neutral.jpg", "mouth.closed"): ("violation", "lips parted, upper teeth visible (label says closed)"),
    ("openface__lennon-1.jpg", "mouth.closed"): ("violation", "lips parted, teeth visible (label says closed)"),
}
# labelled violations that are not clear ones (the targets are for clear violations): named in
# docs/accuracy.md as known misses instead of being counted
NOT_CLEAR = {
    ("webmorphstim__lisa3.jpg", "hair.eyebrows"): "a single strand of hair over one eyebrow",
    ("deepface__img40.jpg", "pose.yaw"): "shoulders turned, face nearly frontal (matrix −3°, YuNet and mesh nose offsets ≈ 0)",
}
# head pose violations named in the manifest notes (frontal = no)
POSE_VIOLATIONS = {
    "pose.yaw": ("insightface__pose_left_face.jpeg", "deepface__img40.jpg"),
    "pose.pitch": ("insightface__pose_lower_face.jpeg", "insightface__pose_rise_face.jpeg",
                   "insightface__emotion_anger.png"),
}
# rule → (manifest column, value meaning violation, values meaning compliant)
MANIFEST_COLUMNS = {
    "eyes.open": ("eyes_open", "no", ("yes",)),
    "mouth.closed": ("mouth_closed", "no", ("yes",)),
    "hair.eyebrows": ("hair_covers_eyebrows", "yes", ("no",)),
}
HEADWEAR = {"hat", "cap", "headband", "headscarf", "hood", "other"}
# an ear "hidden by hair" (the rule's fault), as opposed to hidden by a head turn or the frame edge
_HAIR_OVER_EAR = re.compile(r"(cover|hidden|hide|under|behind|among)[^;,.()]{0,30}(hair|lock|bob|strands|curls)"
                            r"|(hair|lock|bob)[^;,.()]{0,25}(cover|hid)", re.I)


@lru_cache(maxsize=1)
def _rows() -> dict[str, dict[str, str]]:
    """manifest.csv joined with accessories.csv (``acc_*`` columns), by file name."""
    with open(FACES / "manifest.csv", encoding="utf-8") as fh:
        rows = {r["file"]: dict(r) for r in csv.DictReader(fh)}
    with open(FACES / "accessories.csv", encoding="utf-8") as fh:
        for r in csv.DictReader(fh):
            rows[r["file"]].update({f"acc_{k}": v for k, v in r.items() if k != "file"})
    return rows


def single_face_files() -> list[str]:
    """Real photos with one labelled face (the ones the person rules are judged on)."""
    return [f for f, r in _rows().items() if r["n_faces"] == "1"]


def _jewellery(r: dict[str, str]) -> str | None:
    """``"violation"`` with earrings, a necklace or a facial piercing; ``"compliant"`` with none of
    them and nothing unsure; None when unsure (or only a brooch, clip or ring: not what the rule is
    about, and mostly outside a head-and-shoulders frame)."""
    ear, neck, other = r["acc_earrings"], r["acc_necklace"], r["acc_other_jewellery"]
    if ear in ("studs", "hoops_or_drops") or neck == "visible" or other in ("nose_stud", "facial_piercing"):
        return "violation"
    if ear == "none" and neck == "none" and other == "none":
        return "compliant"
    return None


def _ears(r: dict[str, str]) -> str | None:
    if r["acc_ears"] == "both_visible":
        return "compliant"
    return "violation" if _HAIR_OVER_EAR.search(r["acc_notes"]) else None  # turned away: a pose matter


# words in manifest notes that make a photo unfit to judge sharpness as "clean" (it is soft or
# coarse for a reason other than a fault the rule names)
_SOFT = ("blur", "low-res", "low res", "pixel", "noisy", "posteris", "upscaled", "video frame", "tv still")


def _core(rule_id: str, name: str, r: dict[str, str]) -> str | None:
    """Labels for the framing, lighting, quality and authenticity rules, from manifest.csv."""
    notes, light, frontal = r["notes"].lower(), r["lighting"], r["frontal"]
    if rule_id == "pose.roll":
        if "rolled" in notes or "(roll)" in notes:
            return "violation"
        return "compliant" if frontal == "yes" and "tilt" not in notes else None
    if rule_id == "lighting.exposure":
        if light in ("dark", "overexposed"):
            return "violation"
        return "compliant" if light == "even" and "dark" not in notes else None
    if rule_id == "lighting.evenness":
        return "violation" if "side light" in notes else "compliant" if light == "even" else None
    if rule_id == "quality.sharpness":
        if "motion blur" in notes or "blurry video" in notes:
            return "violation"
        return None if any(w in notes for w in _SOFT) else "compliant"
    if rule_id == "authenticity.retouch":
        return "violation" if "heavily retouched" in notes else None if "retouch" in notes else "compliant"
    if rule_id == "authenticity.recapture":
        return "violation" if "screen" in notes and "recapture" in notes else "compliant"
    return None


CORE_RULES = ("pose.roll", "lighting.exposure", "lighting.evenness", "quality.sharpness",
              "authenticity.retouch", "authenticity.recapture")


def real_labels(rule_id: str) -> dict[str, tuple[str, str]]:
    """``{file: (expect, note)}`` for the single-face real photos that are clearly labelled for
    ``rule_id``; photos not labelled for it (or not clearly) are absent."""
    out: dict[str, tuple[str, str]] = {}
    for name, r in _rows().items():
        if r["n_faces"] != "1" or (name, rule_id) in NOT_CLEAR:
            continue
        frontal, notes = r["frontal"], r["acc_notes"] or r["notes"]
        expect: str | None = None
        if (name, rule_id) in LABEL_FIXES:
            expect, note = LABEL_FIXES[(name, rule_id)]
            out[name] = (expect, note)
            continue
        if rule_id in MANIFEST_COLUMNS:
            col, bad, good = MANIFEST_COLUMNS[rule_id]
            expect = "violation" if r[col] == bad else "compliant" if r[col] in good and frontal != "no" else None
            notes = r["notes"]
        elif rule_id in POSE_VIOLATIONS:
            expect = "violation" if name in POSE_VIOLATIONS[rule_id] else "compliant" if frontal == "yes" else None
            notes = r["notes"]
        elif rule_id == "glasses.tinted":
            g = r["acc_glasses"]
            expect = "violation" if g == "tinted_or_sunglasses" else "compliant"
        elif rule_id == "glasses.glare":  # no labelled glare: every photo without tinted lenses is clean
            expect = "compliant" if r["acc_glasses"] != "tinted_or_sunglasses" else None
        elif rule_id == "ears.visible":
            expect = _ears(r)
        elif rule_id == "headwear":
            h = r["acc_headwear"]
            expect = "violation" if h in HEADWEAR else "compliant" if h in ("none", "hair_clip_only") else None
        elif rule_id == "accessories":
            expect = _jewellery(r)
        elif rule_id in CORE_RULES:
            expect = _core(rule_id, name, r)
            notes = r["notes"]
        if expect:
            out[name] = (expect, notes[:100])
    return out


def jewellery_parts(name: str) -> dict[str, str]:
    """What jewellery a photo has, for messages and per-kind tallies: earrings / necklace / other."""
    r = _rows()[name]
    return {"earrings": r["acc_earrings"], "necklace": r["acc_necklace"], "other": r["acc_other_jewellery"]}
