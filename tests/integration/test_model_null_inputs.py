"""What the models' SQL functions answer for NULL inputs: NULL, not a verdict (both the
default model and the second one, served by the same plugin from their own artifacts)."""

from __future__ import annotations

import duckdb
import numpy as np
import pandas as pd
import pytest

from fraud_detection.defaults import MODEL_FUNCTIONS
from fraud_detection.learner.store import ModelStore
from fraud_detection.learner.training import TrainingOptions, train
from fraud_detection.plugins.fraud_model import PROBABILITY_SUFFIX, Plugin


@pytest.fixture(scope="module", params=list(MODEL_FUNCTIONS))
def model(request, tmp_path_factory):
    """(a connection with the plugin's functions, the model's function, its inputs), the
    model trained on random data."""
    name = request.param
    function, inputs = MODEL_FUNCTIONS[name]
    rng = np.random.default_rng(3)
    frame = pd.DataFrame(rng.random((600, len(inputs))), columns=list(inputs))
    frame["tx_datetime"] = pd.date_range("2024-01-01", periods=600, freq="10min")
    frame["tx_fraud"] = (frame.tx_amount > 0.9).astype(int)
    models = tmp_path_factory.mktemp("models")
    trained, info = train(frame, TrainingOptions(features=inputs), name)
    ModelStore(models, name).save(trained, info)
    with duckdb.connect() as connection:
        Plugin("test", {"models_dir": str(models)}).configure_connection(connection)
        yield connection, function, inputs


def call(model, row: list) -> tuple:
    connection, function, _ = model
    values = ", ".join("null" if value is None else str(value) for value in row)
    return connection.execute(
        f"select {function}({values}), {function}{PROBABILITY_SUFFIX}({values})"
    ).fetchone()


def test_null_inputs_give_null_prediction_and_probabilities(model):
    width = len(model[2])
    assert call(model, [None] * width) == (None, None)
    one_missing = [0.5] * width
    one_missing[3] = None
    assert call(model, one_missing) == (None, None)
    assert call(model, ["'nan'::double"] + [0.5] * (width - 1)) == (None, None)


def test_known_rows_beside_null_ones_keep_their_scores(model):
    connection, function, model_inputs = model
    inputs = ", ".join(model_inputs)
    every_third_null = ", ".join(
        f"case when i % 3 = 0 then null else i / 10 end as {column}" for column in model_inputs
    )
    rows = connection.execute(f"""
        with inputs as (
            select i, {every_third_null}
            from range(10) as t(i)
        )
        select i, {function}({inputs}), {function}{PROBABILITY_SUFFIX}({inputs})
        from inputs order by i
    """).fetchall()
    for i, prediction, probabilities in rows:
        if i % 3 == 0:
            assert prediction is None and probabilities is None
        else:
            assert prediction in (0, 1)
            assert sorted(probabilities["labels"]) == ["0", "1"]
            assert abs(sum(probabilities["probabilities"]) - 1) < 1e-9
