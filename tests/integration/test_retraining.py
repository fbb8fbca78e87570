"""Retraining on a sliding window, through a gate (#22): the newest week of labelled
transactions is held out, and a new version serves only if it is not worse there than the
serving one; every decision is a row of dbt_ml_model_versions, in the warehouse."""

from __future__ import annotations

import pandas as pd
import pytest

from fraud_detection.testing.dbt import LocalDbt
from fraud_detection.testing.worlds import world_ready_to_train

START = "2024-01-01"
MODEL = "cust_cc_txn_fd"
VERSIONS = (
    "select version, status, reason, training_start, training_end, gate_start, gate_end,"
    " average_precision, card_precision_at_100, serving_version, serving_average_precision,"
    " serving_card_precision_at_100 from dbt_ml_model_versions order by version"
)


@pytest.fixture(scope="module")
def dbt(tmp_path_factory, kinesalite) -> LocalDbt:
    world = ["--customers", "300", "--terminals", "600", "--days", "60", "--seed", "6"]
    return world_ready_to_train(
        tmp_path_factory.mktemp("retraining"), kinesalite.endpoint_url, world, START
    )


def retrain(dbt: LocalDbt, days: int, tolerance: float = 0.02):
    window = f", training_days: {days}, model_gate_tolerance: {tolerance}"
    done = dbt.run("run", "-s", MODEL, vars=dbt.history_vars + window)
    assert done.returncode == 0, done.output[-3000:]
    return done


def versions(dbt: LocalDbt) -> pd.DataFrame:
    columns = VERSIONS.removeprefix("select ").split(" from ")[0].split(", ")
    return pd.DataFrame(dbt.query(VERSIONS), columns=columns).set_index("version")


def test_the_gate_refuses_a_worse_version_and_serves_one_not_worse(dbt):
    newest = pd.Timestamp(dbt.scalar("select max(tx_datetime) from int_training_features"))
    gate_start = newest.floor("D") - pd.Timedelta(days=6)

    first = retrain(dbt, 28)
    assert "version 1 serves: the first version: none serves yet" in first.output
    [v1] = versions(dbt).itertuples()
    assert v1.status == "serving" and v1.gate_start == gate_start
    assert 0 < v1.average_precision <= 1 and pd.isna(v1.serving_version)
    # 28 days before the gate week, which is held out; the gate week is the newest 7 days.
    assert v1.training_start >= gate_start - pd.Timedelta(days=28)
    assert v1.training_end < gate_start <= v1.gate_end <= newest

    # A version trained on one day, measured on the same gate week, is worse: refused.
    worse = retrain(dbt, 1)
    v2 = versions(dbt).loc[2]
    assert v2.status == "refused" and v2.serving_version == 1
    assert v2.reason.startswith("worse than v1 on the gate week")
    assert v2.average_precision < v2.serving_average_precision - 0.02 or (
        v2.card_precision_at_100 < v2.serving_card_precision_at_100 - 0.02
    )
    assert f"version 2 is refused: {v2.reason}" in worse.output
    assert dbt.scalar(f"select model_version from {MODEL}") == 1  # v1 goes on serving
    assert dbt.model_versions(MODEL) == ["v1", "v2"]

    # The same data again: not trained again.
    again = retrain(dbt, 1)
    assert "refused by the gate" in again.output and dbt.model_versions(MODEL) == ["v1", "v2"]

    # A version trained on more days is not worse: it serves, and v1 is retired.
    better = retrain(dbt, 45)
    table = versions(dbt)
    v3 = table.loc[3]
    assert v3.status == "serving" and v3.serving_version == 1
    assert v3.reason.startswith("not worse than v1 on the gate week")
    assert v3.average_precision >= v3.serving_average_precision - 0.02
    assert v3.card_precision_at_100 >= v3.serving_card_precision_at_100 - 0.02
    assert list(table.status) == ["retired", "refused", "serving"]
    assert "version 3 serves" in better.output
    assert dbt.scalar(f"select model_version from {MODEL}") == 3


def test_the_gate_figures_are_those_of_the_versions_on_the_gate_week(dbt):
    """The recorded figures, recomputed from the kept versions' scores of the gate week."""
    import pickle

    from fraud_detection.defaults import MODEL_INPUTS
    from fraud_detection.learner.gate import figures

    if len(versions(dbt)) < 2:
        retrain(dbt, 28)
        retrain(dbt, 1)
    row = versions(dbt).iloc[-1]
    gate = pd.DataFrame(
        dbt.query(
            f"select customer_id, tx_datetime, tx_fraud, {', '.join(MODEL_INPUTS)}"
            f" from int_training_features where tx_datetime >= '{row.gate_start}'"
        ),
        columns=["customer_id", "tx_datetime", "tx_fraud", *MODEL_INPUTS],
    )
    folder = dbt.folder / dbt.env["FRAUD_MODELS_DIR"] / MODEL
    for version, ap, cp in (
        (row.name, row.average_precision, row.card_precision_at_100),
        (row.serving_version, row.serving_average_precision, row.serving_card_precision_at_100),
    ):
        with (folder / f"v{int(version)}" / "model.pkl").open("rb") as file:
            model = pickle.load(file)
        scores = model.predict_proba(gate[list(MODEL_INPUTS)].to_numpy(float))[:, 1]
        measured = figures(gate, scores)
        assert (measured.average_precision, measured.card_precision_at_100) == (ap, cp)


def test_a_sliding_window_and_fixed_bounds_are_refused_together(dbt):
    both = dbt.run(
        "run", "-s", MODEL,
        vars=dbt.history_vars + ", training_days: 7, training_start: '2024-01-10'",
    )  # fmt: skip
    assert both.returncode != 0
    assert "the var training_days slides the training window" in both.output
    bad = dbt.run("run", "-s", MODEL, vars=dbt.history_vars + ", training_days: -3")
    assert bad.returncode != 0
    assert "the var training_days must be a whole number of days, 1 or more" in bad.output
