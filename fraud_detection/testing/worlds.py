"""A small world ready to train on, for tests."""

from __future__ import annotations

import uuid
from pathlib import Path

from fraud_detection.testing.dbt import LocalDbt
from fraud_detection.testing.kinesis import fresh_streams
from producer.cli import main as producer
from producer.kinesis import make_client


def world_ready_to_train(folder: Path, endpoint_url: str, world: list[str], start: str) -> LocalDbt:
    """The world of the producer's ``world`` arguments from ``start``, generated into
    folder/world, an empty stream of its own at the endpoint, and the training features built:
    dbt in ``folder``, ready to train the model (its artifacts in folder/models)."""
    generate = ["generate", *world, "--start-date", start, "--out", str(folder / "world")]
    assert producer(generate) == 0
    stream = fresh_streams(make_client(endpoint_url), f"{folder.name}-{uuid.uuid4().hex[:8]}")
    dbt = LocalDbt(folder, endpoint_url, stream)
    dbt.build_training_features(
        folder / "world" / "cust_payment_tx_history.parquet", folder / "models"
    )
    return dbt
