"""Krippendorff's alpha of the quality module against the `krippendorff` package it must agree with.

A seeded reliability matrix of 100,000 items x 5 annotators (integer labels 1-5, about 10% missing).
For each level of measurement (nominal, ordinal, interval) `reviews.agreement.krippendorff_alpha`
and `krippendorff.alpha` run 5 times each, interleaved, after one warm-up; the medians are printed
with their ratio (ours / package; the target is at most 1.0) and the absolute difference of the two
values, which must be at most 1e-9 (the script exits with status 1 if it is not). Also prints, for
information, 1,000 bootstrap resamples of nominal alpha on the first 2,000 items.
Pure computation: no database. Usage: python bench/agreement.py
"""

from __future__ import annotations

import json
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# bench/queue.py shares its name with the standard library's queue: keep bench/ off the path.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != ROOT / "bench"]
sys.path.insert(0, str(ROOT))

import krippendorff  # noqa: E402
import numpy as np  # noqa: E402

from reviews.agreement import bootstrap_interval, krippendorff_alpha  # noqa: E402

ITEMS = 100_000
ANNOTATORS = 5
LABELS = 5
MISSING = 0.10
RUNS = 5
TOLERANCE = 1e-9
LEVELS = ("nominal", "ordinal", "interval")
BOOTSTRAP_ITEMS = 2_000
BOOTSTRAP_RESAMPLES = 1_000


def reliability_matrix(seed: int = 20260101) -> np.ndarray:
    """Items x annotators: each annotator gives the item's true label 60% of the time, else any label."""
    rng = np.random.default_rng(seed)
    truth = rng.integers(1, LABELS + 1, size=(ITEMS, 1))
    noise = rng.integers(1, LABELS + 1, size=(ITEMS, ANNOTATORS))
    values = np.where(rng.random((ITEMS, ANNOTATORS)) < 0.6, truth, noise).astype(float)
    values[rng.random(values.shape) < MISSING] = np.nan
    return values


def timed(function, *args, **kwargs) -> tuple[float, float]:
    start = time.perf_counter()
    value = function(*args, **kwargs)
    return float(value), (time.perf_counter() - start) * 1000


def main() -> int:
    values = reliability_matrix()
    missing = np.isnan(values).mean()
    print(f"matrix: {ITEMS:,} items x {ANNOTATORS} annotators, labels 1-{LABELS}, {missing:.1%} missing")
    runs = []
    for level in LEVELS:
        ours_value, _ = timed(krippendorff_alpha, values, level)  # warm-up
        package_value, _ = timed(krippendorff.alpha, reliability_data=values.T, level_of_measurement=level)
        ours_times, package_times = [], []
        for _ in range(RUNS):
            ours_value, milliseconds = timed(krippendorff_alpha, values, level)
            ours_times.append(milliseconds)
            package_value, milliseconds = timed(
                krippendorff.alpha, reliability_data=values.T, level_of_measurement=level
            )
            package_times.append(milliseconds)
        ours_ms, package_ms = statistics.median(ours_times), statistics.median(package_times)
        abs_diff = abs(ours_value - package_value)
        runs.append(
            {
                "level": level,
                "ours_ms": round(ours_ms, 2),
                "package_ms": round(package_ms, 2),
                "ratio": round(ours_ms / package_ms, 3),
                "abs_diff": abs_diff,
            }
        )
        print(
            f"{level:>8}: alpha {ours_value:.6f}; ours {ours_ms:7.1f} ms, package {package_ms:7.1f} ms "
            f"(median of {RUNS}), ratio {ours_ms / package_ms:.2f}; |difference| {abs_diff:.1e}"
        )

    sample = values[:BOOTSTRAP_ITEMS]
    start = time.perf_counter()
    low, high = bootstrap_interval(krippendorff_alpha, sample, resamples=BOOTSTRAP_RESAMPLES, seed=0)
    print(
        f"bootstrap: {BOOTSTRAP_RESAMPLES:,} resamples of nominal alpha on {BOOTSTRAP_ITEMS:,} items in "
        f"{time.perf_counter() - start:.2f} s; 95% interval [{low:.4f}, {high:.4f}]"
    )

    worst_ratio = max(run["ratio"] for run in runs)
    worst_diff = max(run["abs_diff"] for run in runs)
    print(f"slowest ratio: {worst_ratio:.2f} (target: at most 1.0)")
    print(f"largest |difference|: {worst_diff:.1e} (must be at most {TOLERANCE:.0e})")
    print(json.dumps({"bench": "agreement", "items": ITEMS, "annotators": ANNOTATORS, "runs": runs}))
    return 0 if worst_diff <= TOLERANCE else 1


if __name__ == "__main__":
    sys.exit(main())
