"""Fraud feedback (#22): the producer reports each fraud to the feedback stream once its
clock passes the transaction's time plus the delay, and dbt ingests the reports through a
second streaming view, validated and deduplicated, into labels known point in time. Real
kinesalite, real dbt against DuckDB."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from fraud_detection.testing.dbt import LocalDbt
from fraud_detection.testing.kinesis import all_payloads, feedback_stream
from producer.cli import main as producer

FEEDBACK = "+path:models/staging/kinesis +int_labelled_transactions"


@pytest.fixture(scope="module")
def world(tmp_path_factory) -> pd.DataFrame:
    folder = tmp_path_factory.mktemp("feedback_world")
    argv = ["generate", "--customers", "150", "--terminals", "300", "--days", "12", "--seed", "4"]
    assert producer([*argv, "--format", "csv", "--out", str(folder)]) == 0
    path = folder / "cust_payment_tx_history.csv"
    frame = pd.read_csv(path, parse_dates=["TX_DATETIME"])
    assert frame["TX_FRAUD"].sum() > 20
    return frame.assign(path=str(path))


def replay(kinesalite, stream: str, path: str, *extra: str) -> int:
    return producer(
        ["replay", path, "--stream", stream, "--endpoint-url", kinesalite.endpoint_url,
         "--feedback-stream", feedback_stream(stream), *extra]
    )  # fmt: skip


def test_replay_reports_each_fraud_once_when_its_delay_has_passed(
    world, kinesalite, kinesis_client, stream_name
):
    assert replay(kinesalite, stream_name, world["path"][0], "--feedback-delay", "2") == 0
    reports = all_payloads(kinesis_client, feedback_stream(stream_name))
    last = world["TX_DATETIME"].max()
    frauds = world[world["TX_FRAUD"] == 1]
    due = frauds[frauds["TX_DATETIME"] + pd.Timedelta(days=2) <= last]
    assert sorted(r["TRANSACTION_ID"] for r in reports) == sorted(due["TRANSACTION_ID"])
    at = dict(zip(due["TRANSACTION_ID"], due["TX_DATETIME"], strict=True))
    for report in reports:
        assert report["TX_FRAUD"] == 1
        reported = pd.Timestamp(report["REPORTED_AT"])
        assert reported == at[report["TRANSACTION_ID"]] + pd.Timedelta(days=2)
    # Labels never travel with the transactions.
    assert {key for p in all_payloads(kinesis_client, stream_name) for key in p} == {
        "TRANSACTION_ID", "TX_DATETIME", "CUSTOMER_ID", "TERMINAL_ID", "TX_AMOUNT",
        "TX_TIME_SECONDS", "TX_TIME_DAYS",
    }  # fmt: skip


def test_jittered_delays_are_within_the_delay_and_the_same_from_run_to_run(
    world, kinesalite, kinesis_client, stream_name
):
    jitter = ["--feedback-delay", "3", "--feedback-jitter", "--feedback-seed", "7"]
    assert replay(kinesalite, stream_name, world["path"][0], *jitter) == 0
    first = all_payloads(kinesis_client, feedback_stream(stream_name))
    at = dict(zip(world["TRANSACTION_ID"], world["TX_DATETIME"], strict=True))
    delays = [pd.Timestamp(r["REPORTED_AT"]) - at[r["TRANSACTION_ID"]] for r in first]
    assert all(pd.Timedelta(0) < d <= pd.Timedelta(days=3) for d in delays)
    assert len(set(delays)) > len(delays) // 2  # drawn, not one delay for all
    again = f"{stream_name}-again"
    assert replay(kinesalite, again, world["path"][0], "--create-stream", *jitter) == 0
    assert sorted(map(json.dumps, all_payloads(kinesis_client, feedback_stream(again)))) == sorted(
        map(json.dumps, first)
    )


def test_a_file_without_labels_cannot_report(world, kinesalite, stream_name, tmp_path, capsys):
    unlabelled = tmp_path / "unlabelled.csv"
    world.drop(columns=["TX_FRAUD", "TX_FRAUD_SCENARIO", "path"]).to_csv(unlabelled, index=False)
    assert replay(kinesalite, stream_name, str(unlabelled), "--feedback-delay", "1") == 2
    assert "--feedback-delay needs its TX_FRAUD column" in capsys.readouterr().err


@pytest.fixture
def dbt(tmp_path, kinesalite, stream_name) -> LocalDbt:
    return LocalDbt(tmp_path, kinesalite.endpoint_url, stream_name)


def put(client, stream: str, *payloads) -> None:
    for payload in payloads:
        data = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
        client.put_record(StreamName=stream, Data=data, PartitionKey="1")


def transaction(transaction_id: int, at: str, terminal_id: int = 5) -> dict:
    return {
        "TRANSACTION_ID": transaction_id, "TX_DATETIME": at, "CUSTOMER_ID": 1,
        "TERMINAL_ID": terminal_id, "TX_AMOUNT": 10.0, "TX_TIME_SECONDS": 0, "TX_TIME_DAYS": 0,
    }  # fmt: skip


def report(transaction_id: int, at: str, fraud: int = 1) -> dict:
    return {"TRANSACTION_ID": transaction_id, "TX_FRAUD": fraud, "REPORTED_AT": at}


def test_reports_are_validated_deduplicated_and_counted_only_within_the_delay(dbt, kinesis_client):
    put(kinesis_client, dbt.stream,
        transaction(1, "2026-11-01 10:00:00"), transaction(2, "2026-11-01 11:00:00"),
        transaction(3, "2026-11-02 09:00:00"), transaction(4, "2026-11-03 09:00:00"),
        transaction(5, "2026-11-20 09:00:00"))  # fmt: skip
    feedback = feedback_stream(dbt.stream)
    put(kinesis_client, feedback,
        report(1, "2026-11-03 10:00:00"),
        report(1, "2026-11-03 10:00:00"),  # a redelivery: kept once
        report(2, "2026-11-04 11:00:00"),
        report(2, "2026-11-05 12:00:00", fraud=0),  # withdrawn, within the delay: it wins
        report(3, "2026-11-12 09:00:00"),  # ten days after: later than the 7-day delay
        report(4, "2026-11-02 09:00:00"), report(4, "2026-11-06 09:00:00", fraud=0),
        {"TRANSACTION_ID": 9, "TX_FRAUD": 2, "REPORTED_AT": "2026-11-03 10:00:00"},
        {"TRANSACTION_ID": 9, "REPORTED_AT": "2026-11-03 10:00:00"},
        report(9, "2999-01-01 00:00:00"),
        b"not json")  # fmt: skip
    done = dbt.run("run", "-s", FEEDBACK)
    assert done.returncode == 0, done.output[-3000:]
    assert sorted(dbt.query("select reject_reason from stg_kinesis__feedback_rejects")) == [
        ("invalid_tx_fraud",),
        ("missing_tx_fraud",),
        ("not_json",),
        ("reported_at_in_future",),
    ]
    assert dbt.scalar("select count(*) from stg_kinesis__fraud_reports") == 6
    assert dbt.query(
        "select transaction_id, tx_fraud, label_source, is_label_known"
        " from int_labelled_transactions order by transaction_id"
    ) == [(1, 1, "feedback", True), (2, 0, "feedback", True), (3, 0, "feedback", True),
          (4, 0, "feedback", True), (5, 0, "feedback", False)]  # fmt: skip

    # A later run: a redelivery of an earlier report stays out, a new report comes in.
    put(
        kinesis_client, feedback, report(1, "2026-11-03 10:00:00"), report(5, "2026-11-21 09:00:00")
    )
    done = dbt.run("run", "-s", FEEDBACK)
    assert done.returncode == 0, done.output[-3000:]
    assert dbt.query(
        "select transaction_id, _delivery_number from stg_kinesis__feedback_records"
        " where transaction_id in (1, 5) order by _refreshed_at, _arrived_at"
    ) == [(1, 1), (1, 2), (1, 2), (5, 1)]
    assert (
        dbt.scalar("select tx_fraud from int_labelled_transactions where transaction_id = 5") == 1
    )


def test_a_label_reported_after_a_transaction_never_changes_its_features(dbt, kinesis_client):
    """A fraud at terminal 5, then 8 days later a transaction there, scored. A report of the
    fraud made after that transaction changes nothing, even when the features are rebuilt
    from scratch; one made before it, within the delay, counts (whenever it was ingested)."""
    put(kinesis_client, dbt.stream,
        transaction(1, "2026-11-01 10:00:00"), transaction(2, "2026-11-09 12:00:00"))  # fmt: skip
    scoring = ("run", "-s", "+int_scoring_features")

    def risk() -> float:
        return dbt.scalar(
            "select terminal_id_risk_7day_window from int_scoring_features where transaction_id = 2"
        )

    assert dbt.run(*scoring).returncode == 0
    assert risk() == 0.0
    put(kinesis_client, feedback_stream(dbt.stream), report(1, "2026-11-10 09:00:00"))
    assert dbt.run(*scoring).returncode == 0
    assert risk() == 0.0
    rebuilt = dbt.run("run", "-s", "int_scoring_features", "--full-refresh")
    assert rebuilt.returncode == 0, rebuilt.output[-3000:]
    assert risk() == 0.0

    put(kinesis_client, feedback_stream(dbt.stream), report(1, "2026-11-05 09:00:00"))
    assert dbt.run(*scoring).returncode == 0
    assert dbt.run("run", "-s", "int_scoring_features", "--full-refresh").returncode == 0
    assert risk() == 1.0


def performance_days(dbt: LocalDbt, newest_recall: float) -> None:
    """fraud_model_performance as 14 fully labelled days: the first week catches 8 frauds of
    10 a day, the newest ``newest_recall`` of them; card precision@100 0.3 throughout."""
    import duckdb

    caught = round(10 * newest_recall)
    with duckdb.connect(str(dbt.database)) as connection:
        connection.execute(
            "create or replace table fraud_model_performance as select"
            " date '2026-11-01' + cast(day as integer) as stream_day, 1 as model_version,"
            " 1000 as transactions_scored,"
            " 10 as alerts, 10 as frauds_known,"
            f" case when day < 7 then 8 else {caught} end as frauds_caught,"
            " 1.0 as label_known_share, 0.8 as alert_precision, 0.8 as recall,"
            " 0.3 as card_precision_at_100 from range(14) as days(day)"
        )


@pytest.mark.parametrize(("newest_recall", "verdict"), [(0.7, "PASS"), (0.5, "WARN 1")])
def test_the_quality_test_warns_when_the_newest_week_falls_below_the_floor(
    tmp_path, newest_recall, verdict
):
    dbt = LocalDbt(tmp_path, "http://127.0.0.1:9", "unused")
    performance_days(dbt, newest_recall)  # 0.7 / 0.8 is above the floor of 0.8; 0.5 / 0.8 not
    done = dbt.run("test", "-s", "assert_model_quality_holds")
    assert done.returncode == 0, done.output[-3000:]
    assert f"{verdict} " in done.output and "assert_model_quality_holds" in done.output


def test_a_quality_floor_that_is_no_fraction_fails_naming_the_var(tmp_path):
    dbt = LocalDbt(tmp_path, "http://127.0.0.1:9", "unused")
    performance_days(dbt, 0.7)
    done = dbt.run("test", "-s", "assert_model_quality_holds", vars="model_quality_floor: 2")
    assert done.returncode != 0
    assert "model_quality_floor" in done.output and "a fraction from 0 to 1" in done.output
