import math

import pytest
import torch

from aecourse.uncertainty import paired_difference


def test_the_interval_has_the_width_of_the_standard_error():
    g = torch.Generator().manual_seed(0)
    b = torch.rand(4000, generator=g)
    a = b + 0.05 + torch.randn(4000, generator=g)  # differences: mean 0.05, standard deviation 1
    d = paired_difference(a, b)
    half_width = 1.96 / math.sqrt(4000)
    assert d.low < 0.05 < d.high
    assert (d.high - d.low) / 2 == pytest.approx(half_width, rel=0.1)
    assert d.items == 4000 and d.level == 0.95


def test_a_clear_difference_is_decided_and_no_difference_is_not():
    g = torch.Generator().manual_seed(1)
    b = torch.rand(500, generator=g)
    assert paired_difference(b + 0.1, b).decided
    assert paired_difference(b - 0.1, b).decided
    same = paired_difference(b, b)
    assert (same.mean, same.low, same.high, same.decided) == (0.0, 0.0, 0.0, False)
    noisy = paired_difference(b + 0.001 * torch.randn(500, generator=g), b + 0.001 * torch.randn(500, generator=g))
    assert not noisy.decided


def test_pairing_matters_and_booleans_count_as_zero_or_one():
    # 1,000 queries: method a is right on 962, method b on 969, and they disagree on only a few queries
    a = torch.ones(1000, dtype=torch.bool)
    a[:38] = False
    b = a.clone()
    b[:7] = True
    d = paired_difference(b, a)
    assert d.mean == pytest.approx(0.007) and d.decided  # always right where a is: a real, small gain
    shuffled = b[torch.randperm(1000, generator=torch.Generator().manual_seed(2))]
    assert not paired_difference(shuffled, a).decided


def test_same_seed_same_interval_and_a_readable_string():
    a, b = torch.rand(300, generator=torch.Generator().manual_seed(3)), torch.rand(300)
    assert paired_difference(a, b, seed=5) == paired_difference(a, b, seed=5)
    text = str(paired_difference(a, b, level=0.9))
    assert "90 % interval" in text and text.startswith(("+", "-"))


@pytest.mark.parametrize("a,b,kwargs,message", [
    (torch.rand(5), torch.rand(6), {}, "same items"),
    (torch.rand(5, 2), torch.rand(5, 2), {}, r"shape \(N,\)"),
    (torch.tensor([1.0, math.nan]), torch.rand(2), {}, "NaN"),
    (torch.rand(1), torch.rand(1), {}, "at least 2"),
    (torch.rand(5), torch.rand(5), {"level": 95}, "level"),
    (torch.rand(5), torch.rand(5), {"resamples": 10}, "resamples"),
])
def test_bad_input_gets_a_clear_message(a, b, kwargs, message):
    with pytest.raises(ValueError, match=message):
        paired_difference(a, b, **kwargs)


def test_non_numbers_are_rejected():
    with pytest.raises(TypeError, match="numbers"):
        paired_difference(["a", "b"], [1, 2])


@pytest.mark.parametrize("level,lowest,highest", [(0.95, 0.92, 0.97), (0.8, 0.75, 0.85)])
def test_the_interval_covers_the_true_difference_as_often_as_its_level_says(level, lowest, highest):
    # 600 test sets of 100 items whose differences have a known mean (0.3); the percentile interval
    # should contain it in about `level` of them (a little less for small N, a known property)
    g = torch.Generator().manual_seed(0)
    b = torch.rand(600, 100, generator=g)
    a = b + 0.3 + torch.randn(600, 100, generator=g)
    intervals = [paired_difference(a[i], b[i], level=level, resamples=500, seed=i) for i in range(600)]
    coverage = sum(d.low < 0.3 < d.high for d in intervals) / len(intervals)
    assert lowest <= coverage <= highest


def test_a_large_sample_matches_the_normal_interval():
    # for large N the bootstrap distribution of a mean is normal: mean +- z * s / sqrt(N),
    # z = 1.96 for 95 %, 1.645 for 90 %
    g = torch.Generator().manual_seed(4)
    b = torch.rand(5000, generator=g)
    a = b - 0.2 + 0.5 * torch.distributions.Exponential(1.0).sample((5000,))  # skewed differences
    differences = (a.double() - b.double())
    standard_error = differences.std().item() / math.sqrt(5000)
    for level, z in ((0.95, 1.959964), (0.9, 1.644854)):
        d = paired_difference(a, b, level=level)
        assert d.mean == pytest.approx(differences.mean().item(), abs=1e-12)
        assert d.low == pytest.approx(d.mean - z * standard_error, abs=0.15 * standard_error)
        assert d.high == pytest.approx(d.mean + z * standard_error, abs=0.15 * standard_error)


def test_pairing_makes_the_interval_of_correlated_scores_much_narrower():
    # two methods that score the same items almost alike: the items' spread cancels in the differences
    g = torch.Generator().manual_seed(5)
    items = torch.rand(500, generator=g)
    a, b = items + 0.01 + 0.01 * torch.randn(500, generator=g), items
    paired = paired_difference(a, b)
    unpaired_half_width = 1.96 * math.sqrt(a.double().var().item() / 500 + b.double().var().item() / 500)
    assert paired.decided and paired.low < 0.01 < paired.high
    assert (paired.high - paired.low) / 2 < 0.05 * unpaired_half_width
    # the same scores with the pairing broken (b shuffled) give about the unpaired width, and no winner
    shuffled = paired_difference(a, b[torch.randperm(500, generator=g)])
    assert (shuffled.high - shuffled.low) / 2 == pytest.approx(unpaired_half_width, rel=0.15)
    assert not shuffled.decided


def test_the_percentile_interval_leans_the_way_the_differences_are_skewed():
    # the percentile interval (not the 'basic' one, its mirror image) reaches further on the side of the long tail
    g = torch.Generator().manual_seed(0)
    gains = torch.exp(1.5 * torch.randn(40, generator=g))  # log-normal: a few large gains
    d = paired_difference(gains, torch.zeros(40))
    assert d.high - d.mean > 1.1 * (d.mean - d.low)
