"""The fraud model locally: trained in-process by dbt, served as fn_customer_cc_fd, retrained
only when something changed; and its Redshift statements, rendered offline and checked."""

from __future__ import annotations

import hashlib
import json
import uuid

import pandas as pd
import pytest

from fraud_detection.defaults import MODEL_INPUTS, MODEL_XGBOOST_HYPERPARAMETERS
from fraud_detection.learner.store import ModelStore
from fraud_detection.learner.training import prior_corrected
from fraud_detection.testing.dbt import LocalDbt
from fraud_detection.testing.kinesis import fresh_streams
from producer.cli import main as producer
from producer.kinesis import make_client

START = "2024-01-01"
INPUTS = ", ".join(MODEL_INPUTS)
SCORING_INPUTS = ", ".join(f"scoring.{column}" for column in MODEL_INPUTS)


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
    fresh_streams(make_client(kinesalite.endpoint_url), stream, shards=2)
    runner = LocalDbt(folder, kinesalite.endpoint_url, stream)
    runner.build_training_features(
        folder / "world" / "cust_payment_tx_history.parquet", folder / "models"
    )
    return runner


def booster_settings(dbt: LocalDbt) -> tuple[int, int]:
    """The serving version's XGBoost: its number of trees and depth."""
    model, _ = ModelStore(dbt.folder / dbt.env["FRAUD_MODELS_DIR"], "cust_cc_txn_fd").load()
    return model.get_params()["n_estimators"], model.get_params()["max_depth"]


def versions(dbt: LocalDbt) -> list[str]:
    return dbt.model_versions("cust_cc_txn_fd")


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
    assert 0 < row[4] < 1 and json.loads(row[5]) == list(MODEL_INPUTS)
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
    # AUTO OFF's HYPERPARAMETERS, as on Redshift: the project's tuned ones, else the var's.
    assert booster_settings(dbt) == (
        MODEL_XGBOOST_HYPERPARAMETERS["num_round"],
        MODEL_XGBOOST_HYPERPARAMETERS["max_depth"],
    )
    chosen = (
        auto_off + ", model_type: xgboost, model_hyperparameters: {num_round: '30', max_depth: '3'}"
    )
    assert dbt.run("run", "-s", "cust_cc_txn_fd", vars=chosen).returncode == 0
    assert booster_settings(dbt) == (30, 3)
    not_xgboost = dbt.run("run", "-s", "cust_cc_txn_fd", vars=auto_off + ", model_type: mlp")
    assert not_xgboost.returncode != 0
    assert "AUTO OFF (the var model_auto: false) needs the var model_type: xgboost" in (
        not_xgboost.output
    )
    no_local = dbt.run("run", "-s", "cust_cc_txn_fd", vars=dbt.history_vars + ", model_type: mlp")
    assert no_local.returncode != 0
    assert "model_type mlp has no local counterpart (xgboost, linear_learner)" in no_local.output
    # Fewer rows than CREATE MODEL takes (500): refused before training, as on Redshift.
    trained = versions(dbt)
    short = dbt.run(
        "run",
        "-s",
        "cust_cc_txn_fd",
        vars=dbt.history_vars
        + ", training_start: '2024-02-01 09:00', training_end: '2024-02-01 10:00'",
    )
    assert short.returncode != 0
    assert (
        "cust_cc_txn_fd: the training window (training_start 2024-02-01 09:00, training_end"
        " 2024-02-01 10:00) holds "
    ) in short.output
    assert " transactions; CREATE MODEL needs at least 500: widen it; the model in place" in (
        short.output
    )
    assert versions(dbt) == trained
    assert versions(dbt) == ["v1", "v2", "v3", "v4", "v5"]


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
        "cust_cc_txn_fd_plus",  # a second model, trained in test_model_plus
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


def test_over_max_cells_every_fraud_and_a_seeded_sample_train_and_probabilities_are_corrected(
    dbt,
):
    total, frauds = dbt.query("select count(*), sum(tx_fraud) from int_training_features")[0]
    columns = len(MODEL_INPUTS) + 1
    max_cells = (total // 4) * columns  # room for about a quarter of the rows
    vars = dbt.history_vars + f", model_max_cells: {max_cells}"
    sampled = dbt.run("run", "-s", "cust_cc_txn_fd", vars=vars)
    assert sampled.returncode == 0, sampled.output[-3000:]
    [(rows, kept_frauds, threshold)] = dbt.query(
        "select training_rows, training_frauds, threshold from cust_cc_txn_fd"
    )
    [(rate,)] = dbt.query(
        "select genuine_sample_rate from dbt_ml_model_versions where status = 'serving'"
    )
    assert kept_frauds == frauds  # every fraud, so the rare class is not thinned
    assert rows * columns <= 0.98 * max_cells and rows > 0.9 * 0.98 * max_cells / columns
    assert rate == pytest.approx((0.98 * max_cells // columns - frauds) / (total - frauds))
    # The kept genuine rows are those under the MD5 threshold, the same string on Redshift.
    threshold_hex = f"{int(rate * 2**32):08x}"
    ids = [row[0] for row in dbt.query("select transaction_id from int_training_features "
                                       "where tx_fraud = 0 order by transaction_id")]  # fmt: skip
    expected = sum(hashlib.md5(f"0:{i}".encode()).hexdigest()[:8] < threshold_hex for i in ids)
    assert rows - frauds == expected

    # Served, the probability is corrected back to the true base rate, and the label is that
    # probability at the model's threshold, both on the true scale.
    published = producer([
        "stream", "--stream", dbt.stream, "--endpoint-url", dbt.env["KINESIS_ENDPOINT_URL"],
        "--customers", "400", "--terminals", "800", "--seed", "10", "--start-date", START,
        "--rate", "5000", "--count", "400", "--labels-out", str(dbt.database.parent / "more.csv"),
    ])  # fmt: skip
    assert published == 0
    built = dbt.run("run", "-s", "+cust_payment_tx_fraud_predictions", "--exclude",
                    "int_training_features", "cust_cc_txn_fd", "cust_cc_txn_fd_plus", vars=vars)  # fmt: skip
    assert built.returncode == 0, built.output[-3000:]
    with dbt.model_connection() as connection:
        served = connection.execute(f"""
            select
                predictions.fraud_probability,
                predictions.fraud_prediction,
                fn_customer_cc_fd_probabilities({SCORING_INPUTS}) as metrics
            from cust_payment_tx_fraud_predictions as predictions
            inner join int_scoring_features as scoring using (transaction_id)
            where predictions.model_version = (select model_version from cust_cc_txn_fd)
        """).fetchall()
    assert len(served) == 400
    for probability, prediction, metrics in served:
        raw = dict(zip(metrics["labels"], metrics["probabilities"], strict=True))["1"]
        assert probability == pytest.approx(prior_corrected(raw, rate))
        assert prediction == int(probability >= threshold - 1e-12)


def test_a_versions_table_made_before_a_column_was_added_gains_it(dbt):
    """A local warehouse kept for months: its dbt_ml_model_versions predates
    genuine_sample_rate; the next training adds the column and goes on."""
    import duckdb

    with duckdb.connect(str(dbt.database)) as connection:
        connection.execute("alter table dbt_ml_model_versions drop column genuine_sample_rate")
    before = len(versions(dbt))
    retrained = dbt.run(
        "run", "-s", "cust_cc_txn_fd", vars=dbt.history_vars + ", retrain_models: true"
    )
    assert retrained.returncode == 0, retrained.output[-3000:]
    assert len(versions(dbt)) == before + 1
    [(rate,)] = dbt.query(
        "select genuine_sample_rate from dbt_ml_model_versions order by version desc limit 1"
    )
    assert 0 < rate <= 1
