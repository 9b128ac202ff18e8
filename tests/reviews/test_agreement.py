"""Agreement statistics against published worked examples and the `krippendorff` package."""

from __future__ import annotations

import math
from fractions import Fraction

import krippendorff
import numpy as np
import pytest

from reviews.agreement import (
    annotator_agreement_with_consensus,
    bootstrap_interval,
    cohen_kappa,
    fleiss_kappa,
    krippendorff_alpha,
    mean_pairwise_cohen_kappa,
    pairwise_cohen_kappa,
    percent_agreement,
    position_bias,
)

nan = np.nan

# Krippendorff (2011), "Computing Krippendorff's Alpha-Reliability", section E: 4 observers x 12
# units with missing data, here as items x annotators (the paper prints observers as rows).
KRIPPENDORFF_2011 = np.array(
    [
        [1, 2, 3, 3, 2, 1, 4, 1, 2, nan, nan, nan],
        [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, nan, 3],
        [nan, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, nan],
        [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, nan],
    ]
).T

# Fleiss (1971) as worked on Wikipedia's "Fleiss' kappa": 10 subjects, 14 raters, 5 categories;
# how many raters put each subject in each category. P = 0.378, P_e = 0.213, kappa = 0.210.
FLEISS_COUNTS = np.array(
    [
        [0, 0, 0, 0, 14],
        [0, 2, 6, 4, 2],
        [0, 0, 3, 5, 6],
        [0, 3, 9, 2, 0],
        [2, 2, 8, 1, 1],
        [7, 7, 0, 0, 0],
        [3, 2, 6, 3, 0],
        [2, 5, 3, 2, 2],
        [6, 5, 2, 1, 0],
        [0, 2, 2, 3, 7],
    ]
)

LEVELS = ("nominal", "ordinal", "interval")


def fleiss_matrix() -> np.ndarray:
    """The Fleiss counts as a subjects x raters matrix of category labels 1-5."""
    return np.array([np.repeat(np.arange(1, 6), row) for row in FLEISS_COUNTS], dtype=float)


def cohen_wikipedia() -> tuple[np.ndarray, np.ndarray]:
    """Wikipedia's "Cohen's kappa" example: 50 items; yes/yes 20, yes/no 5, no/yes 10, no/no 15."""
    first = np.array([1] * 20 + [1] * 5 + [0] * 10 + [0] * 15, dtype=float)
    second = np.array([1] * 20 + [0] * 5 + [1] * 10 + [0] * 15, dtype=float)
    return first, second


def random_matrix(seed: int, items: int, annotators: int, categories: int, missing: float) -> np.ndarray:
    rng = np.random.default_rng(seed)
    truth = rng.integers(1, categories + 1, size=(items, 1))
    noise = rng.integers(1, categories + 1, size=(items, annotators))
    matrix = np.where(rng.random((items, annotators)) < 0.6, truth, noise).astype(float)
    matrix[rng.random(matrix.shape) < missing] = nan
    return matrix


def package_alpha(values: np.ndarray, level: str, value_domain=None) -> float:
    return float(
        krippendorff.alpha(reliability_data=values.T, level_of_measurement=level, value_domain=value_domain)
    )


# Krippendorff's alpha


@pytest.mark.parametrize(
    ("level", "published"), [("nominal", 0.743), ("ordinal", 0.815), ("interval", 0.849)]
)
def test_krippendorff_alpha_reproduces_the_2011_worked_example(level, published):
    assert krippendorff_alpha(KRIPPENDORFF_2011, level) == pytest.approx(published, abs=5e-4)


def test_krippendorff_alpha_nominal_worked_example_is_the_exact_fraction():
    # The paper's 40 pairable values split 9, 13, 10, 5, 3 over the values 1-5, with 8 off-diagonal
    # coincidences: alpha = 1 - (40 - 1) * 8 / (40**2 - 9**2 - 13**2 - 10**2 - 5**2 - 3**2) = 113/152.
    assert 1 - Fraction(39 * 8, 40**2 - 9**2 - 13**2 - 10**2 - 5**2 - 3**2) == Fraction(113, 152)
    assert krippendorff_alpha(KRIPPENDORFF_2011, "nominal") == pytest.approx(113 / 152, abs=1e-15)


@pytest.mark.parametrize("level", LEVELS)
@pytest.mark.parametrize(
    ("seed", "items", "annotators", "categories", "missing"),
    [(1, 50, 3, 4, 0.2), (2, 400, 5, 5, 0.3), (3, 1000, 7, 9, 0.5), (4, 30, 2, 3, 0.1)],
)
def test_krippendorff_alpha_equals_the_package(level, seed, items, annotators, categories, missing):
    values = random_matrix(seed, items, annotators, categories, missing)
    assert abs(krippendorff_alpha(values, level) - package_alpha(values, level)) <= 1e-9


@pytest.mark.parametrize("level", LEVELS)
def test_krippendorff_alpha_equals_the_package_on_non_integer_values(level):
    rng = np.random.default_rng(5)
    values = np.round(rng.normal(size=(200, 4)), 1)
    values[rng.random(values.shape) < 0.25] = nan
    assert abs(krippendorff_alpha(values, level) - package_alpha(values, level)) <= 1e-9


@pytest.mark.parametrize("level", LEVELS)
def test_krippendorff_alpha_with_a_value_domain_equals_the_package(level):
    values = random_matrix(6, 300, 4, 5, 0.2)
    domain = [0, 1, 2, 3, 4, 5, 6, 7]  # includes values nobody used
    ours = krippendorff_alpha(values, level, value_domain=domain)
    assert abs(ours - package_alpha(values, level, value_domain=domain)) <= 1e-9
    assert ours == pytest.approx(krippendorff_alpha(values, level), abs=1e-12)


def test_krippendorff_alpha_ordinal_ranks_follow_the_value_domain_order():
    values = random_matrix(7, 300, 4, 4, 0.2)
    domain = [3, 1, 4, 2]
    ours = krippendorff_alpha(values, "ordinal", value_domain=domain)
    assert abs(ours - package_alpha(values, "ordinal", value_domain=domain)) <= 1e-9
    assert abs(ours - krippendorff_alpha(values, "ordinal")) > 1e-3


@pytest.mark.parametrize("level", LEVELS)
def test_krippendorff_alpha_ignores_an_item_with_one_value(level):
    with_lone_value = np.vstack([KRIPPENDORFF_2011, [nan, 9, nan, nan]])
    assert krippendorff_alpha(with_lone_value, level) == pytest.approx(
        krippendorff_alpha(KRIPPENDORFF_2011, level), abs=1e-12
    )


def test_krippendorff_alpha_without_pairable_values_is_a_value_error():
    values = np.array([[1, nan, nan], [nan, 2, nan], [nan, nan, nan]])
    with pytest.raises(ValueError, match="no item has values from at least two annotators"):
        krippendorff_alpha(values)


def test_krippendorff_alpha_is_nan_when_the_expected_disagreement_is_zero():
    assert math.isnan(krippendorff_alpha(np.array([[2, 2, nan], [2, 2, 2], [1, nan, nan]]), "interval"))


def test_krippendorff_alpha_rejects_an_unknown_level():
    with pytest.raises(ValueError, match="level must be one of nominal, ordinal, interval"):
        krippendorff_alpha(KRIPPENDORFF_2011, "ratio")


def test_krippendorff_alpha_rejects_values_outside_the_value_domain():
    with pytest.raises(ValueError, match=r"values outside value_domain: \[5.0\]"):
        krippendorff_alpha(KRIPPENDORFF_2011, "ordinal", value_domain=[1, 2, 3, 4])


def test_krippendorff_alpha_rejects_a_vector():
    with pytest.raises(ValueError, match="matrix of items x annotators"):
        krippendorff_alpha([1, 2, 3])


# Fleiss' kappa


def test_fleiss_kappa_reproduces_the_1971_worked_example():
    assert fleiss_kappa(fleiss_matrix()) == pytest.approx(0.210, abs=5e-4)


def test_fleiss_kappa_with_varying_raters_per_item_follows_gwets_generalisation():
    values = np.array([[1, 1, nan], [1, 2, 2], [2, 2, 2], [1, nan, nan], [nan, nan, nan]])
    # Observed: items with 2+ values agree 1, 1/3, 1 -> 7/9. Category shares over the 4 rated items:
    # 1: (1 + 1/3 + 0 + 1) / 4 = 7/12, 2: 5/12 -> chance 74/144. Kappa (7/9 - 37/72) / (35/72) = 19/35.
    observed, chance = Fraction(7, 9), Fraction(7, 12) ** 2 + Fraction(5, 12) ** 2
    assert (observed - chance) / (1 - chance) == Fraction(19, 35)
    assert fleiss_kappa(values) == pytest.approx(19 / 35, abs=1e-15)


def test_fleiss_kappa_without_pairable_values_is_a_value_error():
    with pytest.raises(ValueError, match="no item has values from at least two annotators"):
        fleiss_kappa(np.array([[1, nan], [nan, 2]]))


def test_fleiss_kappa_is_nan_with_a_single_category():
    assert math.isnan(fleiss_kappa(np.array([[3, 3], [3, 3]])))


# Cohen's kappa


def test_cohen_kappa_reproduces_the_textbook_example():
    first, second = cohen_wikipedia()
    assert cohen_kappa(first, second) == pytest.approx(0.4, abs=1e-12)


def test_cohen_kappa_uses_only_the_items_both_labelled():
    first, second = cohen_wikipedia()
    first = np.concatenate([first, [1, nan, nan]])
    second = np.concatenate([second, [nan, 0, nan]])
    assert cohen_kappa(first, second) == pytest.approx(0.4, abs=1e-12)


def test_cohen_kappa_without_common_items_is_a_value_error():
    with pytest.raises(ValueError, match="no item was labelled by both annotators"):
        cohen_kappa([1, nan], [nan, 1])


def test_cohen_kappa_is_nan_when_chance_agreement_is_one():
    assert math.isnan(cohen_kappa([2, 2, 2], [2, 2, 2]))


def test_pairwise_cohen_kappa_covers_every_pair_that_shares_items():
    first, second = cohen_wikipedia()
    values = np.column_stack([first, second, first, np.full_like(first, nan)])
    kappas = pairwise_cohen_kappa(values)
    assert kappas.keys() == {(0, 1), (0, 2), (1, 2)}  # annotator 3 labelled nothing
    assert kappas[(0, 1)] == pytest.approx(0.4, abs=1e-12)
    assert kappas[(0, 2)] == pytest.approx(1.0, abs=1e-12)
    assert kappas[(1, 2)] == pytest.approx(0.4, abs=1e-12)
    assert mean_pairwise_cohen_kappa(values) == pytest.approx(0.6, abs=1e-12)


# Percent agreement


def test_percent_agreement_pools_the_pairs_of_every_item():
    # Item 1: 3 pairs, 1 agreeing; item 2: 1 pair, agreeing; item 3: no pair. 2 of 4.
    values = np.array([[1, 1, 2], [2, 2, nan], [3, nan, nan]])
    assert percent_agreement(values) == 0.5


def test_percent_agreement_without_pairs_is_a_value_error():
    with pytest.raises(ValueError, match="no item has values from at least two annotators"):
        percent_agreement(np.array([[1, nan], [nan, 2]]))


# Bootstrap


def test_bootstrap_interval_is_reproducible_with_the_seed():
    values = random_matrix(8, 300, 5, 4, 0.1)
    first = bootstrap_interval(krippendorff_alpha, values, resamples=200, seed=11)
    assert bootstrap_interval(krippendorff_alpha, values, resamples=200, seed=11) == first
    assert bootstrap_interval(krippendorff_alpha, values, resamples=200, seed=12) != first


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_bootstrap_interval_contains_the_point_estimate(seed):
    values = random_matrix(9 + seed, 500, 5, 5, 0.1)
    low, high = bootstrap_interval(krippendorff_alpha, values, seed=seed)
    assert low < krippendorff_alpha(values) < high
    assert high - low < 0.2


def test_bootstrap_interval_leaves_out_resamples_where_the_statistic_is_undefined():
    # One pairable item among many lone values: some resamples miss it and raise ValueError.
    values = np.vstack([[[1, 1]], np.column_stack([np.arange(2.0, 22.0), np.full(20, nan)])])
    assert bootstrap_interval(percent_agreement, values, resamples=100) == (1.0, 1.0)


def test_bootstrap_interval_rejects_a_confidence_outside_zero_and_one():
    with pytest.raises(ValueError, match="confidence must be strictly between 0 and 1"):
        bootstrap_interval(krippendorff_alpha, KRIPPENDORFF_2011, confidence=1.0)


# Agreement with the consensus


def test_annotator_agreement_with_consensus_leaves_each_annotator_out():
    values = np.array(
        [
            [1, 1, 1, nan],  # every annotator agrees with the other two
            [1, 1, 2, nan],  # annotators 0 and 1 face a tie (skipped); annotator 2 disagrees with 1, 1
            [2, 2, nan, nan],  # annotators 0 and 1 agree with each other
            [3, nan, nan, nan],  # nobody else: skipped
            [1, 2, 2, nan],  # annotator 0 disagrees with 2, 2; annotators 1 and 2 face a tie (skipped)
        ]
    )
    shares = annotator_agreement_with_consensus(values)
    assert shares[:3] == [pytest.approx(2 / 3, abs=1e-15), 1.0, 0.5]
    assert math.isnan(shares[3])  # labelled nothing


# Position bias


def test_position_bias_is_an_exact_two_sided_binomial_test():
    result = position_bias(60, 100)
    tail = Fraction(sum(math.comb(100, wins) for wins in range(60, 101)), 2**100)
    assert result["share"] == 0.6
    assert result["decided"] == 100
    assert result["p_value"] == pytest.approx(float(2 * tail), rel=1e-9)
    assert result["p_value"] == pytest.approx(0.056887933640, abs=1e-12)


def test_position_bias_without_a_preference_has_p_value_one():
    assert position_bias(50, 100) == {"share": 0.5, "p_value": 1.0, "decided": 100}


@pytest.mark.parametrize(("wins", "decided"), [(5, 4), (-1, 4), (0, 0)])
def test_position_bias_rejects_impossible_counts(wins, decided):
    with pytest.raises(ValueError, match="must be"):
        position_bias(wins, decided)
