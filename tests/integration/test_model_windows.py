"""The model trains on any window holding both classes (the Handbook's 7 days, or a single
day), says how it validated; a window that cannot train fails in one line naming it, and the
model in place keeps serving."""

from __future__ import annotations

import pytest

from fraud_detection.defaults import FUNCTION_NAME, MODEL_INPUTS
from fraud_detection.testing.dbt import LocalDbt
from fraud_detection.testing.worlds import world_ready_to_train

START = "2024-01-01"
INPUTS = ", ".join(MODEL_INPUTS)


@pytest.fixture(scope="module")
def dbt(tmp_path_factory, kinesalite) -> LocalDbt:
    world = ["--customers", "300", "--terminals", "600", "--days", "40", "--seed", "4"]
    return world_ready_to_train(
        tmp_path_factory.mktemp("windows"), kinesalite.endpoint_url, world, START
    )


def train(dbt: LocalDbt, start: str, end: str):
    window = f", training_start: '{start}', training_end: '{end}'"
    return dbt.run("run", "-s", "cust_cc_txn_fd", vars=dbt.history_vars + window)


def serving(dbt: LocalDbt) -> tuple[int, int]:
    """(SHOW MODEL's version, how many training rows the served function scores at all)."""
    with dbt.model_connection() as connection:
        version = connection.execute("select model_version from cust_cc_txn_fd").fetchone()[0]
        scored = connection.execute(
            f"select count({FUNCTION_NAME}({INPUTS})) from int_training_features"
        ).fetchone()[0]
    return version, scored


@pytest.mark.parametrize(
    ("start", "end"), [("2024-02-01", "2024-02-02"), ("2024-02-01", "2024-02-08")]
)
def test_a_one_day_and_a_seven_day_window_train(dbt, start, end):
    trained = train(dbt, start, end)
    assert trained.returncode == 0, trained.output[-3000:]
    [(scheme, first, last, frauds)] = dbt.query(
        "select validation_scheme, training_start, training_end, training_frauds "
        "from cust_cc_txn_fd"
    )
    assert scheme.startswith("stratified") and scheme.endswith("days, under 28 days")
    assert f"({scheme})" in trained.output
    assert str(first) >= start and str(last) < end and frauds > 0
    assert serving(dbt)[1] == dbt.scalar("select count(*) from int_training_features")


def test_a_window_that_cannot_train_fails_naming_it_and_the_model_keeps_serving(dbt):
    if not dbt.model_versions("cust_cc_txn_fd"):
        assert train(dbt, "2024-02-01", "2024-02-08").returncode == 0
    before, kept = dbt.model_versions("cust_cc_txn_fd"), serving(dbt)
    # an hour of genuine transactions only
    start, end = dbt.query("""
        select hour, hour + interval 1 hour
        from (
            select date_trunc('hour', tx_datetime) as hour, sum(tx_fraud) as frauds
            from int_training_features group by all
        )
        where frauds = 0 order by hour limit 1
    """)[0]
    rows = dbt.scalar(
        f"select count(*) from int_training_features "
        f"where tx_datetime >= '{start}' and tx_datetime < '{end}'"
    )
    no_fraud = train(dbt, str(start), str(end))
    assert no_fraud.returncode != 0
    assert (
        f"cust_cc_txn_fd: the training window (training_start {start}, training_end {end}) "
        f"holds no fraud ({rows} transactions, 0 frauds): a model needs both; "
        "the model in place, if any, keeps serving"
    ) in no_fraud.output
    empty = train(dbt, "2030-01-01", "2030-01-02")
    assert empty.returncode != 0
    assert (
        "the training window (training_start 2030-01-01, training_end 2030-01-02) holds no "
        "transactions;"
    ) in empty.output
    assert dbt.model_versions("cust_cc_txn_fd") == before and serving(dbt) == kept
