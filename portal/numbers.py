"""Numbers as people and API clients send them."""

from __future__ import annotations

import contextlib
from decimal import Decimal, InvalidOperation

FRACTION = "a fraction from 0 to 1"


def fraction_clean(value, places: int | None = None) -> tuple[Decimal | None, str | None]:
    """`value` (a number or a numeric string) as a fraction from 0 to 1, or the problem with it:
    not a number (true, NaN, "abc"), out of range, or, given `places`, more decimal places than the
    column keeps (it would be rounded silently)."""
    fraction = None
    if not isinstance(value, bool):
        with contextlib.suppress(InvalidOperation):
            fraction = Decimal(str(value))
    if fraction is None or not fraction.is_finite() or not 0 <= fraction <= 1:
        return None, FRACTION
    if places is not None and fraction != fraction.quantize(Decimal(1).scaleb(-places)):
        return None, f"{FRACTION} with at most {places} decimal places"
    return fraction, None
