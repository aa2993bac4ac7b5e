"""Inline SVG charts (no scripts, no network): accuracy vs latency with its Pareto front,
learning curves, and the learned layer weights of frozen encoders. Every text that comes from
data passes through `escape`, so a model named `<script>` is drawn as text."""
from __future__ import annotations

import math
from collections.abc import Sequence

from markupsafe import Markup, escape

from reports import fmt
from reports.curves import CurvePoint
from reports.layer_mix import MixModel
from reports.ranking import Row
from reports.runs import LABEL, TASK_LABEL, UNIT

W, H = 640, 380
LEFT, RIGHT, TOP, BOTTOM = 58, 170, 18, 52
# Okabe-Ito, then a few more distinguishable hues; dashes repeat them past ten models.
PALETTE = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000",
           "#8C564B", "#7F7F7F", "#BCBD22")
DASHES = ("", "6 3", "2 3")
LINE_H = 13


def color(i: int) -> str:
    return PALETTE[i % len(PALETTE)]


def dash(i: int) -> str:
    return DASHES[(i // len(PALETTE)) % len(DASHES)]


def _num(v: float) -> str:
    return f"{v:.1f}"


class Axis:
    """Maps data to pixels; log scale when the data span a decade or more."""

    def __init__(self, lo: float, hi: float, pixels: tuple[float, float], log: bool):
        self.log = log and lo > 0
        if self.log:
            lo, hi = lo / 1.3, hi * 1.3
        elif hi - lo < 1e-9:
            lo, hi = lo - 1, hi + 1
        else:
            pad = (hi - lo) * 0.08
            lo, hi = lo - pad, hi + pad
        self.lo, self.hi, self.p0, self.p1 = lo, hi, *pixels

    def _t(self, v: float) -> float:
        return math.log10(v) if self.log else v

    def __call__(self, v: float) -> float:
        span = self._t(self.hi) - self._t(self.lo)
        return self.p0 + (self._t(v) - self._t(self.lo)) / span * (self.p1 - self.p0)

    def ticks(self) -> list[float]:
        if self.log:
            out = []
            for e in range(math.floor(math.log10(self.lo)), math.ceil(math.log10(self.hi)) + 1):
                out += [m * 10 ** e for m in (1, 2, 5) if self.lo <= m * 10 ** e <= self.hi]
            return out
        raw = (self.hi - self.lo) / 5
        step = 10 ** math.floor(math.log10(raw))
        step *= next(m for m in (1, 2, 2.5, 5, 10) if m * step >= raw)
        first = math.ceil(self.lo / step) * step
        return [first + i * step for i in range(int((self.hi - first) / step) + 1)]


def _tick_label(v: float) -> str:
    if v >= 1000:
        return f"{v:,.0f}"
    return f"{v:g}" if v >= 1 else f"{v:.3g}"


def _legible(axis: Axis, ticks: list[float], room) -> list[float]:
    """Ticks whose labels do not touch: a log axis over 4 decades had 1-2-5 labels run
    together ("0.0050.01"). Keeps the powers of ten first, then the others that fit."""
    powers = [t for t in ticks if axis.log and math.log10(t).is_integer()]
    kept: list[float] = []
    for t in powers + [t for t in ticks if t not in powers]:
        if all(abs(axis(t) - axis(k)) >= (room(t) + room(k)) / 2 for k in kept):
            kept.append(t)
    return sorted(kept)


def _frame(title: str, desc: str, ident: str, x: Axis, y: Axis, x_label: str,
           y_label: str) -> list[str]:
    out = [(f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {W} {H}" role="img" '
            f'aria-labelledby="{ident}-t {ident}-d" class="chart-svg">'),
           (f'<title id="{ident}-t">{escape(title)}</title><desc id="{ident}-d">'
            f'{escape(desc)}</desc>'),
           (f'<rect x="{LEFT}" y="{TOP}" width="{W - LEFT - RIGHT}" '
            f'height="{H - TOP - BOTTOM}" fill="#fafafa" stroke="#ccc"/>')]
    for t in _legible(x, x.ticks(), lambda t: 7.0 * len(_tick_label(t)) + 8):
        px = _num(x(t))
        out.append(f'<line x1="{px}" x2="{px}" y1="{TOP}" y2="{H - BOTTOM}" stroke="#e4e4e4"/>'
                   f'<text x="{px}" y="{H - BOTTOM + 16}" text-anchor="middle" '
                   f'class="tick">{escape(_tick_label(t))}</text>')
    for t in _legible(y, y.ticks(), lambda t: 16.0):
        py = _num(y(t))
        out.append(f'<line x1="{LEFT}" x2="{W - RIGHT}" y1="{py}" y2="{py}" stroke="#e4e4e4"/>'
                   f'<text x="{LEFT - 6}" y="{py}" dy="4" text-anchor="end" '
                   f'class="tick">{escape(_tick_label(t))}</text>')
    out.append(f'<text x="{(LEFT + W - RIGHT) / 2:.0f}" y="{H - 10}" text-anchor="middle" '
               f'class="axis">{escape(x_label)}</text>')
    out.append(f'<text transform="translate(14 {(TOP + H - BOTTOM) / 2:.0f}) rotate(-90)" '
               f'text-anchor="middle" class="axis">{escape(y_label)}</text>')
    return out


def _spread(wanted: list[tuple[float, int]], lo: float, hi: float) -> dict[int, float]:
    """Label y positions at least one line apart, as close as possible to the wanted ones."""
    placed: dict[int, float] = {}
    last = -math.inf
    for y, key in sorted(wanted):
        y = max(y, last + LINE_H, lo)
        placed[key] = y
        last = y
    overflow = last - hi
    if overflow > 0:  # shift the stack up, never above the top
        placed = {k: max(lo, v - overflow) for k, v in placed.items()}
    return placed


def _y_label(metric: str) -> str:
    unit = UNIT.get(metric)
    return f"{LABEL.get(metric, metric)}" + (f" ({unit})" if unit else "") + ", test"


def _is_floor(r: Row) -> bool:
    return bool(r.usability and r.usability.floor)


def pareto_chart(rows: Sequence[Row], metric: str, ident: str) -> Markup | None:
    """Quality (mean, ± sd bars) against p90 batch-1 latency; the front as a staircase;
    the task's floor model as a horizontal reference line marked "floor"."""
    floor = next((r for r in rows if _is_floor(r) and r.q(metric) is not None), None)
    pts = [r for r in rows if r.q(metric) is not None and r.latency_p90 is not None
           and r.latency_p90 > 0 and not _is_floor(r)]
    if not pts:
        return None
    lat = [r.latency_p90 for r in pts]
    lows = [r.q(metric) - (r.quality[metric].sd or 0) for r in pts]
    highs = [r.q(metric) + (r.quality[metric].sd or 0) for r in pts]
    if floor is not None:
        lows.append(floor.q(metric))
        highs.append(floor.q(metric))
    x = Axis(min(lat), max(lat), (LEFT, W - RIGHT), log=max(lat) / min(lat) >= 8)
    y = Axis(min(lows), max(highs), (H - BOTTOM, TOP), log=False)
    front = sorted((r for r in pts if r.pareto), key=lambda r: r.latency_p90)
    desc = (f"{len(pts)} models; Pareto front: "
            + ", ".join(r.model for r in front) + ".")
    out = _frame(f"{LABEL.get(metric, metric)} against p90 latency", desc, ident, x, y,
                 "p90 latency, batch 1 (ms" + (", log scale)" if x.log else ")"),
                 _y_label(metric))
    if floor is not None:
        out.append(_floor_line(floor, metric, y))
    if front:
        out.append(_front_staircase(front, metric, x, y))
    labels = _spread([(y(r.q(metric)), i) for i, r in enumerate(pts)], TOP + 8, H - BOTTOM - 4)
    out.extend(_pareto_point(r, metric, x, y, labels[i]) for i, r in enumerate(pts))
    out.append("</svg>")
    return Markup("".join(out))


def _floor_line(floor: Row, metric: str, y: Axis) -> str:
    """The floor model as a dashed horizontal reference across the plot."""
    fy = _num(y(floor.q(metric)))
    return (f'<g class="floor"><title>{escape(f"floor: {floor.model} {fmt.points(floor.q(metric))}")}'
            f'</title><line x1="{LEFT}" x2="{W - RIGHT}" y1="{fy}" y2="{fy}" '
            f'stroke="#b00020" stroke-width="1.5" stroke-dasharray="8 4"/>'
            f'<text x="{W - RIGHT + 7}" y="{fy}" dy="4" class="lbl" fill="#b00020">'
            f'floor ({escape(_short(floor.model, 14))})</text></g>')


def _front_staircase(front: Sequence[Row], metric: str, x: Axis, y: Axis) -> str:
    """The Pareto front (sorted by latency) as a staircase out to the plot's right edge."""
    path = [f"M{_num(x(front[0].latency_p90))},{_num(y(front[0].q(metric)))}"]
    for cur in front[1:]:
        path.append(f"H{_num(x(cur.latency_p90))}V{_num(y(cur.q(metric)))}")
    path.append(f"H{W - RIGHT}")
    return (f'<path d="{"".join(path)}" fill="none" stroke="#0b6e4f" stroke-width="2" '
            'stroke-dasharray="5 3" class="front"/>')


def _pareto_point(r: Row, metric: str, x: Axis, y: Axis, ly: float) -> str:
    """One model: its point (± sd bar), tooltip, and a leader line to its label at `ly`."""
    px, py = x(r.latency_p90), y(r.q(metric))
    sd = r.quality[metric].sd
    on_front = bool(r.pareto)
    if r.usability and not r.usability.usable:
        status = f"not usable: {r.usability.reason}"
    else:
        status = "on the Pareto front" if on_front else f"dominated by {r.dominated_by}"
    tip = (f"{r.model}: {fmt.quality(r.quality[metric], metric)}, p90 "
           f"{fmt.ms(r.latency_p90)} ms, {status}")
    out = [f'<g class="point{" pareto" if on_front else " dominated"}"><title>'
           f'{escape(tip)}</title>']
    if sd:
        out.append(f'<line x1="{_num(px)}" x2="{_num(px)}" y1="{_num(y(r.q(metric) - sd))}" '
                   f'y2="{_num(y(r.q(metric) + sd))}" stroke="#666"/>')
    fill = "#0b6e4f" if on_front else "#fff"
    stroke = "#0b6e4f" if on_front else "#777" if r.pareto is False else "#c9c9c9"
    out.append(f'<circle cx="{_num(px)}" cy="{_num(py)}" r="5" fill="{fill}" '
               f'stroke="{stroke}" stroke-width="2"/>')
    out.append(f'<line x1="{_num(px + 6)}" y1="{_num(py)}" x2="{W - RIGHT + 4}" '
               f'y2="{_num(ly)}" stroke="#bbb" stroke-width="0.7" class="leader"/>'
               f'<text x="{W - RIGHT + 7}" y="{_num(ly)}" dy="4" class="lbl">'
               f'{escape(_short(r.model))}</text></g>')
    return "".join(out)


def _short(name: str, limit: int = 24) -> str:
    return name if len(name) <= limit else name[: limit - 1] + "…"


def _band(pts: Sequence[CurvePoint]) -> list[CurvePoint]:
    return [p for p in pts if p.ci_low is not None and p.ci_high is not None]


def _learning_point(model: str, p: CurvePoint, c: str, x: Axis, y: Axis) -> str:
    tip = (f"{model}: {fmt.points(p.mean)}" + (f" ± {fmt.points(p.sd)}" if p.sd else "")
           + (f", 95% CI {fmt.points(p.ci_low)}–{fmt.points(p.ci_high)}"
              if p.ci_low is not None and p.ci_high is not None else "")
           + f" at {fmt.count(p.n_train)} examples ({p.seeds} seed(s))")
    return (f'<circle cx="{_num(x(p.n_train))}" cy="{_num(y(p.mean))}" r="3.5" fill="{c}">'
            f'<title>{escape(tip)}</title></circle>')


def learning_chart(learning: dict[str, list[CurvePoint]], metric: str, ident: str,
                   ) -> Markup | None:
    """Mean quality against training-set size (log), one line per model with its 95% CI
    band (the CI of the seed mean at each size); model i of `learning` (sorted by name)
    gets `color(i)` / `dash(i)`."""
    order = list(learning)
    sizes = sorted({p.n_train for pts in learning.values() for p in pts if p.n_train > 0})
    if len(sizes) < 2:
        return None
    points = [p for pts in learning.values() for p in pts]
    lows = [min(p.mean, p.ci_low if p.ci_low is not None else p.mean) for p in points]
    highs = [max(p.mean, p.ci_high if p.ci_high is not None else p.mean) for p in points]
    x = Axis(sizes[0], sizes[-1], (LEFT, W - RIGHT), log=True)
    y = Axis(min(lows), max(highs), (H - BOTTOM, TOP), log=False)
    desc = (f"Learning curves of {len(learning)} models at {len(sizes)} training-set sizes, "
            "each with its 95% confidence band.")
    out = _frame(f"{LABEL.get(metric, metric)} against training-set size", desc, ident, x, y,
                 "labelled training examples (log scale)", _y_label(metric))
    ends = []
    for model, pts in learning.items():
        pts = [p for p in pts if p.n_train > 0]
        if pts:
            ends.append((y(pts[-1].mean), order.index(model)))
    labels = _spread(ends, TOP + 8, H - BOTTOM - 4)
    for model, pts in learning.items():
        pts = [p for p in pts if p.n_train > 0]
        if not pts:
            continue
        i = order.index(model)
        c, d = color(i), dash(i)
        out.append(f'<g class="curve"><title>{escape(model)}</title>')
        band = _band(pts)
        if len(band) > 1:  # upper edge left to right, lower edge back
            edge = ([(x(p.n_train), y(p.ci_high)) for p in band]
                    + [(x(p.n_train), y(p.ci_low)) for p in reversed(band)])
            out.append('<polygon class="ci-band" points="'
                       + " ".join(f"{_num(a)},{_num(b)}" for a, b in edge)
                       + f'" fill="{c}" fill-opacity="0.10" stroke="none"/>')
        coords = " ".join(f"{_num(x(p.n_train))},{_num(y(p.mean))}" for p in pts)
        out.append(f'<polyline points="{coords}" fill="none" stroke="{c}" stroke-width="2"'
                   + (f' stroke-dasharray="{d}"' if d else "") + "/>")
        out += [_learning_point(model, p, c, x, y) for p in pts]
        last = pts[-1]
        out.append(f'<line x1="{_num(x(last.n_train) + 5)}" y1="{_num(y(last.mean))}" '
                   f'x2="{W - RIGHT + 4}" y2="{_num(labels[i])}" stroke="{c}" '
                   f'stroke-width="0.7" class="leader"/><text x="{W - RIGHT + 7}" y="{_num(labels[i])}" '
                   f'dy="4" class="lbl" fill="{c}">{escape(_short(model))}</text></g>')
    out.append("</svg>")
    return Markup("".join(out))


class _LayerAxis(Axis):
    """A linear axis over layer indices: one tick per layer."""

    def ticks(self) -> list[float]:
        return [float(k) for k in range(math.ceil(self.lo), math.floor(self.hi) + 1)]


def mix_chart(model: MixModel, ident: str) -> Markup | None:
    """The mean learned weight of each layer, one line per task (its number of runs in the
    label), with the uniform mix 1/L as a dashed reference; None without two layers."""
    means = {t: w for t in model.tasks if (w := model.mean_weights(t))}
    if model.layers < 2 or not means:
        return None
    uniform = 1.0 / model.layers
    x = _LayerAxis(0, model.layers - 1, (LEFT, W - RIGHT), log=False)
    y = Axis(0.0, max(uniform, *(max(w) for w in means.values())), (H - BOTTOM, TOP), log=False)
    counts = {t: len(model.task_runs(t)) for t in means}
    desc = (f"Mean scalar-mix weight of each of the {model.layers} layers of {model.model}, "
            + "; ".join(f"{TASK_LABEL.get(t, t)} over {n} runs" for t, n in counts.items())
            + ".")
    out = _frame(f"Learned layer weights of {model.model}", desc, ident, x, y,
                 "layer (0 = embeddings)", "mean mix weight")
    # Label positions, one line apart: each task's line end, then the uniform reference.
    ends = _spread([(y(w[-1]), i) for i, w in enumerate(means.values())]
                   + [(y(uniform), len(means))], TOP + 8, H - BOTTOM - 4)
    uy = _num(y(uniform))
    out.append(f'<g class="uniform"><line x1="{LEFT}" x2="{W - RIGHT}" y1="{uy}" y2="{uy}" '
               f'stroke="#999" stroke-dasharray="4 3"/><text x="{W - RIGHT + 7}" '
               f'y="{_num(ends[len(means)])}" dy="4" class="lbl" fill="#777">uniform '
               f'1/{model.layers}</text></g>')
    for i, (task, weights) in enumerate(means.items()):
        c, name = color(i), f"{TASK_LABEL.get(task, task)} ({counts[task]} runs)"
        coords = " ".join(f"{_num(x(k))},{_num(y(w))}" for k, w in enumerate(weights))
        out.append(f'<g class="mix"><title>{escape(name)}</title><polyline points="{coords}" '
                   f'fill="none" stroke="{c}" stroke-width="2"/>')
        for k, w in enumerate(weights):
            tip = f"{name}: layer {k}, mean weight {w:.3f}"
            out.append(f'<circle cx="{_num(x(k))}" cy="{_num(y(w))}" r="3.5" fill="{c}">'
                       f'<title>{escape(tip)}</title></circle>')
        out.append(f'<text x="{W - RIGHT + 7}" y="{_num(ends[i])}" dy="4" class="lbl" '
                   f'fill="{c}">{escape(_short(name))}</text></g>')
    out.append("</svg>")
    return Markup("".join(out))
