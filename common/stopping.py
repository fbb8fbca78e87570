"""Ctrl-C and SIGTERM as a flag: the first asks work in progress to finish (the publisher sends
what it holds, the refresh loop ends its cycle), a second aborts with KeyboardInterrupt."""

from __future__ import annotations

import signal
import sys
from collections.abc import Iterator
from contextlib import contextmanager


class StopFlag:
    """Set by Ctrl-C or SIGTERM while `handling_signals` is active; call it to read it."""

    def __init__(self, message: str = "stopping (Ctrl-C again to abort)") -> None:
        self.stopping = False
        self.message = message

    def __call__(self) -> bool:
        return self.stopping

    def handle(self, signum: int, frame: object) -> None:
        if self.stopping:  # a second Ctrl-C stops at once
            raise KeyboardInterrupt
        self.stopping = True
        print(f"\n{self.message}", file=sys.stderr)


@contextmanager
def handling_signals(flag: StopFlag) -> Iterator[StopFlag]:
    """SIGINT and SIGTERM set ``flag`` inside the block; the previous handlers come back after."""
    previous = {sig: signal.signal(sig, flag.handle) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield flag
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
