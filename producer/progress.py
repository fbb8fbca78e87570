"""A one-line progress bar on stderr for the publishing commands."""

from __future__ import annotations

import sys
import time

from producer.publish import PublishStats


class Progress:
    """Redrawn at most 10 times a second; the share done comes from a count or a duration."""

    def __init__(self, total: int | None, duration: float | None) -> None:
        self._total = total
        self._duration = duration
        self._started = time.monotonic()
        self._drawn = 0.0

    def update(self, stats: PublishStats) -> None:
        now = time.monotonic()
        if now - self._drawn < 0.1:
            return
        self._drawn = now
        elapsed = now - self._started
        if self._total:
            share = (stats.sent + stats.failed) / self._total
        elif self._duration:
            share = min(1.0, elapsed / self._duration)
        else:
            share = 0.0
        bar = "#" * int(share * 30)
        rate = stats.sent / elapsed if elapsed > 0 else 0.0
        sys.stderr.write(
            f"\r[{bar:<30}] {share:4.0%} sent {stats.sent:,} retried {stats.retried:,} "
            f"failed {stats.failed:,} {rate:,.0f}/s"
        )
        sys.stderr.flush()

    def close(self) -> None:
        sys.stderr.write("\n")
        sys.stderr.flush()
