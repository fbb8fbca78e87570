"""Vars that reach SQL as literals or identifiers are checked against their format on both
targets, so that a quote in one can never end the literal (#16: a stream name with a quote
injected SQL into the local read and the Redshift DDL)."""

from __future__ import annotations

import pytest

from fraud_detection.testing.dbt import LocalDbt
from producer.cli import main as producer

INJECTION = "x'); select 1; --"


@pytest.fixture(scope="module")
def dbt(tmp_path_factory) -> LocalDbt:
    return LocalDbt(tmp_path_factory.mktemp("vars"), "http://127.0.0.1:9", "unused")


@pytest.mark.parametrize("target", ["local", "redshift"])
@pytest.mark.parametrize(
    "model, vars, message",
    [
        (
            "cust_payment_tx_stream",
            {"stream_name": INJECTION},
            "the var stream_name must be a Kinesis stream name",
        ),
        (
            "cust_cc_txn_fd",
            {"training_end": INJECTION},
            "the var training_end must be a date or timestamp",
        ),
        (
            "cust_payment_tx_stream",
            {"redshift_iam_role": "arn' x"},
            "the var redshift_iam_role must be 'default' or an IAM role ARN",
        ),
        (  # #24: a string closing the cast rejected every new record
            "stg_kinesis__stream_records",
            {"max_clock_skew_seconds": "300 as bigint) * interval 1 second) --"},
            "the var max_clock_skew_seconds must be a whole number of seconds, 0 or more",
        ),
        (
            "stg_kinesis__feedback_records",
            {"max_clock_skew_seconds": -5},
            "the var max_clock_skew_seconds must be a whole number of seconds, 0 or more",
        ),
        (  # #24: a negative horizon counted a redelivered record twice
            "stg_kinesis__stream_records",
            {"duplicate_horizon_hours": -5},
            "the var duplicate_horizon_hours must be a whole number of hours from 1 to 99999",
        ),
    ],
)
def test_a_var_that_would_end_a_literal_fails_to_compile(dbt, target, model, vars, message):
    listed = ", ".join(f"{key}: {value!r}" for key, value in vars.items())
    done = dbt.run(
        "compile",
        "-s",
        model,
        "--target",
        target,
        "--no-populate-cache",
        vars=f"offline_compile: true, redshift_ml_s3_bucket: fraud-ml, {listed}",
    )
    assert done.returncode != 0
    assert message in done.output


def test_the_stream_name_is_checked_by_the_producer_too(capsys):
    assert producer(["stream", "--stream", INJECTION, "--count", "1", "--labels-out", "l.csv"]) == 2
    assert "not a Kinesis stream name" in capsys.readouterr().err


def test_the_label_delay_and_the_windows_reach_the_terminal_windows_checked(dbt):
    def compiled(vars: str) -> tuple[int, str]:
        done = dbt.run(
            "compile", "-s", "terminal_transformations", "--no-populate-cache",
            vars=f"offline_compile: true, {vars}",
        )  # fmt: skip
        return done.returncode, done.output

    code, sql = compiled("label_delay_days: 2")
    assert code == 0, sql[-2000:]
    # (as_of - 2 - w days, as_of - 2 days] for each window, the history read from 2 + 30 days.
    for days in (3, 9, 32, 2):
        assert f"cast({-days} as bigint) * interval 1 day" in sql, days
    assert "cast(-37 as bigint)" not in sql

    code, output = compiled("label_delay_days: '7 day) --'")
    assert code != 0 and "the var label_delay_days must be a whole number of days" in output
    code, output = compiled("feature_windows: [30, 7, 1]")
    assert code != 0 and "the var feature_windows must be a list of whole numbers" in output


@pytest.mark.parametrize(
    "vars, message",
    [
        # Read only by a source's YAML, where dbt has var() alone: checked by the run's hook.
        (
            "history_schema: 'raw; drop table x'",
            "the var history_schema must be a lower-case identifier",
        ),
        # A string where a boolean belongs: 'false' would be true.
        ("model_auto: 'false'", "the var model_auto must be true or false"),
        (
            "prediction_readers: ['role:ops; drop']",
            "the var prediction_readers must be a list of role:NAME",
        ),
        (
            "model_hyperparameters: {max_depth: {x: 1}}",
            "the var model_hyperparameters must be names and simple values",
        ),
    ],
)
def test_a_var_against_its_rule_is_refused_before_the_first_statement(dbt, vars, message):
    done = dbt.run("run", "-s", "fraud_alert_deliveries", vars=vars)
    assert done.returncode != 0
    assert message in done.output
    assert not (dbt.folder / "fraud_detection.duckdb").exists() or dbt.query(
        "select count(*) from information_schema.tables where table_name = 'fraud_alert_deliveries'"
    ) == [(0,)]
