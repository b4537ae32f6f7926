"""The soak's verdict on its memory samples: flat or growing, after the first third of the run (warm-up).

*Growing* when the least-squares slope over the last two thirds is above 4 MB an hour (about 100 MB a day) and
the median of the last third is above the median of the middle third by more than 1 MB (so a fit through noise
alone does not count); otherwise *flat*. Runs under 10 minutes are not judged.
"""

from __future__ import annotations

import statistics
from typing import Any

SLOPE_MB_PER_HOUR = 4.0
NOISE_MB = 1.0
SHORTEST_JUDGED_SECONDS = 600


def slope_mb_per_hour(points: list[tuple[float, float]]) -> float:
    """The least-squares slope of (seconds, MB) points, in MB an hour."""
    if len(points) < 2:
        return 0.0
    mean_t = statistics.fmean(t for t, _ in points)
    mean_m = statistics.fmean(m for _, m in points)
    spread = sum((t - mean_t) ** 2 for t, _ in points)
    if spread == 0:
        return 0.0
    return sum((t - mean_t) * (m - mean_m) for t, m in points) / spread * 3600


def verdict(samples: list[dict[str, float]]) -> dict[str, Any]:
    """Flat or growing, from the middle and last thirds of the samples (the first third is warm-up)."""
    third = len(samples) // 3
    middle = [s["rss_mb"] for s in samples[third : 2 * third]]
    last = [s["rss_mb"] for s in samples[2 * third :]]
    if not middle or not last:
        return {"verdict": "too few samples"}
    middle_median, last_median = statistics.median(middle), statistics.median(last)
    growth = last_median - middle_median
    slope = slope_mb_per_hour([(s["seconds"], s["rss_mb"]) for s in samples[third:]])
    if samples[-1]["seconds"] < SHORTEST_JUDGED_SECONDS:
        judged = "not judged (under 10 minutes)"
    else:
        judged = "growing" if slope > SLOPE_MB_PER_HOUR and growth > NOISE_MB else "flat"
    return {
        "verdict": judged,
        "middle_third_median_mb": round(middle_median, 1),
        "last_third_median_mb": round(last_median, 1),
        "growth_mb": round(growth, 1),
        "slope_mb_per_hour_after_warm_up": round(slope, 2),
        "slope_mb_per_hour_whole_run": round(
            slope_mb_per_hour([(s["seconds"], s["rss_mb"]) for s in samples]), 2
        ),
    }
