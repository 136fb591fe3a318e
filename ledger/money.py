"""Money arithmetic without a database: integer minor units, deterministic rounding.

Rounding rule (documented policy): a whole is split in proportion to integer weights by the
largest-remainder method. Every part first gets ``floor(total * w / sum(w))``; the units left
over go, one each, to the parts with the largest remainders, and ties go to the part listed
first. The parts therefore always add up to the whole, and the same inputs always give the
same parts. For the cooperative fee the weights are ``[fee_bp, 10000 - fee_bp]`` (fee first),
which amounts to rounding the fee half up to the nearest minor unit.
"""

from collections.abc import Sequence

BASIS_POINTS = 10_000
# The largest amount an API accepts, in minor units: far beyond any real price or top-up, and
# well inside a 64-bit integer however many are summed into a balance.
MAX_AMOUNT = 10**15


def apportion(total: int, weights: Sequence[int]) -> list[int]:
    """Split ``total`` (>= 0) in proportion to ``weights`` (>= 0, not all zero)."""
    if total < 0:
        raise ValueError("cannot apportion a negative amount")
    if not weights or any(w < 0 for w in weights) or sum(weights) == 0:
        raise ValueError("weights must be non-negative and not all zero")
    denominator = sum(weights)
    parts = [total * w // denominator for w in weights]
    remainders = [total * w % denominator for w in weights]
    leftover = total - sum(parts)
    # Largest remainder first; equal remainders keep the order they were given in.
    order = sorted(range(len(weights)), key=lambda i: (-remainders[i], i))
    for i in order[:leftover]:
        parts[i] += 1
    return parts


def fee_split(price: int, fee_basis_points: int) -> tuple[int, int]:
    """(fee, rest) of a price under a fee rate in basis points."""
    if not 0 <= fee_basis_points <= BASIS_POINTS:
        raise ValueError("the fee rate must be between 0 and 10000 basis points")
    if price == 0:
        return 0, 0
    fee, rest = apportion(price, [fee_basis_points, BASIS_POINTS - fee_basis_points])
    return fee, rest
