"""What the benchmarks of the model share: the default world, built with dbt, and the
training sample the ml_model materialization keeps within MAX_CELLS, mirrored in Python."""

from __future__ import annotations

import hashlib
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pandas as pd

from fraud_detection.testing.dbt import LocalDbt
from fraud_detection.testing.kinesis import fresh_streams
from fraud_detection.testing.ports import free_port
from producer.cli import main as producer
from producer.kinesis import make_client
from producer.local_kinesis import LocalKinesis


@contextmanager
def default_world(name: str, artifacts: bool = False) -> Iterator[LocalDbt]:
    """The default world (183 days from 2018-04-01) with its history, customer_info and
    training features built, in a folder of its own; the training set reads the stream's
    labelled transactions too, so an empty stream is made beside it."""
    with (
        tempfile.TemporaryDirectory() as folder,
        LocalKinesis(port=free_port(), data_dir=Path(folder) / "kinesis") as server,
    ):
        stream = fresh_streams(make_client(server.endpoint_url), f"bench-{name}")
        world = Path(folder) / "world"
        assert producer(["generate", "--out", str(world)]) == 0
        dbt = LocalDbt(Path(folder) / "dbt", server.endpoint_url, stream, artifacts=artifacts)
        dbt.build_training_features(
            world / "cust_payment_tx_history.parquet", Path(folder) / "models"
        )
        yield dbt


def md5_sample(rows: pd.DataFrame, rate: float, seed: int = 0) -> pd.DataFrame:
    """Every fraud of ``rows``, and the genuine rows whose md5('<seed>:' || transaction_id)
    begins below ``rate`` of the hash space: ml_model_training_sample's rule."""
    threshold = f"{int(rate * 2**32):08x}"
    kept = rows["transaction_id"].map(
        lambda i: hashlib.md5(f"{seed}:{i}".encode()).hexdigest()[:8] < threshold
    )
    return rows[(rows["tx_fraud"] == 1) | kept]


def budget_rate(rows: pd.DataFrame, columns: int, max_cells: int = 1_000_000) -> float:
    """The share of genuine rows ml_model_training_sample keeps so that every fraud and
    them fill 98% of ``max_cells``; 1.0 when every row fits."""
    if len(rows) * columns <= max_cells:
        return 1.0
    frauds = int(rows["tx_fraud"].sum())
    return (int(0.98 * max_cells / columns) - frauds) / (len(rows) - frauds)
