"""Capped exponential backoff with full jitter, as AWS's SDKs back off: the n-th wait (n from
1) is drawn uniformly between 0 and min(cap, base * 2 ** (n - 1)), so that clients that failed
together do not retry together. The producer's publisher and the refresh loop both use it."""

from __future__ import annotations


def full_jitter_delay(uniform, base: float, cap: float, attempt: int) -> float:
    """The wait before retry ``attempt`` (1, 2, ...); ``uniform(low, high)`` draws it."""
    return float(uniform(0, min(cap, base * 2 ** min(attempt - 1, 30))))
