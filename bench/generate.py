"""generate_seconds: the default world (5,000 customers, 10,000 terminals, 183 days) written
as Parquet, as `python -m producer generate` does it. Target: under 5 s on 2 cores."""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

import numpy as np
import pyarrow as pa

from bench import results
from producer.customer_info import generate_customer_info
from producer.files import transactions_table, write_table
from producer.history import generate_history
from producer.world import WorldConfig, build_world

RUNS = 5


def generate_once(out: Path) -> tuple[float, int, float]:
    started = time.perf_counter()
    config = WorldConfig()
    history = generate_history(build_world(config), 183)
    write_table(transactions_table(history, config.start), out / "cust_payment_tx_history.parquet")
    info = pa.Table.from_pandas(generate_customer_info(config), preserve_index=False)
    write_table(info, out / "customer_info.parquet")
    return time.perf_counter() - started, len(history), float(np.mean(history.tx_fraud))


def main() -> None:
    seconds = []
    with tempfile.TemporaryDirectory() as folder:
        for _ in range(RUNS):
            elapsed, transactions, fraud_rate = generate_once(Path(folder))
            seconds.append(elapsed)
    results.write(
        "generate",
        {
            "generate_seconds": round(results.median(seconds), 3),
            "generate_transactions": transactions,
            "generate_fraud_rate": round(fraud_rate, 5),
            "handbook_transactions": 1_754_155,
            "handbook_fraud_rate": 0.00837,
            "target_generate_seconds": 5.0,
        },
        {"generate_seconds": [round(s, 3) for s in seconds]},
    )


if __name__ == "__main__":
    main()
