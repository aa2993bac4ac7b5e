"""Chart axes stay legible: tick labels never run together ("0.0050.01" on a log latency
axis spanning four decades)."""
from __future__ import annotations

from reports.charts import LEFT, RIGHT, W, Axis, _legible, _tick_label


def _room(t: float) -> float:
    return 7.0 * len(_tick_label(t)) + 8


def test_log_axis_ticks_over_four_decades_do_not_touch():
    axis = Axis(0.004, 60.0, (LEFT, W - RIGHT), log=True)
    assert len(axis.ticks()) > 10  # 1-2-5 per decade: too many for 412 px
    kept = _legible(axis, axis.ticks(), _room)
    assert {0.01, 0.1, 1, 10} <= set(kept)  # the powers of ten come first
    for a, b in zip(kept, kept[1:]):
        assert axis(b) - axis(a) >= (_room(a) + _room(b)) / 2, (a, b)


def test_a_short_linear_axis_keeps_every_tick():
    axis = Axis(0.70, 0.80, (LEFT, W - RIGHT), log=False)
    assert _legible(axis, axis.ticks(), _room) == axis.ticks()
