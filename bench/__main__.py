"""Run the benchmarks named on the command line (default: all), in order."""

from __future__ import annotations

import importlib
import sys

BENCHMARKS = (
    "generate",
    "publish",
    "ingest",
    "features",
    "model",
    "tune",
    "model_protocol",
    "freshness",
    "scale",
    "soak",
    "month",
)


def main(argv: list[str]) -> int:
    names = argv or list(BENCHMARKS)
    unknown = [name for name in names if name not in BENCHMARKS]
    if unknown:
        print(f"error: unknown benchmark(s) {', '.join(unknown)}; known: {', '.join(BENCHMARKS)}")
        return 2
    for name in names:
        importlib.import_module(f"bench.{name}").main()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
