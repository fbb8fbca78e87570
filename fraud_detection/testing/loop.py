"""Running the refresh loop beside a replay, for tests and benchmarks."""

from __future__ import annotations

import subprocess
from collections.abc import Callable


def once_published(producer: subprocess.Popen) -> Callable[[], bool]:
    """A ``should_stop`` for run_loop: false until one more cycle has run after the producer
    exited, so that the loop takes what it published last."""
    last: list[bool] = []

    def done() -> bool:
        if last:
            return True
        if producer.poll() is not None:
            last.append(True)
        return False

    return done
