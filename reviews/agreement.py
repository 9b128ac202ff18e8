"""Agreement statistics: how far annotators agree when they label the same items.

Every statistic takes a reliability matrix `values` of shape (items, annotators): one row per item,
one column per annotator, `np.nan` where that annotator gave the item no value. Values are numbers
(category codes for nominal data). Pure computation on numpy arrays: nothing here touches the
database, and nothing loops in Python over items or over pairs of values.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Literal, NamedTuple, TypedDict

import numpy as np
import numpy.typing as npt
from scipy.stats import binomtest

Level = Literal["nominal", "ordinal", "interval"]
LEVELS: tuple[Level, ...] = ("nominal", "ordinal", "interval")


class PositionBias(TypedDict):
    share: float
    p_value: float
    decided: int


class CodedValues(NamedTuple):
    """A reliability matrix with its values replaced by their index in `domain`."""

    domain: np.ndarray  # (categories,) the distinct values, in the order their indices follow
    codes: np.ndarray  # (items, annotators) the category index of every value, -1 where missing
    counts: np.ndarray  # (items, categories) how many annotators gave the item each value


def _reliability_matrix(values: npt.ArrayLike) -> np.ndarray:
    matrix = np.asarray(values, dtype=np.float64)
    if matrix.ndim != 2:
        raise ValueError(
            f"values must be a matrix of items x annotators, got an array of shape {matrix.shape}"
        )
    return matrix


# Integer labels spanning at most this many values are indexed by counting, not sorting.
COUNTING_SPAN = 1 << 20


def _category_indices(observed: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The sorted distinct values and the index of every value among them (np.unique's answer)."""
    if observed.size == 0:
        return np.unique(observed, return_inverse=True)
    low, high = observed.min(), observed.max()
    if high - low < COUNTING_SPAN and np.array_equal(observed, np.floor(observed)):
        offsets = (observed - low).astype(np.intp)
        used = np.bincount(offsets) > 0
        return np.flatnonzero(used) + low, (np.cumsum(used) - 1)[offsets]
    return np.unique(observed, return_inverse=True)


def _values_coded(matrix: np.ndarray, value_domain: npt.ArrayLike | None = None) -> CodedValues:
    present = ~np.isnan(matrix)
    observed = matrix[present]
    if value_domain is None:
        domain, categories = _category_indices(observed)
    else:
        domain = np.asarray(value_domain, dtype=np.float64).ravel()
        if np.isnan(domain).any() or np.unique(domain).size != domain.size:
            raise ValueError("value_domain must list distinct values and no nan")
        order = np.argsort(domain, kind="stable")
        sorted_domain = domain[order]
        positions = np.minimum(np.searchsorted(sorted_domain, observed), max(domain.size - 1, 0))
        if domain.size == 0 or not np.array_equal(sorted_domain[positions], observed):
            outside = np.setdiff1d(observed, domain)
            raise ValueError(f"values outside value_domain: {outside[:10].tolist()}")
        categories = order[positions]
    codes = np.full(matrix.shape, -1, dtype=np.intp)
    codes[present] = categories
    rows = np.nonzero(present)[0]  # the row of each observed value, in the order of matrix[present]
    counts = np.bincount(rows * domain.size + categories, minlength=matrix.shape[0] * domain.size)
    return CodedValues(domain=domain, codes=codes, counts=counts.reshape(matrix.shape[0], domain.size))


def _coincidences(counts: np.ndarray) -> np.ndarray:
    """Krippendorff's coincidence matrix o[c, k] = sum over units of n_uc (n_uk - [c == k]) / (m_u - 1)."""
    pairable = counts.sum(axis=1)
    kept = pairable >= 2
    if not kept.any():
        raise ValueError("no item has values from at least two annotators: there is nothing to pair")
    counts = counts[kept].astype(np.float64)
    weighted = counts / (pairable[kept] - 1)[:, np.newaxis]
    coincidences = weighted.T @ counts
    coincidences[np.diag_indices_from(coincidences)] -= weighted.sum(axis=0)
    return coincidences


def _distances(level: Level, domain: np.ndarray, value_totals: np.ndarray) -> np.ndarray:
    """Squared distance between every two categories at the level of measurement."""
    if level == "nominal":
        return 1.0 - np.eye(domain.size)
    if level == "interval":
        return (domain[:, np.newaxis] - domain[np.newaxis, :]) ** 2
    # Ordinal: (n_c + ... + n_k - (n_c + n_k) / 2) ** 2 with categories ranked by their index.
    indices = np.arange(domain.size)
    lower = np.minimum(indices[:, np.newaxis], indices[np.newaxis, :])
    upper = np.maximum(indices[:, np.newaxis], indices[np.newaxis, :])
    cumulative = np.cumsum(value_totals)
    between = cumulative[upper] - cumulative[lower] + value_totals[lower]
    return (between - (value_totals[lower] + value_totals[upper]) / 2) ** 2


def krippendorff_alpha(
    values: npt.ArrayLike, level: Level = "nominal", value_domain: npt.ArrayLike | None = None
) -> float:
    """Krippendorff's alpha, 1 - D_o / D_e over the coincidence matrix; items with fewer than 2 values
    are dropped; ordinal ranks follow value_domain's order (default: sorted distinct values); nan if the
    expected disagreement is 0 (every pairable value the same; the `krippendorff` package raises for a
    single distinct value and gives nan otherwise); ValueError if no item has 2 values, for an unknown
    level or for a value outside value_domain."""
    if level not in LEVELS:
        raise ValueError(f"level must be one of {', '.join(LEVELS)}, got {level!r}")
    coded = _values_coded(_reliability_matrix(values), value_domain)
    observed = _coincidences(coded.counts)
    value_totals = observed.sum(axis=0)
    expected = (np.outer(value_totals, value_totals) - np.diag(value_totals)) / (value_totals.sum() - 1)
    distances = _distances(level, coded.domain, value_totals)
    expected_disagreement = (expected * distances).sum()
    if expected_disagreement == 0:
        return float("nan")
    return float(1 - (observed * distances).sum() / expected_disagreement)


def fleiss_kappa(values: npt.ArrayLike) -> float:
    """Fleiss' kappa (nominal); with varying numbers of raters per item, Gwet's generalisation (Handbook
    of Inter-Rater Reliability, 2014; irrCAC's fleiss.kappa.raw): observed agreement averages
    sum n_ic (n_ic - 1) / (n_i (n_i - 1)) over items with 2+ values, category shares average each rated
    item's own proportions; equals Fleiss (1971) when every item has the same number of values; nan if
    only one category occurs; ValueError if no item has 2 values."""
    counts = _values_coded(_reliability_matrix(values)).counts
    rated = counts.sum(axis=1)
    counts, rated = counts[rated > 0], rated[rated > 0]
    pairable = rated >= 2
    if not pairable.any():
        raise ValueError("no item has values from at least two annotators: there is nothing to pair")
    if counts.shape[1] < 2:
        return float("nan")
    agreeing_pairs = (counts[pairable] * (counts[pairable] - 1)).sum(axis=1)
    observed = (agreeing_pairs / (rated[pairable] * (rated[pairable] - 1))).mean()
    shares = (counts / rated[:, np.newaxis]).mean(axis=0)
    chance = (shares**2).sum()
    return float((observed - chance) / (1 - chance))


def _cohen_kappa_coded(first: np.ndarray, second: np.ndarray, categories: int) -> float | None:
    """Cohen's kappa of two columns of category codes (-1 = missing); None if no item has both."""
    both = (first >= 0) & (second >= 0)
    items = int(both.sum())
    if items == 0:
        return None
    confusion = np.bincount(first[both] * categories + second[both], minlength=categories * categories)
    confusion = confusion.reshape(categories, categories)
    chance_pairs = int(confusion.sum(axis=1) @ confusion.sum(axis=0))  # p_e * items**2, exact
    if chance_pairs == items * items:
        return float("nan")
    observed = np.trace(confusion) / items
    chance = chance_pairs / (items * items)
    return float((observed - chance) / (1 - chance))


def cohen_kappa(first: npt.ArrayLike, second: npt.ArrayLike) -> float:
    """Cohen's kappa of two annotators over the items both labelled (nan elsewhere); nan if chance
    agreement is 1 (both gave one and the same value throughout); ValueError if no item has both values
    or the lengths differ."""
    first_values = np.asarray(first, dtype=np.float64).ravel()
    second_values = np.asarray(second, dtype=np.float64).ravel()
    if first_values.shape != second_values.shape:
        raise ValueError(f"the two annotators cover {first_values.size} and {second_values.size} items")
    coded = _values_coded(np.column_stack([first_values, second_values]))
    kappa = _cohen_kappa_coded(coded.codes[:, 0], coded.codes[:, 1], coded.domain.size)
    if kappa is None:
        raise ValueError("no item was labelled by both annotators")
    return kappa


def pairwise_cohen_kappa(values: npt.ArrayLike) -> dict[tuple[int, int], float]:
    """Cohen's kappa of every two annotators (columns i < j) over the items both labelled; pairs that
    share no item are left out; a pair's kappa is nan if its chance agreement is 1."""
    coded = _values_coded(_reliability_matrix(values))
    annotators = coded.codes.shape[1]
    kappas = {}
    for first in range(annotators):
        for second in range(first + 1, annotators):
            kappa = _cohen_kappa_coded(coded.codes[:, first], coded.codes[:, second], coded.domain.size)
            if kappa is not None:
                kappas[(first, second)] = kappa
    return kappas


def mean_pairwise_cohen_kappa(values: npt.ArrayLike) -> float:
    """The mean of pairwise_cohen_kappa over the pairs whose kappa is defined (not nan); ValueError if
    no pair has one."""
    kappas = np.array([kappa for kappa in pairwise_cohen_kappa(values).values() if not np.isnan(kappa)])
    if kappas.size == 0:
        raise ValueError("no two annotators have a defined Cohen's kappa")
    return float(kappas.mean())


def percent_agreement(values: npt.ArrayLike) -> float:
    """The share of agreeing pairs among all pairs of values within items, pooled over items (an item
    with m values has m (m - 1) / 2 pairs); ValueError if no item has 2 values."""
    counts = _values_coded(_reliability_matrix(values)).counts
    rated = counts.sum(axis=1)
    pairs = int((rated * (rated - 1)).sum()) // 2
    if pairs == 0:
        raise ValueError("no item has values from at least two annotators: there is nothing to pair")
    agreeing = int((counts * (counts - 1)).sum()) // 2
    return agreeing / pairs


def bootstrap_interval(
    statistic: Callable[[np.ndarray], float],
    values: npt.ArrayLike,
    *,
    resamples: int = 1000,
    seed: int = 0,
    confidence: float = 0.95,
) -> tuple[float, float]:
    """Percentile bootstrap interval of statistic(values) resampling items (rows) with replacement,
    the same for the same seed; resamples on which the statistic is undefined (nan or ValueError) are
    left out; ValueError if none is defined, if there are no items, resamples < 1 or confidence is
    not strictly between 0 and 1."""
    matrix = _reliability_matrix(values)
    if matrix.shape[0] == 0:
        raise ValueError("there are no items to resample")
    if resamples < 1:
        raise ValueError(f"resamples must be at least 1, got {resamples}")
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must be strictly between 0 and 1, got {confidence}")
    rows = np.random.default_rng(seed).integers(0, matrix.shape[0], size=(resamples, matrix.shape[0]))
    estimates = np.full(resamples, np.nan)
    for index, sample in enumerate(rows):
        try:
            estimates[index] = statistic(matrix[sample])
        except ValueError:
            continue  # undefined on this resample (for instance nothing to pair): left out
    defined = estimates[~np.isnan(estimates)]
    if defined.size == 0:
        raise ValueError("the statistic is undefined on every resample")
    tail = (1 - confidence) / 2
    low, high = np.quantile(defined, [tail, 1 - tail])
    return float(low), float(high)


def annotator_agreement_with_consensus(values: npt.ArrayLike) -> list[float]:
    """For each annotator, the share of their values equal to the item's majority value among the other
    annotators (leave-one-out); items where the others tie for the majority or gave no value are
    skipped; nan for an annotator with no item left."""
    coded = _values_coded(_reliability_matrix(values))
    if coded.domain.size == 0:
        return [float("nan")] * coded.codes.shape[1]
    own = coded.codes[:, :, np.newaxis] == np.arange(coded.domain.size)  # (items, annotators, categories)
    others = coded.counts[:, np.newaxis, :] - own
    top = others.max(axis=2)
    leaders = (others == top[:, :, np.newaxis]).sum(axis=2)
    consensus = (coded.codes >= 0) & (top > 0) & (leaders == 1)
    agreeing = consensus & (others.argmax(axis=2) == coded.codes)
    counted = consensus.sum(axis=0)
    shares = np.divide(agreeing.sum(axis=0), counted, out=np.full(counted.shape, np.nan), where=counted > 0)
    return [float(share) for share in shares]


def position_bias(first_shown_wins: int, decided: int) -> PositionBias:
    """The share of decided pairwise comparisons won by the response shown first, with the two-sided
    exact binomial test against 0.5; ValueError if decided < 1 or wins are not between 0 and decided."""
    if decided < 1:
        raise ValueError(f"decided must be at least 1, got {decided}")
    if not 0 <= first_shown_wins <= decided:
        raise ValueError(f"first_shown_wins must be between 0 and {decided}, got {first_shown_wins}")
    test = binomtest(first_shown_wins, decided, p=0.5, alternative="two-sided")
    return {"share": first_shown_wins / decided, "p_value": float(test.pvalue), "decided": decided}
