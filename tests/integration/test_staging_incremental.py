"""Incremental staging (#13): each record typed, validated and deduplicated once, by the
ledger stg_kinesis__stream_records; the streaming view trimmed to the stream's retention once
consumed. dbt against DuckDB reading a real kinesalite."""

from __future__ import annotations

import json
import time

import duckdb
import pytest

from fraud_detection.testing.dbt import LocalDbt
from producer.cli import main as producer

VIEW = "cust_payment_tx_stream"
STAGING = "+path:models/staging/kinesis"
STAGING_MODELS = (
    "stg_kinesis__stream_records",
    "stg_kinesis__transactions",
    "stg_kinesis__rejects",
)
GOOD = {
    "TRANSACTION_ID": 42,
    "TX_DATETIME": "2026-11-28 10:00:00",
    "CUSTOMER_ID": 7,
    "TERMINAL_ID": 9,
    "TX_AMOUNT": 12.5,
    "TX_TIME_SECONDS": 10,
    "TX_TIME_DAYS": 0,
}


@pytest.fixture
def dbt(tmp_path, kinesalite, stream_name) -> LocalDbt:
    return LocalDbt(tmp_path, kinesalite.endpoint_url, stream_name)


def put(dbt: LocalDbt, client, *records: dict) -> None:
    for record in records:
        client.put_record(StreamName=dbt.stream, Data=json.dumps(record).encode(), PartitionKey="7")


def run(dbt: LocalDbt, *args: str, vars: str | None = None) -> None:
    done = dbt.run("run", "-s", STAGING, *args, vars=vars)
    assert done.returncode == 0, done.output[-3000:]


def publish(dbt: LocalDbt, count: int, seed: int = 1) -> None:
    code = producer([
        "stream", "--stream", dbt.stream, "--endpoint-url", dbt.env["KINESIS_ENDPOINT_URL"],
        "--customers", "300", "--terminals", "600", "--rate", "20000", "--count", str(count),
        "--seed", str(seed), "--labels-out", str(dbt.database.parent / "labels.csv"),
    ])  # fmt: skip
    assert code == 0


def test_a_duplicate_in_a_later_cycle_is_kept_out_and_a_conflict_flagged(dbt, kinesis_client):
    put(dbt, kinesis_client, GOOD)
    run(dbt)
    put(dbt, kinesis_client, GOOD, {**GOOD, "TX_AMOUNT": 99.99})  # a retry, and a conflict
    run(dbt)
    assert dbt.query("select transaction_id, tx_amount from stg_kinesis__transactions") == [
        (42, pytest.approx(12.5))
    ]
    assert dbt.query(
        "select reject_reason, _delivery_number from stg_kinesis__stream_records"
        " order by _refreshed_at, _arrived_at, lpad(_sequence_number, 64, '0')"
    ) == [(None, 1), (None, 2), ("conflicting_duplicate", None)]
    first = dbt.query("select _shard_id, _sequence_number from stg_kinesis__transactions")[0]
    assert dbt.query(
        "select _first_shard_id, _first_sequence_number from stg_kinesis__rejects"
    ) == [first]


def test_a_record_rejected_once_is_never_examined_again(dbt, kinesis_client):
    future = {**GOOD, "TRANSACTION_ID": 43, "TX_DATETIME": "2030-01-01 00:00:00"}
    put(dbt, kinesis_client, future)
    run(dbt)
    put(dbt, kinesis_client, GOOD)
    # A looser rule now would accept it, were it examined again: it is not.
    run(dbt, vars="max_clock_skew_seconds: 200000000")
    assert dbt.query("select reject_reason from stg_kinesis__rejects") == [
        ("tx_datetime_in_future",)
    ]
    assert dbt.query("select transaction_id from stg_kinesis__transactions") == [(42,)]
    assert dbt.scalar("select count(*) from stg_kinesis__stream_records") == 2


def test_a_live_id_equal_to_a_history_id_is_rejected(dbt, kinesis_client, tmp_path):
    history = tmp_path / "history.parquet"
    with duckdb.connect() as connection:
        connection.execute(
            "copy (select 42::bigint as TRANSACTION_ID, timestamp '2026-11-01' as TX_DATETIME,"
            " 7::bigint as CUSTOMER_ID, 9::bigint as TERMINAL_ID, 5.00 as TX_AMOUNT,"
            " 0::bigint as TX_TIME_SECONDS, 0::bigint as TX_TIME_DAYS, 0 as TX_FRAUD,"
            f" 0 as TX_FRAUD_SCENARIO) to '{history}' (format parquet)"
        )
    put(dbt, kinesis_client, GOOD, {**GOOD, "TRANSACTION_ID": 43})
    run(dbt, vars=f"history_path: '{history}'")
    assert dbt.query("select reject_reason from stg_kinesis__rejects") == [
        ("transaction_id_in_history",)
    ]
    assert dbt.query("select transaction_id from stg_kinesis__transactions") == [(43,)]


def test_retention_removes_only_records_the_ledger_has_taken(dbt, kinesis_client):
    publish(dbt, 300)
    assert dbt.run("run", "-s", VIEW).returncode == 0  # ingested, not yet taken by the ledger
    time.sleep(1.5)
    publish(dbt, 200, seed=2)
    assert dbt.run("run", "-s", VIEW).returncode == 0
    # The view alone never trims: nothing is consumed yet, whatever its age.
    assert dbt.scalar(f"select count(*) from {VIEW}") == 500
    # Retention 1 s: the ledger takes all 500, and the view drops what is older than 1 s.
    run(dbt, vars="stream_retention_hours: 0.0003")
    assert dbt.scalar("select count(*) from stg_kinesis__stream_records") == 500
    assert dbt.scalar("select count(distinct transaction_id) from stg_kinesis__transactions") == 500
    assert dbt.scalar(f"select count(*) from {VIEW}") < 500
    # The positions outlive the trimmed rows: nothing is read twice, nothing skipped.
    time.sleep(1.5)
    run(dbt, vars="stream_retention_hours: 0.0003")
    assert dbt.scalar(f"select count(*) from {VIEW}") == 0
    publish(dbt, 100, seed=3)
    build = dbt.run("build", "-s", STAGING, "--indirect-selection", "cautious")
    assert build.returncode == 0, build.output[-3000:]  # the reconcile test included
    assert dbt.scalar("select count(*) from stg_kinesis__stream_records") == 600
    assert dbt.scalar("select count(distinct transaction_id) from stg_kinesis__transactions") == 600


def test_a_kill_while_consuming_and_trimming_loses_nothing(dbt):
    publish(dbt, 200)
    run(dbt)
    publish(dbt, 5_000, seed=2)
    assert dbt.run("run", "-s", VIEW).returncode == 0
    time.sleep(1.5)
    # Killed as the ledger's insert starts: the insert, then the trim of the streaming view,
    # then the commit still to come, in one transaction.
    dbt.killed_when_logged(
        'insert into "fraud_detection"."main"."stg_kinesis__stream_records"',
        "run", "-s", *STAGING_MODELS, vars="stream_retention_hours: 0.0003",
    )  # fmt: skip
    with duckdb.connect(str(dbt.database), read_only=True) as connection:
        taken = connection.execute("select count(*) from stg_kinesis__stream_records").fetchone()
        kept = connection.execute(f"select count(*) from {VIEW}").fetchone()
    assert taken[0] + kept[0] >= 5_200  # what was trimmed had been taken, atomically
    run(dbt, vars="stream_retention_hours: 0.0003")
    assert dbt.scalar("select count(*) from stg_kinesis__stream_records") == 5_200
    assert dbt.scalar("select count(distinct transaction_id) from stg_kinesis__transactions") == (
        5_200
    )


def test_the_incremental_path_and_a_full_rebuild_give_the_same_rows(dbt, kinesis_client):
    put(dbt, kinesis_client, GOOD, {**GOOD, "TRANSACTION_ID": 43, "TX_AMOUNT": "x"})
    publish(dbt, 400)
    run(dbt)
    put(dbt, kinesis_client, GOOD, {**GOOD, "TX_AMOUNT": 1.25}, {**GOOD, "TRANSACTION_ID": 44})
    publish(dbt, 300, seed=2)
    run(dbt)
    publish(dbt, 200, seed=3)
    run(dbt)

    def snapshot() -> dict[str, list]:
        return {
            model: sorted(map(repr, dbt.query(f"select * exclude (kinesis_data) from {model}"
                                              if model != "stg_kinesis__transactions"
                                              else f"select * from {model}")))
            for model in STAGING_MODELS
        }  # fmt: skip

    incremental = snapshot()
    assert len(incremental["stg_kinesis__rejects"]) == 2
    rebuilt = dbt.run(
        "run", "-s", *STAGING_MODELS, "--full-refresh",
        vars="rebuild_streaming_views: [stg_kinesis__stream_records]",
    )  # fmt: skip
    assert rebuilt.returncode == 0, rebuilt.output[-3000:]
    assert snapshot() == incremental


def test_a_full_refresh_leaves_the_ledger_alone_without_the_opt_in(dbt, kinesis_client):
    put(dbt, kinesis_client, GOOD)
    run(dbt, vars="stream_retention_hours: 0")
    assert dbt.scalar(f"select count(*) from {VIEW}") == 0  # trimmed: the ledger has it
    done = dbt.run("run", "-s", *STAGING_MODELS, "--full-refresh")
    assert done.returncode == 0, done.output[-3000:]
    assert dbt.query("select transaction_id from stg_kinesis__transactions") == [(42,)]
