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
