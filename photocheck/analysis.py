"""Analyse a photo once: models run once, and every rule reads the resulting :class:`Analysis`.

Flow: load → YuNet faces (count, alignment points) → Face Landmarker on a crop around the main
face → frame (whole image for uploads, planned crop for camera originals) → person mask on the
frame region → a 480×640 view (pixels, landmarks, mask) that every content rule reads.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING, TypeVar

import cv2
import numpy as np

from . import landmarks as L
from .errors import PhotoError
from .framing import FrameMap, Rect, crop, plan_frame
from .inference import HAIR_SIDE, Models, get_models
from .io import LoadedImage, Source, load
from .spec import Spec, load_spec

if TYPE_CHECKING:
    from .references import Reference

T = TypeVar("T")

DETECT_LONG_SIDE = 800  # YuNet input at most this (400–800 px): faces down to ~40 px in a camera frame
LANDMARK_SIDE = 512  # the landmarker works at 256 px internally; more only costs time
SEGMENT_LONG_SIDE = 512  # the selfie model works at 256 px internally
HAIR_BOX = 2.4  # the hair crop: a square of this × face width around the head (hair, ears, jaw)
MIN_FACE_SCORE = 0.6
OTHER_FACE_MIN_WIDTH = 0.2  # faces narrower than 20 % of the main face are not counted
OTHER_FACE_MIN_SCORE = 0.78  # real other faces score 0.80-0.95; blurred crowds and backdrops up to 0.73
# Where a spectacle lens sits: the eye opening scaled about its centre (width, height). Geometry of
# the region measured, not a limit.
LENS_SCALE = np.array([1.5, 2.6])


@dataclass(frozen=True)
class Face:
    """The main face, in frame pixels (480×640)."""

    points: np.ndarray  # 478×3: x, y in frame px; z relative depth
    blendshapes: dict[str, float]
    matrix: np.ndarray  # 4×4 facial transformation matrix from the landmarker


def _resize_long(rgb: np.ndarray, long_side: int) -> tuple[np.ndarray, float]:
    h, w = rgb.shape[:2]
    k = min(1.0, long_side / max(h, w))
    if k >= 1.0:
        return rgb, 1.0
    # Bilinear down to half size samples every input pixel (no aliasing) at a fifth of the cost of
    # an arbitrary-ratio area resize; below half, area averaging.
    interp = cv2.INTER_LINEAR if k >= 0.5 else cv2.INTER_AREA
    return cv2.resize(rgb, (max(1, round(w * k)), max(1, round(h * k))), interpolation=interp), k


def head_top_from_mask(mask: np.ndarray, cx: float, half_band: float, eye_y: float, thr: float = 0.5) -> float:
    """Top of the head (hair included): the 10th-percentile first person row over the face columns.

    Returns 0 when the person reaches the top edge, NaN when no person is found above the eyes.
    """
    h, w = mask.shape
    x0, x1 = max(0, int(cx - half_band)), min(w, int(cx + half_band) + 1)
    y1 = int(np.clip(eye_y, 1, h))
    band = mask[:y1, x0:x1] >= thr
    if band.size == 0:
        return float("nan")
    has = band.any(axis=0)
    if not has.any():
        return float("nan")
    first = band.argmax(axis=0)[has]
    return float(np.percentile(first, 10))


def _shrink_by_integer(rgb: np.ndarray, long_side: int) -> tuple[np.ndarray, float]:
    """Shrink by the smallest whole factor that brings the long side to ``long_side`` or less.

    OpenCV's area resize has a fast path for whole factors (each output pixel is the mean of an
    n×n block): about a tenth of the cost of an arbitrary 0.53× area resize of a camera frame.
    """
    n = -(-max(rgb.shape[:2]) // long_side)  # ceil
    if n <= 1:
        return rgb, 1.0
    return cv2.resize(rgb, None, fx=1.0 / n, fy=1.0 / n, interpolation=cv2.INTER_AREA), 1.0 / n


def _detect(models: Models, rgb: np.ndarray) -> np.ndarray:
    small, k = _shrink_by_integer(rgb, DETECT_LONG_SIDE)
    det = models.detect_faces(small)
    det = det[det[:, 14] >= MIN_FACE_SCORE]
    det[:, :14] /= k
    # main face first: the largest
    return det[np.argsort(-(det[:, 2] * det[:, 3]))] if len(det) else det


def _landmark(models: Models, rgb: np.ndarray, box: np.ndarray):
    """Landmarks of the face in ``box`` (x, y, w, h), run on a square crop around it."""
    h, w = rgb.shape[:2]
    cx, cy = box[0] + box[2] / 2, box[1] + box[3] / 2
    side = 2.4 * max(box[2], box[3])
    x0, y0 = int(max(0, cx - side / 2)), int(max(0, cy - side / 2))
    x1, y1 = int(min(w, cx + side / 2)), int(min(h, cy + side / 2))
    patch, k = _resize_long(rgb[y0:y1, x0:x1], LANDMARK_SIDE)
    found = models.landmarks(patch)
    if not found:
        return None
    # the face nearest the crop centre is the one YuNet found
    pc = np.array([(cx - x0) * k, (cy - y0) * k])
    best = min(found, key=lambda f: float(np.linalg.norm(f.points[:, :2].mean(axis=0) - pc)))
    pts = best.points.copy()
    pts[:, :2] = pts[:, :2] / k + (x0, y0)
    pts[:, 2] /= k
    return pts, best.blendshapes, best.matrix


def _segment(models: Models, rgb: np.ndarray, region: Rect) -> tuple[np.ndarray, Rect]:
    """Person mask over ``region`` (clamped to the image), at the region's pixel size."""
    h, w = rgb.shape[:2]
    x0, y0 = int(max(0, region.x)), int(max(0, region.y))
    x1, y1 = int(min(w, region.x + region.w)), int(min(h, region.y + region.h))
    patch, k = _resize_long(rgb[y0:y1, x0:x1], SEGMENT_LONG_SIDE)
    mask = models.person_mask(patch)
    return mask, Rect(x0, y0, x1 - x0, y1 - y0)


def _mask_into_frame(mask: np.ndarray, mask_rect: Rect, frame: Rect, size: tuple[int, int],
                     outside: float | None = None) -> np.ndarray:
    """Resample a mask covering ``mask_rect`` onto the frame grid. Outside the mask: its edge
    values continued (``outside`` None), or the value ``outside``."""
    mh, mw = mask.shape
    sx, sy = mw / mask_rect.w, mh / mask_rect.h
    fx, fy = frame.w / size[0], frame.h / size[1]
    # frame px → image px → mask px
    m = np.array([[fx * sx, 0, (frame.x - mask_rect.x) * sx], [0, fy * sy, (frame.y - mask_rect.y) * sy]])
    if outside is None:
        return cv2.warpAffine(mask, m, size, flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP,
                              borderMode=cv2.BORDER_REPLICATE)
    return cv2.warpAffine(mask, m, size, flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP,
                          borderMode=cv2.BORDER_CONSTANT, borderValue=outside)


class Analysis:
    """Everything the rules read about one photo, computed once.

    Pixel data is the 480×640 *frame*: the photo itself for an upload file, the planned crop for a
    camera original. Derived measurements are cached properties, so a rule that needs the skin mask
    or the pupils does not recompute what another rule already did.
    """

    def __init__(self, image: LoadedImage, spec: Spec, detections: np.ndarray, frame: Rect,
                 rgb: np.ndarray, person: np.ndarray, face: Face | None, models: Models,
                 references: Sequence[Reference | PhotoError] = ()):
        self.image = image
        self.spec = spec
        self.detections = detections  # YuNet rows in working-image px, main face first
        self.frame = frame  # in working-image px
        self.rgb = rgb  # 640×480×3 uint8 frame view
        self.person = person  # 640×480 float32 person confidence in the frame
        self.face = face
        self._models = models
        # reference photos for the authenticity rules (an unusable one as the error saying why)
        self.references: tuple[Reference | PhotoError, ...] = tuple(references)
        self._shared: dict = {}

    @property
    def models(self) -> Models:
        """The per-process model runners this analysis was made with."""
        return self._models

    @property
    def frame_map(self) -> FrameMap:
        """Working-image px ↔ frame px: ``a.frame_map.to_frame(points)``, ``.to_image(points)``."""
        return FrameMap(self.frame, self.frame_size)

    def shared(self, key: Hashable, make: Callable[[], T]) -> T:
        """A measurement computed outside this class that several rules read (``make()``, computed
        on first use, then kept for this analysis): e.g. the face's sharpness, which
        quality.sharpness judges and lighting.exposure needs to know whether the eye whites can be
        read at all. The analysis's own derived values are cached properties; nothing else caches
        per-analysis values."""
        if key not in self._shared:
            self._shared[key] = make()
        return self._shared[key]

    # -- image-level facts ------------------------------------------------------------------
    @property
    def name(self) -> str:
        return self.image.name

    @property
    def frame_size(self) -> tuple[int, int]:
        return self.spec.frame_size

    @property
    def frame_full(self) -> Rect:
        """The frame in full-resolution pixels of the original file."""
        return self.frame.scaled(1.0 / self.image.scale)

    @cached_property
    def image_points(self) -> np.ndarray | None:
        """The main face's 478 landmarks (x, y) in working-image px (None without a face)."""
        return None if self.face is None else self.frame_map.to_image(self.face.points[:, :2])

    @cached_property
    def face_count(self) -> int:
        if len(self.detections) == 0:
            return 0
        widths, scores = self.detections[:, 2], self.detections[:, 14]
        # other faces count when they are big enough to matter and surely faces
        others = (widths[1:] >= OTHER_FACE_MIN_WIDTH * widths[0]) & (scores[1:] >= OTHER_FACE_MIN_SCORE)
        return 1 + int(np.sum(others))

    # -- colour views --------------------------------------------------------------------
    @cached_property
    def planes(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The frame in CIE Lab, float32 (L* 0–100, a* and b* about −128…127), as three contiguous
        planes: masking a contiguous plane is ~10× faster than masking a channel of an interleaved
        image. Only the planes are kept (one copy of the colour data per analysis)."""
        x = np.multiply(self.rgb, np.float32(1 / 255), dtype=np.float32)  # one pass, one float frame
        return tuple(cv2.split(cv2.cvtColor(x, cv2.COLOR_RGB2Lab)))

    @property
    def lab(self) -> np.ndarray:
        """Frame in CIE Lab as one H×W×3 float32 image (rebuilt from :attr:`planes` on each call)."""
        return cv2.merge(self.planes)

    @property
    def L(self) -> np.ndarray:
        """CIE L* of the frame (contiguous float32 plane)."""
        return self.planes[0]

    @cached_property
    def chroma(self) -> np.ndarray:
        """CIE C*ab = hypot(a*, b*) of the frame (float32; cv2.magnitude, ~10× np.hypot)."""
        return cv2.magnitude(self.planes[1], self.planes[2])

    @cached_property
    def gray(self) -> np.ndarray:
        return cv2.cvtColor(self.rgb, cv2.COLOR_RGB2GRAY)

    # -- face geometry (frame px) --------------------------------------------------------
    @cached_property
    def pupils(self) -> np.ndarray:
        """2×2: image-left pupil, image-right pupil (x, y)."""
        p = self.face.points
        a, b = p[L.RIGHT_IRIS[0], :2], p[L.LEFT_IRIS[0], :2]
        return np.array(sorted([a, b], key=lambda q: q[0]), dtype=np.float32)

    @cached_property
    def eye_y(self) -> float:
        return float(self.pupils[:, 1].mean())

    @cached_property
    def face_width(self) -> float:
        p = self.face.points
        return float(np.linalg.norm(p[L.LEFT_CHEEK_EDGE, :2] - p[L.RIGHT_CHEEK_EDGE, :2]))

    @cached_property
    def face_cx(self) -> float:
        p = self.face.points
        return float((p[L.LEFT_CHEEK_EDGE, 0] + p[L.RIGHT_CHEEK_EDGE, 0]) / 2)

    @cached_property
    def head_top(self) -> float:
        return head_top_from_mask(self.person, self.face_cx, 0.3 * self.face_width, self.eye_y)

    def polygon_mask(self, idx: np.ndarray) -> np.ndarray:
        """Filled convex polygon of landmark indices, as a bool mask over the frame."""
        w, h = self.frame_size
        m = np.zeros((h, w), np.uint8)
        pts = np.round(self.face.points[idx, :2]).astype(np.int32)
        cv2.fillConvexPoly(m, cv2.convexHull(pts), 1)
        return m.astype(bool)

    @cached_property
    def face_mask(self) -> np.ndarray:
        return self.polygon_mask(L.FACE_OVAL)

    def face_box(self, margin: float = 0.0) -> tuple[slice, slice]:
        """Row and column slices of the face oval's bounding box grown by ``margin`` px (clipped
        to the frame): face-local work on this window gives the same pixels as on the frame."""
        w, h = self.frame_size
        p = self.face.points[L.FACE_OVAL, :2]
        x0, y0 = np.floor(p.min(axis=0) - margin).astype(int)
        x1, y1 = np.ceil(p.max(axis=0) + margin).astype(int) + 1
        return slice(max(0, y0), min(h, y1)), slice(max(0, x0), min(w, x1))

    @cached_property
    def skin_mask(self) -> np.ndarray:
        """Face oval without eyes, brows and lips, eroded away from the face edge (bool)."""
        w, h = self.frame_size
        r = max(1, int(0.04 * self.face_width))
        # Morphology on the face window only (a margin of the kernel radius keeps it exact).
        ys, xs = self.face_box(r + 2)
        out = np.zeros((h, w), bool)
        if ys.start >= ys.stop or xs.start >= xs.stop:  # face oval entirely off the frame
            return out
        off = np.array([xs.start, ys.start], np.float32)
        kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * r + 1, 2 * r + 1))
        m = cv2.erode(self.face_mask[ys, xs].view(np.uint8), kernel)
        holes = np.zeros(m.shape, np.uint8)
        for idx in (L.RIGHT_EYE, L.LEFT_EYE, L.RIGHT_BROW, L.LEFT_BROW, L.LIPS):
            pts = np.round(self.face.points[idx, :2] - off).astype(np.int32)
            cv2.fillConvexPoly(holes, cv2.convexHull(pts), 1)
        holes = cv2.dilate(holes, kernel)
        # forehead above the brows is often hair: keep the skin below the brow line
        brow_y = int(self.face.points[np.r_[L.RIGHT_BROW, L.LEFT_BROW], 1].min()) - ys.start
        m[: max(0, brow_y), :] = 0
        out[ys, xs] = (m > 0) & (holes == 0)
        return out

    @cached_property
    def skin_lab(self) -> np.ndarray:
        """Median CIE Lab of the face skin (cheeks and below the brows, features excluded): the
        reference the person rules compare with, so a value means the same for every skin tone."""
        m = self.skin_mask
        if np.count_nonzero(m) < 50:
            m = self.face_mask
        return np.array([np.median(plane[m]) for plane in self.planes], np.float32)

    @cached_property
    def pose_angles(self) -> tuple[float, float, float]:
        """(yaw, pitch, roll) in degrees from the landmarker's facial transformation matrix.
        yaw > 0: the face turns toward the image right; pitch > 0: chin down (looking down)."""
        r = np.asarray(self.face.matrix, dtype=np.float64)[:3, :3]
        r = r / np.linalg.norm(r[:, 0])
        pitch = math.degrees(math.atan2(-r[1, 2], r[2, 2]))
        yaw = math.degrees(math.asin(float(np.clip(r[0, 2], -1.0, 1.0))))
        roll = math.degrees(math.atan2(-r[0, 1], r[0, 0]))
        return yaw, pitch, roll

    @cached_property
    def eye_masks(self) -> tuple[np.ndarray, np.ndarray]:
        """The eye openings (image-left eye, image-right eye) as bool masks over the frame."""
        return self.polygon_mask(L.RIGHT_EYE), self.polygon_mask(L.LEFT_EYE)

    @cached_property
    def lens_masks(self) -> tuple[np.ndarray, np.ndarray]:
        """Per eye, where a spectacle lens would sit: the eye opening scaled about its centre by
        ``LENS_SCALE`` (width, height)."""
        w, h = self.frame_size
        out = []
        for idx in (L.RIGHT_EYE, L.LEFT_EYE):
            q = self.face.points[idx, :2]
            c = q.mean(axis=0)
            m = np.zeros((h, w), np.uint8)
            cv2.fillConvexPoly(m, cv2.convexHull(np.round(c + (q - c) * LENS_SCALE).astype(np.int32)), 1)
            out.append(m.astype(bool))
        return out[0], out[1]

    @cached_property
    def background_mask(self) -> np.ndarray:
        """Frame pixels that are surely background: low person confidence, a margin from the person."""
        person = (self.person >= 0.2).astype(np.uint8)
        r = 6
        person = cv2.dilate(person, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * r + 1, 2 * r + 1)))
        return person == 0

    # -- models on demand ---------------------------------------------------------------
    @cached_property
    def head_box(self) -> Rect:
        """The square around the head the hair model looks at, in frame px: ``HAIR_BOX`` × the face
        width, centred a little above the eyes (crown and hair above, ears beside, jaw and the top
        of the neck below)."""
        side = HAIR_BOX * self.face_width
        return Rect(self.face_cx - side / 2, self.eye_y - 0.1 * self.face_width - side / 2, side, side)

    @cached_property
    def hair(self) -> np.ndarray:
        """Hair probability (640×480 float32, 0 outside :attr:`head_box`) from the hair model, run
        once on the head square cut from the working image (full detail for camera originals)."""
        w, h = self.frame_size
        region = self.frame_map.rect_to_image(self.head_box)
        rgb = self.image.rgb
        ih, iw = rgb.shape[:2]
        x0, y0 = int(max(0, region.x)), int(max(0, region.y))
        x1, y1 = int(min(iw, region.x + region.w)), int(min(ih, region.y + region.h))
        if x1 - x0 < 8 or y1 - y0 < 8:
            return np.zeros((h, w), np.float32)
        # the square, padded where it leaves the image, so the model sees an undistorted head
        side = max(1, int(round(max(region.w, region.h))))
        ox, oy = int(round(region.x)), int(round(region.y))
        patch = cv2.copyMakeBorder(rgb[y0:y1, x0:x1], y0 - oy if y0 > oy else 0, max(0, oy + side - y1),
                                   x0 - ox if x0 > ox else 0, max(0, ox + side - x1), cv2.BORDER_REPLICATE)
        k = HAIR_SIDE / max(patch.shape[:2])
        # bilinear down to half size (no aliasing, as _resize_long): a camera original's ~560 px
        # head square costs a fifth of an arbitrary-ratio area resize
        small = cv2.resize(patch, (HAIR_SIDE, HAIR_SIDE), interpolation=cv2.INTER_AREA if k < 0.5 else cv2.INTER_LINEAR)
        prob = self._models.hair_mask(small)
        sq = Rect(float(min(ox, x0)), float(min(oy, y0)), float(patch.shape[1]), float(patch.shape[0]))
        return _mask_into_frame(prob, sq, self.frame, (w, h), outside=0.0)

    @cached_property
    def embedding(self) -> np.ndarray | None:
        """SFace 128-d unit embedding of the main face (None without a face)."""
        if len(self.detections) == 0:
            return None
        return self._models.embedding(self.image.rgb, self.detections[0])


def find_face(models: Models, rgb: np.ndarray) -> tuple[np.ndarray, tuple | None]:
    """The faces in ``rgb`` (working px): YuNet rows, main face first, and the main face's landmarks
    ``(points 478×3, blendshapes, matrix)`` or None. When YuNet finds no face the landmarker looks
    at the whole image before "no face" is declared (a row is then made from its points). Checked
    photos and reference photos are found the same way."""
    det = _detect(models, rgb)
    lm = _landmark(models, rgb, det[0, :4]) if len(det) else None
    if lm is None and len(det) == 0:
        small, k = _resize_long(rgb, LANDMARK_SIDE)
        found = models.landmarks(small)
        if found:
            f = found[0]
            pts = f.points.copy()
            pts[:, :3] /= k
            lm = (pts, f.blendshapes, f.matrix)
            x0, y0 = pts[:, :2].min(axis=0)
            x1, y1 = pts[:, :2].max(axis=0)
            det = np.array([[x0, y0, x1 - x0, y1 - y0] + [0] * 10 + [MIN_FACE_SCORE]], np.float32)
    return det, lm


def analyse(source: Source | LoadedImage, spec: Spec | None = None, *, profile: str = "upload",
            models: Models | None = None, name: str | None = None,
            references: Sequence[Source | Reference | PhotoError] = ()) -> Analysis:
    """Load (unless given a LoadedImage) and analyse a photo: the one way in for ``check``, ``fix``,
    the batch and the service. Raises PhotoError for bad input.

    ``source`` is a path, the file's bytes, an RGB ``uint8`` array or a loaded image; ``references``
    are earlier photos of the student (sources, or :class:`~photocheck.references.Reference` objects
    already loaded) for the authenticity rules: they are loaded here (once per file per process)
    and held as ``a.references``, an unusable one as the :class:`PhotoError` saying why.

    >>> from photocheck.analysis import analyse
    >>> a = analyse("samples/upload/london_005.jpg", references=["samples/upload/london_006.jpg"])  # doctest: +SKIP
    >>> round(a.eye_y), len(a.references)  # doctest: +SKIP
    (251, 1)
    """
    spec = spec or load_spec(profile)
    models = models or get_models()
    image = source if isinstance(source, LoadedImage) else load(source, name=name)
    rgb = image.rgb
    h, w = rgb.shape[:2]
    size = spec.frame_size
    det, lm = find_face(models, rgb)

    if spec.profile == "upload" or lm is None:
        frame = Rect(0.0, 0.0, float(w), float(h))
        mask, mrect = _segment(models, rgb, frame)
    else:
        pts = lm[0]
        fw = float(np.linalg.norm(pts[L.LEFT_CHEEK_EDGE, :2] - pts[L.RIGHT_CHEEK_EDGE, :2]))
        cx = float((pts[L.LEFT_CHEEK_EDGE, 0] + pts[L.RIGHT_CHEEK_EDGE, 0]) / 2)
        eye = float((pts[L.RIGHT_IRIS[0], 1] + pts[L.LEFT_IRIS[0], 1]) / 2)
        chin, brow = float(pts[L.CHIN, 1]), float(pts[L.FOREHEAD_TOP, 1])
        guess = brow - 0.3 * (chin - brow)  # hair allowance until the mask says better
        rough = plan_frame(guess, eye, fw, cx, w, h, spec)
        grow = 0.25
        region = Rect(rough.x - grow * rough.w, rough.y - grow * rough.h, rough.w * (1 + 2 * grow), rough.h * (1 + 2 * grow))
        mask, mrect = _segment(models, rgb, region)
        mk = mask.shape[1] / mrect.w
        top = head_top_from_mask(mask, (cx - mrect.x) * mk, 0.3 * fw * mk, (eye - mrect.y) * mk)
        top = guess if np.isnan(top) else top / mk + mrect.y
        frame = plan_frame(top, eye, fw, cx, w, h, spec)
    frame_rgb = crop(rgb, frame, size)
    person = _mask_into_frame(mask, mrect, frame, size)
    face = None
    if lm is not None:
        pts, bs, mat = lm
        face = Face(FrameMap(frame, size).to_frame(pts), bs, mat)
    refs = []
    if references:
        from .references import load_references  # references find faces with find_face, above

        refs = load_references(references, models=models)
    return Analysis(image, spec, det, frame, np.ascontiguousarray(frame_rgb), person, face, models, refs)
