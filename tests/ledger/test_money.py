"""Integer money arithmetic: parts always add up, rounding is deterministic."""

import random

import pytest

from ledger.money import apportion, fee_split


@pytest.mark.parametrize(
    ("price", "bp", "expected"),
    [
        (1250, 1000, (125, 1125)),
        (1255, 1000, (126, 1129)),  # 125.5 rounds half up
        (1254, 1000, (125, 1129)),  # 125.4 rounds down
        (1256, 1000, (126, 1130)),  # 125.6 rounds up
        (1, 1000, (0, 1)),
        (5, 1000, (1, 4)),  # 0.5 rounds half up
        (0, 1000, (0, 0)),
        (999, 0, (0, 999)),
        (999, 10_000, (999, 0)),
    ],
)
def test_fee_split(price, bp, expected):
    assert fee_split(price, bp) == expected


def test_apportion_gives_leftover_units_to_the_largest_remainders_then_the_first():
    assert apportion(10, [1, 1, 1]) == [4, 3, 3]
    assert apportion(11, [1, 1, 1]) == [4, 4, 3]
    assert apportion(100, [1, 2]) == [33, 67]
    assert apportion(7, [0, 1]) == [0, 7]


def test_parts_always_sum_to_the_whole():
    rng = random.Random(7)
    for _ in range(2000):
        total = rng.randrange(0, 10**9)
        weights = [rng.randrange(0, 1000) for _ in range(rng.randrange(1, 12))]
        if sum(weights) == 0:
            continue
        parts = apportion(total, weights)
        assert sum(parts) == total
        assert all(p >= 0 for p in parts)
        fee, rest = fee_split(total, rng.randrange(0, 10_001))
        assert fee + rest == total


@pytest.mark.parametrize(("total", "weights"), [(-1, [1]), (5, []), (5, [0, 0]), (5, [-1, 2])])
def test_apportion_refuses_nonsense(total, weights):
    with pytest.raises(ValueError):
        apportion(total, weights)


def test_fee_rate_must_be_a_percentage():
    with pytest.raises(ValueError):
        fee_split(100, 10_001)
