"""The viewer's picture: the frame with each digit's box and label, as a JPEG."""

from collections.abc import Sequence

import cv2
import numpy as np

from edge.events import DigitPrediction, FrameResult
from edge.reading import confidence_text
from edge.web.label_layout import LabelSizes, Rect, place_labels

_SURE = (80, 200, 60)  # BGR green: a digit that counts in the reading
_UNSURE = (40, 140, 255)  # orange: a candidate the model was not confident about ("?")
_FONT = cv2.FONT_HERSHEY_SIMPLEX
_SCALE = 0.6
_THICKNESS = 2
_PAD = 3  # px of label colour each side of the text's ink
# One height for every label, whatever its characters reach down to: a row of labels lines up.
# OpenCV's height and descent reach a stroke's thickness beyond the ink; _PAD above and below it.
(_, _TEXT_H), _DESCENT = cv2.getTextSize("0 (0.99)", _FONT, _SCALE, _THICKNESS)
_LABEL_H = _TEXT_H + _DESCENT + 2 * _PAD - _THICKNESS
# A frame longer than this (a large photo) is shown shrunk to it: a browser fits the picture to
# the window, and labels drawn at a 3000 px photo's scale were too small to read there.
VIEW_LONG_SIDE = 1280


def annotate_frame(result: FrameResult) -> np.ndarray:
    """A BGR copy of the frame with boxes and labels (the frame is shared): `box_label`, or
    `short_label` where close digits leave no room for it (see edge.web.label_layout). A frame
    longer than VIEW_LONG_SIDE is shrunk to it first, its boxes with it."""
    frame = result.frame
    shrink = min(1.0, VIEW_LONG_SIDE / max(frame.shape[:2]))
    boxes = [p.box for p in result.digits]
    if shrink < 1.0:
        frame = cv2.resize(frame, None, fx=shrink, fy=shrink, interpolation=cv2.INTER_AREA)
        boxes = [tuple(round(v * shrink) for v in box) for box in boxes]
    picture = cv2.cvtColor(frame, cv2.COLOR_GRAY2BGR) if frame.ndim == 2 else frame.copy()
    height, width = picture.shape[:2]
    colours = [_SURE if p.digit is not None else _UNSURE for p in result.digits]
    for (x, y, w, h), colour in zip(boxes, colours, strict=True):
        cv2.rectangle(picture, (x, y), (x + w, y + h), colour, 2)
    # After every box: a label lies off other boxes, and nothing is drawn over it.
    places = place_labels(boxes, label_sizes(result.digits), (width, height))
    for prediction, colour, placed in zip(result.digits, colours, places, strict=True):
        text = short_label(prediction) if placed.short else box_label(prediction)
        _paste(picture, label_picture(text, colour), placed.rect)
    return picture


def encode_jpeg(picture: np.ndarray, quality: int) -> bytes:
    ok, buffer = cv2.imencode(".jpg", picture, [cv2.IMWRITE_JPEG_QUALITY, quality])
    if not ok:
        raise ValueError(f"OpenCV could not JPEG-encode a {picture.shape} {picture.dtype} frame")
    return buffer.tobytes()


def box_label(prediction: DigitPrediction) -> str:
    """A box's label: the digit ("?" when unsure) and its confidence apart, "3 (0.99)": "3 0.99"
    read as the number 30.99."""
    return f"{short_label(prediction)} ({confidence_text(prediction.confidence)})"


def short_label(prediction: DigitPrediction) -> str:
    """A box's label where there is no room for the confidence: the digit, "?" when unsure."""
    return "?" if prediction.digit is None else str(prediction.digit)


def label_sizes(predictions: Sequence[DigitPrediction]) -> list[LabelSizes]:
    """Each label's (width, height) in full and short, as `label_picture` draws them."""
    return [LabelSizes(_label_size(box_label(p)), _label_size(short_label(p))) for p in predictions]


def label_picture(text: str, colour: tuple[int, int, int]) -> np.ndarray:
    """A label as drawn on the picture: dark text on a tab of the box's colour."""
    width, height = _label_size(text)
    label = np.empty((height, width, 3), np.uint8)
    label[:] = colour
    origin = (_PAD, _LABEL_H - _PAD - _DESCENT)  # the baseline
    cv2.putText(label, text, origin, _FONT, _SCALE, (0, 0, 0), _THICKNESS, cv2.LINE_AA)
    return label


def _label_size(text: str) -> tuple[int, int]:
    (text_w, _), _ = cv2.getTextSize(text, _FONT, _SCALE, _THICKNESS)
    return text_w + 2 * _PAD, _LABEL_H


def _paste(picture: np.ndarray, label: np.ndarray, rect: Rect) -> None:
    """The label at `rect`, cut off where a frame smaller than a label leaves no room."""
    x, y = rect[:2]
    region = picture[y : y + label.shape[0], x : x + label.shape[1]]
    region[:] = label[: region.shape[0], : region.shape[1]]
