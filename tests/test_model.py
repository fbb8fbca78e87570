"""The fraud model locally: trained in-process by dbt, served as fn_customer_cc_fd, retrained
only when something changed; and its Redshift statements, rendered offline and checked."""

from __future__ import annotations

import json
import re
import uuid

import numpy as np
import pandas as pd
import pytest

from producer.cli import main as producer
from producer.fraud_model import FEATURES, TrainingOptions, train
from producer.kinesis import ensure_stream, make_client
from tests.dbt_runner import LocalDbt
from tests.redshift_sql import parses_as_redshift

START = "2024-01-01"
INPUTS = ", ".join(FEATURES)


@pytest.fixture(scope="module")
def dbt(tmp_path_factory, kinesalite) -> LocalDbt:
    folder = tmp_path_factory.mktemp("model")
    assert (
        producer(
            [
                "generate",
                "--customers",
                "400",
                "--terminals",
                "800",
                "--days",
                "75",
                "--start-date",
                START,
                "--seed",
                "9",
                "--out",
                str(folder / "world"),
            ]
        )
        == 0
    )
    stream = f"model-{uuid.uuid4().hex[:8]}"
    ensure_stream(make_client(kinesalite.endpoint_url), stream, shards=2, create=True)
    runner = LocalDbt(folder, kinesalite.endpoint_url, stream)
    runner.env["FRAUD_MODELS_DIR"] = str(folder / "models")
    runner.history_vars = f"history_path: '{folder / 'world' / 'cust_payment_tx_history.parquet'}'"
    built = runner.run(
        "build",
        "-s",
        "customer_info",
        "cust_payment_tx_history",
        "int_training_features",
        vars=runner.history_vars,
    )
    assert built.returncode == 0, built.output[-3000:]
    return runner


def versions(dbt: LocalDbt) -> list[str]:
    folder = dbt.database.parent / "models" / "cust_cc_txn_fd"
    return sorted(p.name for p in folder.glob("v*")) if folder.exists() else []


def test_the_function_before_any_training_names_the_command(dbt):
    result = dbt.run(
        "show",
        "--inline",
        f"select fn_customer_cc_fd({INPUTS}) from {{{{ ref('int_training_features') }}}}",
        vars=dbt.history_vars,
    )
    assert result.returncode != 0
    assert (
        "no model cust_cc_txn_fd is trained yet: run `dbt run -s cust_cc_txn_fd`" in result.output
    )


def test_training_reuse_and_retraining(dbt):
    trained = dbt.run("run", "-s", "cust_cc_txn_fd", vars=dbt.history_vars)
    assert trained.returncode == 0, trained.output[-3000:]
    assert "training (first model)" in trained.output
    assert versions(dbt) == ["v1"]
    [row] = dbt.query(
        "select model_state, learner, objective, training_rows, threshold, features "
        "from cust_cc_txn_fd"
    )
    assert row[0] == "Model is Ready" and row[1] in ("xgboost", "logistic_regression")
    assert row[2] == "F1" and row[3] == dbt.scalar("select count(*) from int_training_features")
    assert 0 < row[4] < 1 and json.loads(row[5]) == list(FEATURES)
    metadata = json.loads(
        (dbt.database.parent / "models/cust_cc_txn_fd/v1/metadata.json").read_text()
    )
    assert {c["learner"] for c in metadata["candidates"]} == {
        "xgboost",
        "logistic_regression",
    }

    unchanged = dbt.run("run", "-s", "cust_cc_txn_fd", vars=dbt.history_vars)
    assert unchanged.returncode == 0 and "the model is current" in unchanged.output
    assert versions(dbt) == ["v1"]

    asked = dbt.run(
        "run", "-s", "cust_cc_txn_fd", vars=dbt.history_vars + ", retrain_models: [cust_cc_txn_fd]"
    )
    assert asked.returncode == 0 and versions(dbt) == ["v1", "v2"]

    window = dbt.run(
        "run", "-s", "cust_cc_txn_fd", vars=dbt.history_vars + ", training_end: '2024-03-01'"
    )
    assert window.returncode == 0 and "data or options changed" in window.output
    assert versions(dbt) == ["v1", "v2", "v3"]
    assert dbt.scalar("select training_end from cust_cc_txn_fd") < pd.Timestamp("2024-03-01")

    # AUTO OFF MODEL_TYPE XGBOOST, as on Redshift: that learner only, threshold tuned for F1.
    auto_off = dbt.history_vars + ", model_auto: false, model_objective: 'binary:logistic'"
    xgboost_only = dbt.run("run", "-s", "cust_cc_txn_fd", vars=auto_off + ", model_type: xgboost")
    assert xgboost_only.returncode == 0, xgboost_only.output[-3000:]
    [(learner, candidates)] = dbt.query("select learner, candidates from cust_cc_txn_fd")
    assert learner == "xgboost" and [c["learner"] for c in json.loads(candidates)] == ["xgboost"]
    no_local = dbt.run("run", "-s", "cust_cc_txn_fd", vars=auto_off + ", model_type: mlp")
    assert no_local.returncode != 0
    assert "model_type mlp has no local counterpart (xgboost, linear_learner)" in no_local.output
    assert versions(dbt) == ["v1", "v2", "v3", "v4"]


def test_predictions_on_the_stream(dbt):
    if not versions(dbt):
        assert dbt.run("run", "-s", "cust_cc_txn_fd", vars=dbt.history_vars).returncode == 0
    labels = dbt.database.parent / "labels.csv"
    assert (
        producer(
            [
                "stream",
                "--stream",
                dbt.stream,
                "--endpoint-url",
                dbt.env["KINESIS_ENDPOINT_URL"],
                "--customers",
                "400",
                "--terminals",
                "800",
                "--seed",
                "9",
                "--start-date",
                START,
                "--rate",
                "5000",
                "--count",
                "800",
                "--labels-out",
                str(labels),
            ]
        )
        == 0
    )
    built = dbt.run(
        "build",
        "-s",
        "cust_payment_tx_stream+",
        "--exclude",
        "int_training_features",
        "cust_cc_txn_fd",
        vars=dbt.history_vars,
    )
    assert built.returncode == 0, built.output[-3000:]
    rows = dbt.query(
        "select fraud_probability, fraud_prediction, full_name, email_address "
        "from cust_payment_tx_fraud_predictions"
    )
    assert len(rows) == 800
    threshold = dbt.scalar("select threshold from cust_cc_txn_fd")
    assert all(
        0 <= p <= 1 and f == int(p >= threshold) and name and email for p, f, name, email in rows
    )


def test_automl_picks_by_the_objective_on_a_time_ordered_split():
    rng = np.random.default_rng(1)
    n = 4_000
    frame = pd.DataFrame(rng.random((n, len(FEATURES))), columns=list(FEATURES))
    frame["tx_datetime"] = pd.date_range("2024-01-01", periods=n, freq="15min")
    # fraud depends on an interaction no linear model sees: the trees must win
    frame["tx_fraud"] = (
        (frame.tx_amount > 0.7) & (frame.terminal_id_risk_7day_window > 0.6)
    ).astype(int)
    _model, info = train(frame, TrainingOptions(objective="AP"), "m")
    assert info.learner == "xgboost"
    assert {c["learner"] for c in info.candidates} == {"xgboost", "logistic_regression"}
    assert info.validation_objective_value > 0.9 and 0 < info.threshold < 1
    with pytest.raises(ValueError, match="objective must be one of"):
        TrainingOptions(objective="accuracy")
    with pytest.raises(ValueError, match="both frauds and genuine"):
        train(frame.assign(tx_fraud=0), TrainingOptions(), "m")


# -- Redshift ML, offline -------------------------------------------------------------------

REDSHIFT_TEMPLATE = """
{%- set relation = api.Relation.create(database='dev', schema='fraud_detection', identifier='cust_cc_txn_fd') -%}
{%- set features = ['tx_amount', 'tx_during_weekend', 'tx_during_night'] -%}
{%- set common = {'features': features, 'target': 'tx_fraud', 'function': 'fn_customer_cc_fd',
    'iam_role': var('redshift_iam_role'), 'problem_type': 'binary_classification', 'preprocessors': none,
    's3_bucket': 'fraud-ml-bucket', 's3_garbage_collect': true, 'max_cells': 1000000, 'max_runtime': 5400,
    'kms_key_id': 'arn:aws:kms:us-east-1:123456789012:key/abc'} -%}
{%- set auto_on = dict(common, auto=true, model_type=none, objective='F1', hyperparameters=none) -%}
{%- set auto_off = dict(common, auto=false, model_type='xgboost', objective='binary:logistic',
    hyperparameters={'num_round': '200', 'max_depth': '6'}) -%}
{{ tojson({
    'auto_on': redshift__ml_model_train_statements(relation, auto_on, 'select * from training'),
    'auto_off': redshift__ml_model_train_statements(relation, auto_off, 'select * from training'),
    'state': [redshift__ml_model_state_sql(relation)],
    'pause': [redshift__ml_model_pause_sql(30)],
}) }}
"""
CREATE_MODEL = re.compile(
    r"^create model fraud_detection\.cust_cc_txn_fd from \( select tx_amount, tx_during_weekend, "
    r"tx_during_night, tx_fraud from \( select \* from training \) as training_set \) "
    r"target tx_fraud function fn_customer_cc_fd iam_role 'arn:aws:iam::\d{12}:role/[\w-]+'"
    r"(?P<options>.*) settings \( s3_bucket 'fraud-ml-bucket', s3_garbage_collect on, "
    r"max_cells 1000000, max_runtime 5400, kms_key_id 'arn:aws:kms:[^']+' \)$"
)


@pytest.fixture(scope="module")
def redshift_ml(redshift) -> dict[str, list[str]]:
    ok, compiled = redshift(REDSHIFT_TEMPLATE)
    assert ok, compiled
    return {
        name: [" ".join(s.split()) for s in statements]
        for name, statements in json.loads(compiled).items()
    }


def test_create_model_auto_on_and_auto_off_xgboost(redshift_ml):
    drop, create = redshift_ml["auto_on"]
    assert drop == "drop model if exists fraud_detection.cust_cc_txn_fd"
    match = CREATE_MODEL.match(create)
    assert match, create
    assert match["options"] == " problem_type binary_classification objective 'F1'"
    drop, create = redshift_ml["auto_off"]
    match = CREATE_MODEL.match(create)
    assert match, create
    assert match["options"] == (
        " auto off model_type xgboost problem_type binary_classification objective 'binary:logistic'"
        " hyperparameters default except ( num_round '200', max_depth '6' )"
    )


def test_polling_and_state_queries_parse_as_redshift(redshift_ml):
    for sql in redshift_ml["state"] + redshift_ml["pause"]:
        assert parses_as_redshift(sql) == [], sql
    assert "from stv_ml_model_info" in redshift_ml["state"][0]
    # CREATE MODEL's SETTINGS (a, b) is a known sqlfluff gap, hence the pattern above.
    assert parses_as_redshift(redshift_ml["auto_on"][1])


def test_the_redshift_model_materialization_runs_outside_transactions():
    from tests.dbt_runner import PROJECT_DIR

    source = (PROJECT_DIR / "macros/materializations/ml_model.sql").read_text()
    block = source.split("adapter='redshift'")[1].split("{% endmaterialization %}")[0]
    calls = re.findall(r"call statement\(([^)]*)\)", block)
    assert calls and all("auto_begin=False" in call for call in calls), calls
