"""Index sets of the MediaPipe 478-point face mesh that the rules use (canonical mesh topology)."""

import functools

import numpy as np

FACE_OVAL = np.array([10, 338, 297, 332, 284, 251, 389, 356, 454, 323, 361, 288, 397, 365, 379, 378, 400,
                      377, 152, 148, 176, 149, 150, 136, 172, 58, 132, 93, 234, 127, 162, 21, 54, 103, 67, 109])
# "Left"/"right" are the subject's own sides; in a frontal photo the subject's right is image-left.
RIGHT_EYE = np.array([33, 7, 163, 144, 145, 153, 154, 155, 133, 173, 157, 158, 159, 160, 161, 246])
LEFT_EYE = np.array([263, 249, 390, 373, 374, 380, 381, 382, 362, 398, 384, 385, 386, 387, 388, 466])
RIGHT_BROW = np.array([46, 53, 52, 65, 55, 70, 63, 105, 66, 107])
LEFT_BROW = np.array([276, 283, 282, 295, 285, 300, 293, 334, 296, 336])
LIPS = np.array([61, 146, 91, 181, 84, 17, 314, 405, 321, 375, 291, 409, 270, 269, 267, 0, 37, 39, 40, 185])
INNER_LIPS = np.array([78, 95, 88, 178, 87, 14, 317, 402, 318, 324, 308, 415, 310, 311, 312, 13, 82, 81, 80, 191])
# The inner-lip outline split at the mouth corners (78, 308): the upper and the lower inner lip.
UPPER_INNER_LIP = np.array([78, 191, 80, 81, 82, 13, 312, 311, 310, 415, 308])
LOWER_INNER_LIP = np.array([78, 95, 88, 178, 87, 14, 317, 402, 318, 324, 308])
RIGHT_IRIS = np.arange(468, 473)  # centre first, then 4 rim points
LEFT_IRIS = np.arange(473, 478)
RIGHT_CHEEK_EDGE = 234  # widest points of the face oval, cheek to cheek
LEFT_CHEEK_EDGE = 454
FOREHEAD_TOP = 10
CHIN = 152
NOSE_TIP = 1
NOSE_BRIDGE = 168


@functools.cache
def triangles() -> np.ndarray:
    """The face mesh's triangles (N×3 point indices, in winding order), from MediaPipe's
    tessellation in the installed package, which lists each triangle as its three edges."""
    from mediapipe.tasks.python.vision import FaceLandmarksConnections as C

    e = np.array([(c.start, c.end) for c in C.FACE_LANDMARKS_TESSELATION]).reshape(-1, 3, 2)
    return e[:, :, 0]
