"""The viewer's picture: the frame with each digit's box and label, as a JPEG."""

import cv2
import numpy as np

from edge.events import DigitPrediction, FrameResult
from edge.reading import confidence_text

_SURE = (80, 200, 60)  # BGR green: a digit that counts in the reading
_UNSURE = (40, 140, 255)  # orange: a candidate the model was not confident about ("?")
_FONT = cv2.FONT_HERSHEY_SIMPLEX


def annotate_frame(result: FrameResult) -> np.ndarray:
    """A BGR copy of the frame with boxes and `box_label` labels (the frame is shared)."""
    frame = result.frame
    picture = cv2.cvtColor(frame, cv2.COLOR_GRAY2BGR) if frame.ndim == 2 else frame.copy()
    for prediction in result.digits:
        x, y, w, h = prediction.box
        colour = _SURE if prediction.digit is not None else _UNSURE
        label = box_label(prediction)
        cv2.rectangle(picture, (x, y), (x + w, y + h), colour, 2)
        (text_w, text_h), baseline = cv2.getTextSize(label, _FONT, 0.6, 2)
        top = max(y - text_h - baseline - 4, 0)
        cv2.rectangle(picture, (x, top), (x + text_w + 6, top + text_h + baseline + 4), colour, -1)
        origin = (x + 3, top + text_h + 2)
        cv2.putText(picture, label, origin, _FONT, 0.6, (0, 0, 0), 2, cv2.LINE_AA)
    return picture


def encode_jpeg(picture: np.ndarray, quality: int) -> bytes:
    ok, buffer = cv2.imencode(".jpg", picture, [cv2.IMWRITE_JPEG_QUALITY, quality])
    if not ok:
        raise ValueError(f"OpenCV could not JPEG-encode a {picture.shape} {picture.dtype} frame")
    return buffer.tobytes()


def box_label(prediction: DigitPrediction) -> str:
    """A box's label: the digit ("?" when unsure) and its confidence apart, "3 (0.99)": "3 0.99"
    read as the number 30.99."""
    name = "?" if prediction.digit is None else str(prediction.digit)
    return f"{name} ({confidence_text(prediction.confidence)})"
