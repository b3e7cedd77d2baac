"""Where each box's label goes on the live view, so that close digits' labels stay readable.

Digits written a few pixels apart, or touching, have boxes narrower than their full labels
("3 (0.99)"), and labels drawn at each box's corner would cover one another. Here each label
is a tab on its box, centred above it (below it when there is no room above), and:
- a label is written in full only where it reaches over no other box, nor into the places
  where that box's own tabs go: a full label over a neighbour reads as the neighbour's;
- labels that would crowd one another in full (close digits) are all written in full, or all
  shortened to the digit ("3"), so that close digits read alike;
- a short label, about as wide as a digit, may touch a neighbour's outline, and leans away from
  it as far as its centre stays over its own box (a narrow 1 beside a wide digit); where that
  finds no room (touching 1s), its tab goes below, or a row further out, or inside the box's
  top left corner, which a digit seldom fills (a box from the frame's top to its bottom).
Every label keeps inside the frame, a pixel off every other label, off every other box (it
would hide a digit), with its centre nearer its own box than any other. A label with no such
place (a 1 squeezed between taller digits, tiny digits crowded close) goes where it is at least
readable: over its box, in the frame, off every other label, rows further out if need be.
"""

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Literal, NamedTuple

from edge.events import Box

Rect = tuple[int, int, int, int]  # x, y, width, height; x + width and y + height are outside
Size = tuple[int, int]  # width, height


class LabelSizes(NamedTuple):
    """A label's sizes written in full ("3 (0.99)") and shortened to the digit ("3")."""

    full: Size
    short: Size


@dataclass(frozen=True)
class PlacedLabel:
    rect: Rect
    short: bool  # the label is shortened to the digit


_LABEL_SPACING = 1  # px at least between labels: two tabs of one colour that touch read as one
# Where a label may go: above, below or inside its box, and how many rows of labels further
# out; nearest first.
_Slot = tuple[Literal["above", "below", "inside"], int]
_FULL_SLOTS: tuple[_Slot, ...] = (("above", 0), ("below", 0))
_SHORT_SLOTS: tuple[_Slot, ...] = (
    *_FULL_SLOTS,
    ("above", 1),
    ("below", 1),
    ("inside", 0),
)
# Rows further out, where tiny digits crowded close find room to be at least readable.
_READABLE_SLOTS = _SHORT_SLOTS + tuple((s, r) for r in range(2, 6) for s in ("above", "below"))


def place_labels(
    boxes: Sequence[Box], sizes: Sequence[LabelSizes], frame: Size
) -> list[PlacedLabel]:
    """Each box's label, in the order of `boxes`, in a frame of `frame` (width, height)."""
    placed: dict[int, PlacedLabel] = {}
    for group in _crowds(boxes, sizes, frame):
        full = _in_full(group, boxes, sizes, frame, placed)
        placed.update(full if full is not None else _shortened(group, boxes, sizes, frame, placed))
    return [placed[index] for index in range(len(boxes))]


def _in_full(
    group: list[int],
    boxes: Sequence[Box],
    sizes: Sequence[LabelSizes],
    frame: Size,
    placed: dict[int, PlacedLabel],
) -> dict[int, PlacedLabel] | None:
    """The group's labels in full, each in its first clear slot; None if one has none."""
    taken = [label.rect for label in placed.values()]
    found: dict[int, PlacedLabel] = {}
    for index in group:
        rects = (_slot_rect(boxes[index], sizes[index].full, s, frame) for s in _FULL_SLOTS)
        rect = _first_place(rects, index, boxes, frame, taken, "full")
        if rect is None:
            return None
        found[index] = PlacedLabel(rect, short=False)
        taken.append(rect)
    return found


def _shortened(
    group: list[int],
    boxes: Sequence[Box],
    sizes: Sequence[LabelSizes],
    frame: Size,
    placed: dict[int, PlacedLabel],
) -> dict[int, PlacedLabel]:
    """The group's labels shortened, each in its first clear slot, else in its first that is
    at least readable, else just above its box."""
    taken = [label.rect for label in placed.values()]
    found: dict[int, PlacedLabel] = {}
    for index in group:
        rects = [_slot_rect(boxes[index], sizes[index].short, s, frame) for s in _READABLE_SLOTS]
        rect = (
            _first_place(rects[: len(_SHORT_SLOTS)], index, boxes, frame, taken, "short")
            or _first_place(rects, index, boxes, frame, taken, "readable")
            or _kept_in_frame(rects[0], frame)
        )
        found[index] = PlacedLabel(rect, short=True)
        taken.append(rect)
    return found


def _crowds(boxes: Sequence[Box], sizes: Sequence[LabelSizes], frame: Size) -> list[list[int]]:
    """Boxes whose full labels, above them, would overlap, linked up: each group in the order
    of `boxes` (reading order), the groups in the order of their first box."""
    group_of = list(range(len(boxes)))

    def root(index: int) -> int:
        while group_of[index] != index:
            index = group_of[index]
        return index

    above = [
        _slot_rect(b, s.full, _FULL_SLOTS[0], frame) for b, s in zip(boxes, sizes, strict=True)
    ]
    for i in range(len(boxes)):
        for j in range(i + 1, len(boxes)):
            if _overlap(above[i], above[j]):
                group_of[root(j)] = root(i)
    groups: dict[int, list[int]] = {}
    for index in range(len(boxes)):
        groups.setdefault(root(index), []).append(index)
    return list(groups.values())


def _slot_rect(box: Box, size: Size, slot: _Slot, frame: Size) -> Rect:
    """The label's rectangle in `slot`, moved sideways into the frame where it sticks out."""
    x, y, w, h = box
    label_w, label_h = size
    side, rows_out = slot
    centred = x + (w - label_w) // 2
    further = rows_out * (label_h + _LABEL_SPACING)
    # Just off the box's outline, which is drawn a pixel beyond the box on each side.
    left, top = {
        "above": (centred, y - 1 - label_h - further),
        "below": (centred, y + h + 2 + further),
        "inside": (min(x + 2, centred), y + 2),  # in the top left corner if it fits
    }[side]
    return min(max(left, 0), max(frame[0] - label_w, 0)), top, *size


def _first_place(
    rects: Iterable[Rect],
    own: int,
    boxes: Sequence[Box],
    frame: Size,
    taken: list[Rect],
    label: Literal["full", "short", "readable"],
) -> Rect | None:
    """The first of `rects`, or of their slides sideways off what is in the way, inside the
    frame and a pixel off every label in `taken`; unless only "readable" is asked for, also off
    every other box (a "full" label off their tabs' places too), with its centre nearest its
    own box. None if there is none."""
    others = [box for index, box in enumerate(boxes) if index != own]
    for rect in rects:
        in_way = [_spaced(other) for other in taken]
        if label != "readable":
            in_way += [_outline(b) if label == "short" else _with_tabs(b, rect[3]) for b in others]
        for slid in _slides(rect, boxes[own], in_way):
            if not _in_frame(slid, frame) or _overlaps_any(slid, in_way):
                continue
            if label == "readable" or _nearest_own(slid, boxes[own], others):
                return slid
    return None


def _nearest_own(rect: Rect, own: Box, others: list[Box]) -> bool:
    centre = (rect[0] + rect[2] / 2, rect[1] + rect[3] / 2)
    nearest_other = min((_distance_to_box(centre, box) for box in others), default=math.inf)
    return _distance_to_box(centre, own) < nearest_other


def _distance_to_box(point: tuple[float, float], box: Box) -> float:
    """How far `point` is from the box (0 inside it)."""
    x, y, w, h = box
    dx = max(x - point[0], 0.0, point[0] - (x + w))
    dy = max(y - point[1], 0.0, point[1] - (y + h))
    return math.hypot(dx, dy)


def _slides(rect: Rect, box: Box, obstacles: list[Rect]) -> list[Rect]:
    """`rect`, then `rect` moved just clear of each obstacle in its way on either side, the
    smallest moves first, as far as its centre stays over its box (a narrow 1 beside a wide
    digit: its label leans away from the neighbour)."""
    x, y, w, h = rect
    lefts = {edge for o in obstacles if _overlap(rect, o) for edge in (o[0] - w, o[0] + o[2])}
    over_box = [left for left in lefts if box[0] <= left + w / 2 <= box[0] + box[2]]
    return [rect, *((left, y, w, h) for left in sorted(over_box, key=lambda left: abs(left - x)))]


def _spaced(label: Rect) -> Rect:
    """The room a label takes: itself and the spacing around it."""
    x, y, w, h = label
    space = _LABEL_SPACING
    return x - space, y - space, w + 2 * space, h + 2 * space


def _outline(box: Box) -> Rect:
    """A box as drawn: its outline, 2 px thick, reaches a pixel beyond it on each side."""
    x, y, w, h = box
    return x - 1, y - 1, w + 3, h + 3


def _with_tabs(box: Box, label_h: int) -> Rect:
    """A box as drawn, a pixel more, and the places of its tabs above and below it."""
    x, y, w, h = _outline(box)
    return x - 1, y - 1 - label_h, w + 2, h + 2 + 2 * label_h


def _in_frame(rect: Rect, frame: Size) -> bool:
    x, y, w, h = rect
    return x >= 0 and y >= 0 and x + w <= frame[0] and y + h <= frame[1]


def _kept_in_frame(rect: Rect, frame: Size) -> Rect:
    x, y, w, h = rect
    return min(max(x, 0), max(frame[0] - w, 0)), min(max(y, 0), max(frame[1] - h, 0)), w, h


def _overlap(a: Rect, b: Rect) -> bool:
    return a[0] < b[0] + b[2] and b[0] < a[0] + a[2] and a[1] < b[1] + b[3] and b[1] < a[1] + a[3]


def _overlaps_any(rect: Rect, others: Sequence[Rect]) -> bool:
    return any(_overlap(rect, other) for other in others)
