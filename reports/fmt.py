"""Number formatting shared by the HTML page, the Markdown page and the generated advice."""
from __future__ import annotations

import math

from reports.runs import LABEL, UNIT

DASH = "–"


def _ok(value) -> bool:
    return value is not None and isinstance(value, (int, float)) and math.isfinite(value)


def points(value: float | None, digits: int = 1) -> str:
    return f"{value:.{digits}f}" if _ok(value) else DASH


def signed(value: float | None, digits: int = 1) -> str:
    return f"{value:+.{digits}f}".replace("-", "−") if _ok(value) else DASH


def quality(stat, metric: str, with_label: bool = True) -> str:
    """'accuracy 78.3 ± 0.4 %' (± only with more than one seed)."""
    if stat is None or not _ok(stat.mean):
        text = DASH
    else:
        text = points(stat.mean) + (f" ± {points(stat.sd)}" if _ok(stat.sd) else "")
        text += f" {UNIT[metric]}" if UNIT.get(metric) else ""
    return f"{LABEL.get(metric, metric)} {text}" if with_label else text


def ci(stat) -> str:
    if stat is None or not (_ok(stat.ci_low) and _ok(stat.ci_high)):
        return DASH
    return f"{points(stat.ci_low)}–{points(stat.ci_high)}"


def ms(value: float | None) -> str:
    """Three significant digits: 0.412, 2.14, 21.4, 214 (milliseconds)."""
    if not _ok(value):
        return DASH
    if value >= 100:
        return f"{value:,.0f}"
    if value >= 10:
        return f"{value:.1f}"
    if value >= 1:
        return f"{value:.2f}"
    return f"{value:.3f}"


def count(value: float | None) -> str:
    return f"{value:,.0f}" if _ok(value) else DASH


def si(value: float | None) -> str:
    """Parameter counts: 950, 12.3 k, 4.56 M, 1.2 G."""
    if not _ok(value):
        return DASH
    for factor, suffix in ((1e9, " G"), (1e6, " M"), (1e3, " k")):
        if abs(value) >= factor:
            return f"{value / factor:.3g}{suffix}"
    return f"{value:.0f}"


def size(value: float | None) -> str:
    """Bytes on disk: 812 B, 45.2 kB, 3.1 MB (decimal units)."""
    if not _ok(value):
        return DASH
    for factor, suffix in ((1e9, " GB"), (1e6, " MB"), (1e3, " kB")):
        if value >= factor:
            return f"{value / factor:.3g}{suffix}"
    return f"{value:.0f} B"


def seconds(value: float | None) -> str:
    if not _ok(value):
        return DASH
    if value >= 3600:
        return f"{value / 3600:.1f} h"
    if value >= 120:
        return f"{value / 60:.1f} min"
    return f"{value:.1f} s"


def ratio(value: float | None) -> str:
    return f"{value:.2g}×" if _ok(value) else DASH


def percent_change(new: float | None, old: float | None) -> str:
    if not (_ok(new) and _ok(old)) or old == 0:
        return DASH
    return f"{100 * (new - old) / old:+.0f} %".replace("-", "−")
