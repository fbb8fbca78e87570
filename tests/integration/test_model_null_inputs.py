"""What the model's SQL functions answer for NULL inputs: NULL, not a verdict."""

from __future__ import annotations

import duckdb
import numpy as np
import pandas as pd
import pytest

from fraud_detection.defaults import FUNCTION_NAME, MODEL_INPUTS, MODEL_NAME
from fraud_detection.learner.store import ModelStore
from fraud_detection.learner.training import TrainingOptions, train
from fraud_detection.plugins.fraud_model import PROBABILITY_SUFFIX, Plugin


@pytest.fixture(scope="module")
def connection(tmp_path_factory):
    rng = np.random.default_rng(3)
    frame = pd.DataFrame(rng.random((600, len(MODEL_INPUTS))), columns=list(MODEL_INPUTS))
    frame["tx_datetime"] = pd.date_range("2024-01-01", periods=600, freq="10min")
    frame["tx_fraud"] = (frame.tx_amount > 0.9).astype(int)
    models = tmp_path_factory.mktemp("models")
    model, info = train(frame, TrainingOptions(), MODEL_NAME)
    ModelStore(models, MODEL_NAME).save(model, info)
    with duckdb.connect() as connection:
        Plugin("test", {"models_dir": str(models)}).configure_connection(connection)
        yield connection


def call(connection, row: list) -> tuple:
    values = ", ".join("null" if value is None else str(value) for value in row)
    return connection.execute(
        f"select {FUNCTION_NAME}({values}), {FUNCTION_NAME}{PROBABILITY_SUFFIX}({values})"
    ).fetchone()


def test_null_inputs_give_null_prediction_and_probabilities(connection):
    assert call(connection, [None] * len(MODEL_INPUTS)) == (None, None)
    one_missing = [0.5] * len(MODEL_INPUTS)
    one_missing[3] = None
    assert call(connection, one_missing) == (None, None)
    assert call(connection, ["'nan'::double"] + [0.5] * (len(MODEL_INPUTS) - 1)) == (None, None)


def test_known_rows_beside_null_ones_keep_their_scores(connection):
    inputs = ", ".join(MODEL_INPUTS)
    every_third_null = ", ".join(
        f"case when i % 3 = 0 then null else i / 10 end as {column}" for column in MODEL_INPUTS
    )
    rows = connection.execute(f"""
        with inputs as (
            select i, {every_third_null}
            from range(10) as t(i)
        )
        select i, {FUNCTION_NAME}({inputs}), {FUNCTION_NAME}{PROBABILITY_SUFFIX}({inputs})
        from inputs order by i
    """).fetchall()
    for i, prediction, probabilities in rows:
        if i % 3 == 0:
            assert prediction is None and probabilities is None
        else:
            assert prediction in (0, 1)
            assert sorted(probabilities["labels"]) == ["0", "1"]
            assert abs(sum(probabilities["probabilities"]) - 1) < 1e-9
