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
# A retention of 1 s and no lookback: the view keeps only what the ledger has not taken.
TRIM_AT_ONCE = "stream_retention_hours: 0.0003, refresh_lookback_minutes: 0"
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


def ledger_sql(dbt: LocalDbt) -> str:
    """The SELECT the last run of the ledger compiled."""
    models = dbt.database.parent / "target" / "compiled" / "fraud_detection" / "models"
    return (models / "staging" / "kinesis" / "stg_kinesis__stream_records.sql").read_text()


def transaction_ids(dbt: LocalDbt) -> list[int]:
    return [
        i for (i,) in dbt.query("select transaction_id from stg_kinesis__transactions order by 1")
    ]


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


def test_a_refresh_that_commits_after_a_later_one_is_still_taken(dbt, kinesis_client):
    """#28: a refresh that started earlier (an earlier refresh_time) and committed after one
    the ledger has taken. Its records within the var refresh_lookback_minutes are taken, and
    stamped newer than all the ledger held, so the models downstream take them; one beyond
    it is named by the reconcile test, and a run with a longer lookback takes it."""
    put(dbt, kinesis_client, GOOD)
    run(dbt)
    run(dbt)  # nothing new, nothing late: the plain cursor, after the two counts agree
    plain = ledger_sql(dbt)
    assert "where stream_records.refresh_time > cast(" in plain and "taken_records" not in plain
    [(taken,)] = dbt.query("select max(_refreshed_at) from stg_kinesis__stream_records")
    for transaction_id, minutes_before in ((44, 5), (45, 61)):
        put(dbt, kinesis_client, {**GOOD, "TRANSACTION_ID": transaction_id})
        assert dbt.run("run", "-s", VIEW).returncode == 0  # in the view, not in the ledger
        with duckdb.connect(str(dbt.database)) as connection:
            connection.execute(
                f"update {VIEW} set refresh_time = ? - interval {minutes_before} minute"
                " where refresh_time = (select max(refresh_time) from cust_payment_tx_stream)",
                [taken],
            )
    build = dbt.run("build", "-s", STAGING, "--indirect-selection", "cautious")
    assert build.returncode != 0
    assert "taken_records" in ledger_sql(dbt)  # the counts differ: what it lacks, by key
    assert "Failure in test assert_stream_records_reconcile" in build.output
    assert transaction_ids(dbt) == [42, 44]
    [(stamped,)] = dbt.query(
        "select _refreshed_at from stg_kinesis__stream_records where transaction_id = 44"
    )
    assert stamped > taken
    rebuilt = dbt.run(
        "build", "-s", STAGING, "--indirect-selection", "cautious",
        vars="refresh_lookback_minutes: 120",
    )  # fmt: skip
    assert rebuilt.returncode == 0, rebuilt.output[-3000:]  # the reconcile test included
    assert transaction_ids(dbt) == [42, 44, 45]
    assert dbt.scalar("select count(*) from stg_kinesis__stream_records") == 3


def test_a_ledger_from_before_refresh_started_at_gets_the_column_and_loses_nothing(
    dbt, kinesis_client
):
    """A ledger built before _refresh_started_at: the next run adds the column
    (on_schema_change), null in the rows it held, and takes what is new."""
    put(dbt, kinesis_client, GOOD)
    run(dbt)
    with duckdb.connect(str(dbt.database)) as connection:
        connection.execute("alter table stg_kinesis__stream_records drop _refresh_started_at")
    put(dbt, kinesis_client, {**GOOD, "TRANSACTION_ID": 43})
    run(dbt)
    assert dbt.query(
        "select transaction_id, _refresh_started_at is null"
        " from stg_kinesis__stream_records order by 1"
    ) == [(42, True), (43, False)]
    assert transaction_ids(dbt) == [42, 43]
    run(dbt)  # the counts now agree: the plain cursor again
    assert "taken_records" not in ledger_sql(dbt)


def test_the_benchmarks_read_a_models_own_time_beside_the_projects_hooks(
    tmp_path, kinesalite, stream_name
):
    """LocalDbt.last_model_seconds, which the benchmarks time models by: the run's results
    hold the on-run-start hook's too."""
    timed = LocalDbt(tmp_path, kinesalite.endpoint_url, stream_name, artifacts=True)
    assert timed.run("run", "-s", VIEW).returncode == 0
    assert 0 < timed.last_model_seconds() < 60


def test_retention_removes_only_records_the_ledger_has_taken(dbt, kinesis_client):
    publish(dbt, 300)
    assert dbt.run("run", "-s", VIEW).returncode == 0  # ingested, not yet taken by the ledger
    time.sleep(1.5)
    publish(dbt, 200, seed=2)
    assert dbt.run("run", "-s", VIEW).returncode == 0
    # The view alone never trims: nothing is consumed yet, whatever its age.
    assert dbt.scalar(f"select count(*) from {VIEW}") == 500
    # Retention 1 s: the ledger takes all 500, but the view keeps the records refreshed within
    # the var refresh_lookback_minutes (60) before the newest taken: a late refresh may add some.
    run(dbt, vars="stream_retention_hours: 0.0003")
    assert dbt.scalar("select count(*) from stg_kinesis__stream_records") == 500
    assert dbt.scalar("select count(distinct transaction_id) from stg_kinesis__transactions") == 500
    assert dbt.scalar(f"select count(*) from {VIEW}") == 500
    # No lookback: the view drops what is older than 1 s.
    run(dbt, vars=TRIM_AT_ONCE)
    assert dbt.scalar(f"select count(*) from {VIEW}") < 500
    # The positions outlive the trimmed rows: nothing is read twice, nothing skipped.
    time.sleep(1.5)
    run(dbt, vars=TRIM_AT_ONCE)
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
        "run", "-s", *STAGING_MODELS, vars=TRIM_AT_ONCE,
    )  # fmt: skip
    with duckdb.connect(str(dbt.database), read_only=True) as connection:
        taken = connection.execute("select count(*) from stg_kinesis__stream_records").fetchone()
        kept = connection.execute(f"select count(*) from {VIEW}").fetchone()
    assert taken[0] + kept[0] >= 5_200  # what was trimmed had been taken, atomically
    run(dbt, vars=TRIM_AT_ONCE)
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
    run(dbt, vars="stream_retention_hours: 0, refresh_lookback_minutes: 0")
    assert dbt.scalar(f"select count(*) from {VIEW}") == 0  # trimmed: the ledger has it
    done = dbt.run("run", "-s", *STAGING_MODELS, "--full-refresh")
    assert done.returncode == 0, done.output[-3000:]
    assert dbt.query("select transaction_id from stg_kinesis__transactions") == [(42,)]
