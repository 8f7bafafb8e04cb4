"""The models, created once per process and shared by every check (and by each batch worker).

MediaPipe's Tasks objects print LiteRT/XNNPACK chatter on stderr when created and complain at exit
unless closed, so creation happens with stderr silenced and everything is closed at exit.
"""

from __future__ import annotations

import atexit
import contextlib
import hashlib
import os
import threading
from dataclasses import dataclass
from importlib import resources

os.environ.setdefault("GLOG_minloglevel", "2")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("OPENCV_LOG_LEVEL", "ERROR")

import cv2  # noqa: E402
import numpy as np  # noqa: E402

HAIR_SIDE = 384  # hair model input (square; trained at 512): see docs/performance.md for the choice

MODEL_FILES = {
    "face_landmarker.task": "64184e229b263107bc2b804c6625db1341ff2bb731874b0bcc2fe6544e0bc9ff",
    "selfie_segmentation.tflite": "9ee168ec7c8f2a16c56fe8e1cfbc514974cbbb7e434051b455635f1bd1462f5c",
    "face_detection_yunet_2023mar_int8bq.onnx": "49f000ec501fef24739071fc7e68267d32209045b6822c0c72dce1da25726f10",
    "face_recognition_sface_2021dec_int8bq_fixed.onnx": "487a139eb85ccd5ff30aef7d0add7f12d2bb7abb90c5f08a7f481b452a660e00",
    "hair_segmentation.tflite": "d2c940c4fd80edeaf38f5d7387d1b4235ee320ed120080df67c663e749e77633",
}


def model_path(name: str) -> str:
    """Filesystem path of a shipped model file (works from an installed wheel)."""
    return str(resources.files("photocheck.models").joinpath(name))


def models_check() -> dict[str, bool]:
    """Verify every shipped model file against its recorded sha256."""
    out = {}
    for name, digest in MODEL_FILES.items():
        try:
            with open(model_path(name), "rb") as fh:
                out[name] = hashlib.sha256(fh.read()).hexdigest() == digest
        except OSError:
            out[name] = False
    return out


@contextlib.contextmanager
def _quiet_stderr():
    """Silence C++ log lines written straight to file descriptor 2."""
    try:
        fd = os.dup(2)
    except OSError:  # no stderr at all
        yield
        return
    try:
        with open(os.devnull, "w") as null:
            os.dup2(null.fileno(), 2)
            yield
    finally:
        os.dup2(fd, 2)
        os.close(fd)


@dataclass
class LandmarkResult:
    """One face from the Face Landmarker, in the pixel coordinates of the image passed in."""

    points: np.ndarray  # 478×3 float32: x, y in pixels, z in (roughly) pixels
    blendshapes: dict[str, float]
    matrix: np.ndarray  # 4×4 facial transformation matrix


class Models:
    """Lazily created model runners. Use :func:`get_models` for the per-process instance."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._landmarker = None
        self._segmenter = None
        self._yunet = None
        self._sface = None
        self._hair = None
        try:
            cv2.utils.logging.setLogLevel(cv2.utils.logging.LOG_LEVEL_ERROR)
        except AttributeError:  # pragma: no cover - older OpenCV
            pass

    # -- creation -------------------------------------------------------------------------
    @property
    def landmarker(self):
        if self._landmarker is None:
            with _quiet_stderr():
                from mediapipe.tasks.python import BaseOptions, vision

                opts = vision.FaceLandmarkerOptions(
                    base_options=BaseOptions(model_asset_path=model_path("face_landmarker.task")),
                    running_mode=vision.RunningMode.IMAGE,
                    num_faces=2,
                    min_face_detection_confidence=0.4,
                    output_face_blendshapes=True,
                    output_facial_transformation_matrixes=True,
                )
                self._landmarker = vision.FaceLandmarker.create_from_options(opts)
        return self._landmarker

    @property
    def segmenter(self):
        if self._segmenter is None:
            with _quiet_stderr():
                from mediapipe.tasks.python import BaseOptions, vision

                opts = vision.ImageSegmenterOptions(
                    base_options=BaseOptions(model_asset_path=model_path("selfie_segmentation.tflite")),
                    running_mode=vision.RunningMode.IMAGE,
                    output_confidence_masks=True,
                    output_category_mask=False,
                )
                self._segmenter = vision.ImageSegmenter.create_from_options(opts)
        return self._segmenter

    @property
    def yunet(self):
        if self._yunet is None:
            with _quiet_stderr():
                self._yunet = cv2.FaceDetectorYN.create(
                    model_path("face_detection_yunet_2023mar_int8bq.onnx"), "", (320, 320), 0.6, 0.3, 50)
        return self._yunet

    @property
    def sface(self):
        if self._sface is None:
            with _quiet_stderr():
                self._sface = cv2.FaceRecognizerSF.create(
                    model_path("face_recognition_sface_2021dec_int8bq_fixed.onnx"), "")
        return self._sface

    @property
    def hair_net(self):
        # cv2.dnn runs the legacy MediaPipe hair model directly (it has no TFLite metadata, which
        # mediapipe's ImageSegmenter would need); it is fully convolutional, so any square size works.
        if self._hair is None:
            with _quiet_stderr():
                self._hair = cv2.dnn.readNet(model_path("hair_segmentation.tflite"))
        return self._hair

    # -- inference ------------------------------------------------------------------------
    def detect_faces(self, rgb: np.ndarray) -> np.ndarray:
        """YuNet faces as an N×15 float32 array (box x,y,w,h; 5 points; score), in ``rgb`` pixels."""
        h, w = rgb.shape[:2]
        with self._lock:
            det = self.yunet
            det.setInputSize((w, h))
            _, faces = det.detect(cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR))  # 50× a numpy ::-1 copy
        return np.zeros((0, 15), np.float32) if faces is None else faces.astype(np.float32)

    def landmarks(self, rgb: np.ndarray) -> list[LandmarkResult]:
        """Face Landmarker on ``rgb``: every face found, landmarks in ``rgb`` pixels."""
        import mediapipe as mp

        h, w = rgb.shape[:2]
        image = mp.Image(image_format=mp.ImageFormat.SRGB, data=np.ascontiguousarray(rgb))
        with self._lock:
            res = self.landmarker.detect(image)
        out = []
        for i, lms in enumerate(res.face_landmarks):
            pts = np.array([(p.x * w, p.y * h, p.z * w) for p in lms], dtype=np.float32)
            bs = {c.category_name: float(c.score) for c in res.face_blendshapes[i]} if res.face_blendshapes else {}
            mat = np.array(res.facial_transformation_matrixes[i], dtype=np.float32) if res.facial_transformation_matrixes else np.eye(4, dtype=np.float32)
            out.append(LandmarkResult(pts, bs, mat))
        return out

    def person_mask(self, rgb: np.ndarray) -> np.ndarray:
        """Person confidence (0–1 float32) at the size of ``rgb`` (hair and clothes included)."""
        import mediapipe as mp

        h, w = rgb.shape[:2]
        image = mp.Image(image_format=mp.ImageFormat.SRGB, data=np.ascontiguousarray(rgb))
        with self._lock:
            res = self.segmenter.segment(image)
        mask = res.confidence_masks[0].numpy_view()
        mask = mask[:, :, 0] if mask.ndim == 3 else mask
        if mask.shape != (h, w):
            mask = cv2.resize(mask, (w, h), interpolation=cv2.INTER_LINEAR)
        return np.ascontiguousarray(mask, dtype=np.float32)

    def hair_mask(self, rgb: np.ndarray) -> np.ndarray:
        """Hair probability (0–1 float32) of a square RGB crop, at the crop's own size.

        The model's input is RGB in [0, 1] plus a fourth channel holding the previous video frame's
        mask: zeros for a still photo."""
        h, w = rgb.shape[:2]
        x = np.zeros((1, 4, h, w), np.float32)
        x[0, :3] = np.moveaxis(rgb, 2, 0)
        x[0, :3] *= np.float32(1 / 255)
        with self._lock:
            net = self.hair_net
            net.setInput(x)
            out = net.forward()[0]  # 2×h×w scores: background, hair
        # softmax of two classes = logistic of their difference
        return (1.0 / (1.0 + np.exp(out[0] - out[1]))).astype(np.float32)

    def embedding(self, rgb: np.ndarray, face_row: np.ndarray) -> np.ndarray:
        """SFace 128-d unit embedding of the face described by a YuNet row."""
        with self._lock:
            crop = self.sface.alignCrop(cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR), face_row)
            feat = self.sface.feature(crop).reshape(-1).astype(np.float32)
        return feat / (np.linalg.norm(feat) + 1e-12)

    def warm_up(self) -> None:
        """Create every model and run each once at the input sizes a camera original and its
        upload file give it (a first run at a new size sets up the network's buffers), so that
        the first photo of a session costs what the others do.

        >>> get_models().warm_up()  # doctest: +SKIP
        """
        grey = np.full((640, 480, 3), 128, np.uint8)
        for w, h in ((750, 500), (500, 750), (480, 640)):  # YuNet: landscape, portrait, upload file
            self.detect_faces(cv2.resize(grey, (w, h)))
        self.landmarks(cv2.resize(grey, (512, 512)))
        for w, h in ((512, 384), (384, 512)):
            self.person_mask(cv2.resize(grey, (w, h)))
        self.hair_mask(cv2.resize(grey, (HAIR_SIDE, HAIR_SIDE)))
        row = np.array([140, 200, 200, 240, 190, 300, 290, 300, 240, 360, 200, 400, 280, 400, 0.9], np.float32)
        self.embedding(grey, row)

    def close(self) -> None:
        for obj in (self._landmarker, self._segmenter):
            if obj is not None:
                with contextlib.suppress(Exception), _quiet_stderr():
                    obj.close()
        self._landmarker = self._segmenter = None


_models: Models | None = None
_models_lock = threading.Lock()


def get_models() -> Models:
    """The per-process model runners (created on first use, closed at exit)."""
    global _models
    with _models_lock:
        if _models is None:
            _models = Models()
            atexit.register(_models.close)
        return _models
