"""The second model (the var fraud_model_plus): it trains with dbt beside the default one,
each keeping its own artifacts and functions; its extra inputs (the macro relative_features)
are the same for a transaction in the training set and when the stream scores it, and keep
NULL as NULL. A plain dbt build leaves it out."""

from __future__ import annotations

import json
import re
import uuid

import numpy as np
import pandas as pd
import pytest

from fraud_detection.defaults import (
    FUNCTION_NAME,
    MODEL_INPUTS,
    MODEL_NAME,
    PLUS_EXTRA_INPUTS,
    PLUS_FUNCTION_NAME,
    PLUS_MODEL_INPUTS,
    PLUS_MODEL_NAME,
)
from fraud_detection.testing.dbt import LocalDbt
from fraud_detection.testing.kinesis import fresh_streams
from producer.cli import main as producer
from producer.kinesis import make_client

START = "2024-01-01"
DAYS = 40
HISTORY_DAYS = 34  # the stream carries the last 6 days


@pytest.fixture(scope="module")
def world(tmp_path_factory) -> dict:
    folder = tmp_path_factory.mktemp("plus_world")
    world = ["--customers", "200", "--terminals", "400", "--days", str(DAYS), "--seed", "6"]
    assert producer(["generate", *world, "--start-date", START, "--out", str(folder)]) == 0
    full = pd.read_parquet(folder / "cust_payment_tx_history.parquet")
    full[full.TX_TIME_DAYS < HISTORY_DAYS].to_parquet(folder / "history_early.parquet")
    late = full[full.TX_TIME_DAYS >= HISTORY_DAYS]
    late.to_csv(folder / "stream_days.csv", index=False)
    return {"folder": folder, "late_ids": set(late.TRANSACTION_ID)}


@pytest.fixture(scope="module")
def trained(tmp_path_factory, world, kinesalite) -> LocalDbt:
    """The training set of the whole world, and both models trained on it."""
    folder = tmp_path_factory.mktemp("plus_dbt")
    stream = fresh_streams(make_client(kinesalite.endpoint_url), f"plus-{uuid.uuid4().hex[:8]}")
    dbt = LocalDbt(folder, kinesalite.endpoint_url, stream)  # an empty stream
    dbt.build_training_features(world["folder"] / "cust_payment_tx_history.parquet", folder / "m")
    for model in (PLUS_MODEL_NAME, MODEL_NAME):
        result = dbt.run("run", "-s", model, vars=dbt.history_vars)
        assert result.returncode == 0, result.output[-3000:]
    return dbt


def plus_inputs(dbt: LocalDbt, relation: str) -> pd.DataFrame:
    frame = pd.DataFrame(
        dbt.query(f"select transaction_id, {', '.join(PLUS_MODEL_INPUTS)} from {relation}"),
        columns=["transaction_id", *PLUS_MODEL_INPUTS],
    )
    return frame.set_index("transaction_id").sort_index().astype(float)


def test_the_second_model_trains_beside_the_default_one(trained):
    with trained.model_connection() as connection:
        [(state, function, features)] = connection.execute(
            f"select model_state, function_name, features from {PLUS_MODEL_NAME}"
        ).fetchall()
        assert (state, function) == ("Model is Ready", PLUS_FUNCTION_NAME)
        assert tuple(json.loads(features)) == PLUS_MODEL_INPUTS
        # Each model scores through its own function, from its own artifacts.
        plus, default, rows = connection.execute(f"""
            select
                count({PLUS_FUNCTION_NAME}({", ".join(PLUS_MODEL_INPUTS)})),
                count({FUNCTION_NAME}({", ".join(MODEL_INPUTS)})),
                count(*)
            from int_training_features
        """).fetchone()
    assert plus == default == rows > 0
    assert trained.model_versions(PLUS_MODEL_NAME) == trained.model_versions(MODEL_NAME) == ["v1"]


def test_the_extra_inputs_are_ratios_of_the_15(trained):
    frame = plus_inputs(trained, "int_training_features")

    def ratio(numerator: str, denominator: str) -> np.ndarray:
        top, bottom = frame[numerator].to_numpy(), frame[denominator].to_numpy()
        return np.where(bottom == 0, 1.0, top / np.where(bottom == 0, 1.0, bottom))

    expected = {
        **{
            f"tx_amount_to_customer_avg_{w}day_window": ratio(
                "tx_amount", f"customer_id_avg_amount_{w}day_window"
            )
            for w in (1, 7, 30)
        },
        **{
            f"customer_{kind}_{w}day_to_30day_window": ratio(
                f"customer_id_{kind}_{w}day_window", f"customer_id_{kind}_30day_window"
            )
            for w in (1, 7)
            for kind in ("avg_amount", "nb_tx")
        },
    }
    assert set(PLUS_EXTRA_INPUTS) <= set(expected)
    for name in PLUS_EXTRA_INPUTS:
        np.testing.assert_allclose(frame[name], expected[name], rtol=1e-12, err_msg=name)


def test_scoring_the_stream_gives_the_training_sets_extra_inputs(
    tmp_path, kinesalite, kinesis_client, world, trained
):
    stream = f"plus-{uuid.uuid4().hex[:8]}"
    fresh_streams(kinesis_client, stream, shards=2)
    replay = ["replay", str(world["folder"] / "stream_days.csv"), "--stream", stream]
    assert producer([*replay, "--endpoint-url", kinesalite.endpoint_url]) == 0
    dbt = LocalDbt(tmp_path, kinesalite.endpoint_url, stream)
    history = f"history_path: '{world['folder'] / 'history_early.parquet'}'"
    result = dbt.run("run", "-s", "+int_scoring_features", vars=history)
    assert result.returncode == 0, result.output[-3000:]

    scored = plus_inputs(dbt, "int_scoring_features")
    assert set(scored.index) == world["late_ids"]
    training = plus_inputs(trained, "int_training_features").loc[scored.index]
    for name in PLUS_MODEL_INPUTS:
        np.testing.assert_allclose(scored[name], training[name], rtol=0, atol=1e-9, err_msg=name)


def test_null_inputs_give_null_extra_inputs_and_zero_means_give_one(trained):
    rows = """
        (1, 10.0, 5.0, 2, 4),
        (2, null, 5.0, 2, 4),
        (3, 10.0, null, null, 4),
        (4, 0.0, 0.0, 0, 0),
        (5, -40.0, 0.0, 2, 4)
    """
    columns = (
        "id, tx_amount, customer_id_avg_amount_1day_window, customer_id_nb_tx_1day_window,"
        " customer_id_nb_tx_30day_window"
    )
    inline = f"""
        select id, {{{{ relative_features() }}}}
        from (
            select *,
                customer_id_avg_amount_1day_window as customer_id_avg_amount_7day_window,
                customer_id_avg_amount_1day_window as customer_id_avg_amount_30day_window,
                customer_id_nb_tx_1day_window as customer_id_nb_tx_7day_window
            from (values {rows}) as given({columns})
        ) as inputs
        order by id
    """
    shown = trained.run(
        "show", "--inline", inline, "--output", "json", "--limit", "10", vars=trained.history_vars
    )
    assert shown.returncode == 0, shown.output[-3000:]
    [payload] = re.findall(r'\{\s*"show":.*\}', shown.output, re.DOTALL)
    result = {row["id"]: row for row in json.loads(payload)["show"]}
    assert result[1]["tx_amount_to_customer_avg_1day_window"] == 2.0
    assert result[1]["customer_nb_tx_1day_to_30day_window"] == 0.5
    assert result[2]["tx_amount_to_customer_avg_1day_window"] is None
    assert result[2]["customer_avg_amount_1day_to_30day_window"] == 1.0
    assert all(result[3][name] is None for name in PLUS_EXTRA_INPUTS if "avg" in name)
    assert result[3]["customer_nb_tx_1day_to_30day_window"] is None
    assert all(result[4][name] == 1.0 for name in PLUS_EXTRA_INPUTS)
    assert result[5]["tx_amount_to_customer_avg_1day_window"] == 1.0


def test_a_plain_build_leaves_the_second_model_out(trained):
    listed = trained.run("ls", "--resource-type", "model", "--output", "name")
    assert listed.returncode == 0, listed.output[-3000:]
    names = set(listed.output.split())
    assert MODEL_NAME in names and PLUS_MODEL_NAME not in names
    named = trained.run("ls", "-s", PLUS_MODEL_NAME, "--output", "name")
    assert PLUS_MODEL_NAME in named.output.split()
