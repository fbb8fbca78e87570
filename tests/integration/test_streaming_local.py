"""The local streaming materialized view: dbt runs against DuckDB reading a real kinesalite."""

from __future__ import annotations

import json
import os
import random

import pytest

from fraud_detection.testing.dbt import LocalDbt
from fraud_detection.testing.kinesis import feedback_stream, fresh_streams
from fraud_detection.testing.ports import free_port
from producer.cli import main as producer
from producer.kinesis import make_client
from producer.local_kinesis import LocalKinesis

VIEW = "cust_payment_tx_stream"
# A record with TX_AMOUNT written as given (json.dumps would round 9999999999999999.999).
AMOUNT_RECORD = (
    b'{"TRANSACTION_ID": %d, "TX_DATETIME": "2026-11-28 10:00:00", "CUSTOMER_ID": 7,'
    b' "TERMINAL_ID": 9, "TX_AMOUNT": %s, "TX_TIME_SECONDS": 1, "TX_TIME_DAYS": 0}'
)
FEEDBACK_VIEW = "cust_payment_fraud_feedback_stream"
STAGING = "+path:models/staging/kinesis"  # the view, the staging models on it, the history


@pytest.fixture
def dbt(tmp_path, kinesalite, stream_name) -> LocalDbt:
    return LocalDbt(tmp_path, kinesalite.endpoint_url, stream_name)


def publish(dbt: LocalDbt, count: int, endpoint_url: str | None = None) -> None:
    code = producer(
        [
            "stream",
            "--stream",
            dbt.stream,
            "--endpoint-url",
            endpoint_url or dbt.env["KINESIS_ENDPOINT_URL"],
            "--customers",
            "300",
            "--terminals",
            "600",
            "--rate",
            "20000",
            "--count",
            str(count),
            "--labels-out",
            str(dbt.database.parent / "labels.csv"),
        ]
    )
    assert code == 0


def assert_ok(result) -> None:
    assert result.returncode == 0, result.output[-3000:]


def stream_count(dbt: LocalDbt) -> int:
    return dbt.scalar(f"select count(*) from {VIEW}")


def assert_exactly_once(dbt: LocalDbt, expected: int) -> None:
    assert stream_count(dbt) == expected
    assert dbt.scalar(f"select count(distinct (shard_id, sequence_number)) from {VIEW}") == expected
    assert (
        dbt.scalar("select count(distinct transaction_id) from stg_kinesis__transactions")
        == expected
    )


def test_each_refresh_appends_exactly_the_new_records(dbt):
    publish(dbt, 700)
    assert_ok(dbt.run("run", "-s", STAGING))
    assert_exactly_once(dbt, 700)
    assert_ok(dbt.run("run", "-s", VIEW))  # nothing new: nothing added
    assert stream_count(dbt) == 700
    publish(dbt, 450)
    assert_ok(dbt.run("run", "-s", STAGING))
    assert_exactly_once(dbt, 1_150)
    refreshes = dbt.scalar(f"select count(distinct refresh_time) from {VIEW}")
    assert refreshes == 2
    # Both shards were read, and every payload landed with its metadata.
    assert dbt.scalar(f"select count(distinct shard_id) from {VIEW}") == 2
    assert dbt.scalar(f"select count(*) from {VIEW} where payload is null") == 0


def test_a_refresh_killed_half_way_loses_and_duplicates_nothing(dbt):
    publish(dbt, 300)
    assert_ok(dbt.run("run", "-s", VIEW))
    publish(dbt, 6_000)
    # Killed as it starts reading the 6,000 new records (about half a second of GetRecords),
    # inside the refresh's transaction.
    dbt.killed_when_logged("kinesis_records(", "run", "-s", VIEW)
    assert stream_count(dbt) == 300  # the killed refresh committed nothing
    assert_ok(dbt.run("run", "-s", STAGING))
    assert_exactly_once(dbt, 6_300)


def test_a_restarted_local_kinesis_neither_loses_nor_repeats_records(tmp_path):
    server = LocalKinesis(port=free_port(), data_dir=tmp_path / "kinesis")
    dbt = LocalDbt(tmp_path, server.endpoint_url, "restarted")
    with server:
        fresh_streams(make_client(server.endpoint_url), "restarted")
        publish(dbt, 500)
        assert_ok(dbt.run("run", "-s", VIEW))
    with server:
        assert_ok(dbt.run("run", "-s", VIEW))  # after the restart: nothing new
        assert stream_count(dbt) == 500
        publish(dbt, 250)
        assert_ok(dbt.run("run", "-s", STAGING))
        assert_exactly_once(dbt, 750)


def test_a_recreated_stream_is_read_from_its_start_with_a_warning(tmp_path):
    """kinesalite restarted with a fresh data folder: the stream is deleted and made again, and
    the stored positions belong to the old one (#16: every refresh failed on them)."""
    dbt = LocalDbt(tmp_path, "", "recreated")
    first = LocalKinesis(port=free_port(), data_dir=tmp_path / "kinesis-1")
    dbt.env["KINESIS_ENDPOINT_URL"] = first.endpoint_url
    with first:
        fresh_streams(make_client(first.endpoint_url), "recreated")
        publish(dbt, 300)
        assert_ok(dbt.run("run", "-s", VIEW))
    second = LocalKinesis(port=first.port, data_dir=tmp_path / "kinesis-2")
    with second:
        fresh_streams(make_client(second.endpoint_url), "recreated")
        publish(dbt, 120)
        refreshed = dbt.run("run", "-s", STAGING)
        assert_ok(refreshed)
        assert "older than the shard (was the stream deleted and made again?)" in refreshed.output
        assert stream_count(dbt) == 420  # nothing dropped: the old records stay
        assert_ok(dbt.run("run", "-s", VIEW))  # and the new positions hold from then on
        assert stream_count(dbt) == 420


def test_bad_records_are_rejected_with_their_reason_and_duplicates_kept_once(dbt, kinesis_client):
    good = {
        "TRANSACTION_ID": 42,
        "TX_DATETIME": "2026-11-28 10:00:00.250000",
        "CUSTOMER_ID": 7,
        "TERMINAL_ID": 9,
        "TX_AMOUNT": 12.5,
        "TX_TIME_SECONDS": 10,
        "TX_TIME_DAYS": 0,
    }
    # The AWS sample producer sends extra keys: they are ignored, not rejected.
    extra = {**good, "TRANSACTION_ID": 43, "index": 3, "TX_FRAUD": 0, "TX_FRAUD_SCENARIO": 0}
    missing = {k: v for k, v in good.items() if k != "TERMINAL_ID"} | {"TRANSACTION_ID": 44}
    records = {
        "good": json.dumps(good).encode(),
        "again": json.dumps(good).encode(),  # a producer retry delivered it twice
        "extra": json.dumps(extra).encode(),
        "not_utf8": b'{"TRANSACTION_ID": 45, "name": "\xff\xfe"}',
        "not_json": b"TRANSACTION_ID=46",
        "not_a_json_object": b"[46, 47]",
        "missing_terminal_id": json.dumps(missing).encode(),
        "invalid_tx_amount": json.dumps(
            {**good, "TRANSACTION_ID": 48, "TX_AMOUNT": "lots"}
        ).encode(),
        "invalid_tx_datetime": json.dumps(
            {**good, "TRANSACTION_ID": 49, "TX_DATETIME": "yesterday"}
        ).encode(),
        "invalid_transaction_id": json.dumps({**good, "TRANSACTION_ID": 1.5}).encode(),
        # Valid JSON, but beyond what Redshift's json_serialize reads (65,535 bytes).
        "too_large": json.dumps({**good, "TRANSACTION_ID": 50, "note": "x" * 70_000}).encode(),
        # Values that match a pattern but do not cast, or break a rule (#16).
        "invalid_tx_datetime (not a date)": json.dumps(
            {**good, "TRANSACTION_ID": 51, "TX_DATETIME": "2026-02-30 25:61:61"}
        ).encode(),
        "invalid_tx_amount (over decimal(18, 2))": AMOUNT_RECORD % (52, b"9999999999999999.999"),
        "invalid_tx_amount (negative)": AMOUNT_RECORD % (53, b"-5"),
        "invalid_tx_amount (6 decimals)": AMOUNT_RECORD % (54, b"12.345678"),
        "invalid_customer_id (a string)": json.dumps(
            {**good, "TRANSACTION_ID": 55, "CUSTOMER_ID": "7"}
        ).encode(),
        "invalid_transaction_id (negative)": json.dumps({**good, "TRANSACTION_ID": -5}).encode(),
        "tx_datetime_in_future": json.dumps(
            {**good, "TRANSACTION_ID": 56, "TX_DATETIME": "2999-01-01 00:00:00"}
        ).encode(),
        # Accepted by DuckDB's parser, not by a strict one (#24): each a reject on both targets.
        "not_json (trailing comma)": b'{"TRANSACTION_ID": 57, "TX_AMOUNT": 1,}',
        "not_json (NaN)": AMOUNT_RECORD % (58, b"NaN"),
        "duplicate_key": AMOUNT_RECORD.replace(b"}", b', "TX_AMOUNT": 3}') % (59, b"2"),
        "invalid_tx_datetime (24:00:00)": json.dumps(
            {**good, "TRANSACTION_ID": 60, "TX_DATETIME": "2026-11-28 24:00:00"}
        ).encode(),
        # Amounts a double cannot hold, kept to the cent; an id written as 1e20 is no integer.
        "exact 61": AMOUNT_RECORD % (61, b"90071992547409.93"),
        "exact 62": AMOUNT_RECORD % (62, b"1234567890123456.78"),
        "invalid_transaction_id (1e20)": json.dumps({**good, "TX_AMOUNT": 1})
        .encode()
        .replace(b'"TRANSACTION_ID": 42', b'"TRANSACTION_ID": 1e20'),
        # The id of "good" with another amount: the first arrival is kept, this one flagged.
        "conflicting_duplicate": json.dumps({**good, "TX_AMOUNT": 99.99}).encode(),
    }
    for data in records.values():
        kinesis_client.put_record(StreamName=dbt.stream, Data=data, PartitionKey="7")
    assert_ok(
        dbt.run("build", "-s", STAGING, "--indirect-selection", "cautious")
    )  # builds and runs the dbt tests, reconcile included

    rejects = dict(dbt.query("select reject_reason, count(*) from stg_kinesis__rejects group by 1"))
    expected = {}
    for name in records:
        if name not in ("good", "again", "extra") and not name.startswith("exact"):
            reason = name.split(" ")[0]
            expected[reason] = expected.get(reason, 0) + 1
    assert rejects == expected
    rows = dbt.query(
        "select transaction_id, tx_amount, tx_datetime from stg_kinesis__transactions order by 1"
    )
    assert [(r[0], str(r[1])) for r in rows] == [
        (42, "12.50"), (43, "12.50"), (61, "90071992547409.93"), (62, "1234567890123456.78")
    ]  # fmt: skip
    assert str(rows[0][2]) == "2026-11-28 10:00:00.250000"
    assert (
        dbt.scalar("select count(*) from stg_kinesis__stream_records where _delivery_number = 2")
        == 1
    )
    raw = dbt.scalar(
        "select kinesis_data from stg_kinesis__rejects where reject_reason = 'not_json'"
    )
    assert bytes(raw) == records["not_json"]
    [(first_shard, first_sequence)] = dbt.query(
        "select _first_shard_id, _first_sequence_number from stg_kinesis__rejects"
        " where reject_reason = 'conflicting_duplicate'"
    )
    assert (first_shard, first_sequence) == dbt.query(
        "select _shard_id, _sequence_number from stg_kinesis__transactions"
        " where transaction_id = 42"
    )[0]


def test_full_refresh_is_refused_without_the_named_opt_in(dbt):
    publish(dbt, 200)
    assert_ok(dbt.run("run", "-s", VIEW))
    refused = dbt.run("run", "-s", VIEW, "--full-refresh")
    assert refused.returncode != 0
    assert "refused --full-refresh" in refused.output
    assert stream_count(dbt) == 200

    other = dbt.run(
        "run", "-s", VIEW, "--full-refresh", vars="rebuild_streaming_views: [another_view]"
    )
    assert other.returncode != 0 and stream_count(dbt) == 200

    publish(dbt, 100)
    rebuilt = dbt.run(
        "run", "-s", VIEW, "--full-refresh", vars=f"rebuild_streaming_views: [{VIEW}]"
    )
    assert_ok(rebuilt)
    assert stream_count(dbt) == 300  # re-read from the start of the stream
    assert dbt.scalar(f"select count(distinct refresh_time) from {VIEW}") == 1


def test_a_changed_definition_is_refused_not_silently_kept(dbt):
    publish(dbt, 50)
    assert_ok(dbt.run("run", "-s", VIEW))
    changed = dbt.run("run", "-s", VIEW, vars="stream_external_schema: somewhere_else")
    assert changed.returncode != 0
    assert "changed since the streaming view was created" in changed.output
    assert stream_count(dbt) == 50


def test_source_freshness_reads_the_newest_arrival(dbt, kinesis_client):
    publish(dbt, 20)
    report = {"TRANSACTION_ID": 1, "TX_FRAUD": 1, "REPORTED_AT": "2026-11-28 10:00:00"}
    kinesis_client.put_record(
        StreamName=feedback_stream(dbt.stream), Data=json.dumps(report).encode(), PartitionKey="1"
    )
    assert_ok(dbt.run("run", "-s", VIEW, FEEDBACK_VIEW))
    freshness = dbt.run("source", "freshness")
    assert_ok(freshness)
    assert "PASS freshness of kinesis.cust_payment_txn_stream" in freshness.output
    assert "PASS freshness of kinesis.cust_payment_fraud_feedback" in freshness.output


def test_the_endpoint_is_a_connection_setting_not_the_definition(dbt):
    """The same local Kinesis reached as localhost instead of 127.0.0.1 (or on another port)
    refreshes the view: the endpoint is not part of its fingerprint."""
    publish(dbt, 200)
    assert_ok(dbt.run("run", "-s", VIEW))
    dbt.env["KINESIS_ENDPOINT_URL"] = dbt.env["KINESIS_ENDPOINT_URL"].replace(
        "127.0.0.1", "localhost"
    )
    publish(dbt, 100)
    refreshed = dbt.run("run", "-s", VIEW)
    assert_ok(refreshed)
    assert "changed since the streaming view was created" not in refreshed.output
    assert stream_count(dbt) == 300


def test_a_first_dbt_command_creates_the_folders_the_profile_names(tmp_path, kinesalite):
    """A fresh clone has no .local/: the profile's folders are made, private, on first use."""
    dbt = LocalDbt(tmp_path, kinesalite.endpoint_url, "unused")
    fresh = tmp_path / "fresh"
    dbt.env["FRAUD_DUCKDB_PATH"] = str(fresh / "warehouse" / "fraud_detection.duckdb")
    dbt.env["FRAUD_MODELS_DIR"] = str(fresh / "models")
    assert_ok(dbt.run("show", "--inline", "select 1 as one"))
    for folder in (fresh / "warehouse", fresh / "models"):
        assert folder.is_dir() and folder.stat().st_mode & 0o777 == 0o700


def test_plain_dbt_leaves_its_log_and_target_private(tmp_path, kinesalite):
    """`dbt show` of the alerts puts names, emails and phones in logs/dbt.log (#24): run as a
    plain `dbt` process with the usual umask, the log and target folders and every file in
    them end private to the user."""
    import subprocess

    dbt = LocalDbt(tmp_path, kinesalite.endpoint_url, "unused")
    os.umask(0o022)  # the restore_umask fixture puts the test's own back
    shown = subprocess.run(
        [*dbt.command("show", "--inline", "select 'ann@example.com' as email"), "--log-level-file", "debug"],
        env=dbt.env, cwd=dbt.folder, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert shown.returncode == 0, shown.stdout[-2000:]
    log = tmp_path / "logs" / "dbt.log"
    assert "ann@example.com" in log.read_text()
    paths = [tmp_path / "logs", tmp_path / "target"]
    paths += [p for folder in paths for p in folder.rglob("*")]
    modes = {str(p.relative_to(tmp_path)): p.stat().st_mode & 0o777 for p in paths}
    assert len(modes) >= 4
    assert {name: mode for name, mode in modes.items() if mode not in (0o700, 0o600)} == {}
    assert modes["logs/dbt.log"] == 0o600 and modes["target"] == 0o700


def test_staging_answers_whatever_the_stream_holds(dbt, kinesis_client):
    """Fuzz: random bytes, random JSON and boundary values never make a staging query fail,
    and every record is a transaction, a redelivery or a reject (the reconcile test)."""
    rng = random.Random(16)
    keys = ["TRANSACTION_ID", "TX_DATETIME", "CUSTOMER_ID", "TERMINAL_ID", "TX_AMOUNT"]
    keys += ["TX_TIME_SECONDS", "TX_TIME_DAYS"]
    boundary = [
        "0",
        "-0",
        "1e400",
        "-1e400",
        "9223372036854775807",
        "9223372036854775808",
        "99999999999999999999",
        "0.005",
        "1E2",
        "true",
        "null",
        '""',
        '"NaN"',
        "[]",
        "{}",
        '"2026-02-29 00:00:00"',
        '"2024-02-29 23:59:59.999999"',
        '"0000-00-00 00:00:00"',
        '"2026-11-28T10:00:00"',
        '"9999-12-31 23:59:59"',
        '"\\u0000"',
        "12.5",
        "3",
    ]
    records = [bytes(rng.getrandbits(8) for _ in range(rng.randint(0, 40))) for _ in range(40)]
    for index in range(160):
        fields = {key: rng.choice(boundary) for key in keys if rng.random() < 0.9}
        if rng.random() < 0.5:
            fields["TRANSACTION_ID"] = str(1000 + index)
        records.append(("{" + ", ".join(f'"{k}": {v}' for k, v in fields.items()) + "}").encode())
    for data in records:
        kinesis_client.put_record(StreamName=dbt.stream, Data=data or b" ", PartitionKey="1")
    assert_ok(
        dbt.run("build", "-s", STAGING, "--indirect-selection", "cautious")
    )  # the reconcile test included
    ingested = dbt.scalar(f"select count(*) from {VIEW}")
    assert ingested == len(records)
    typed = dbt.query(
        "select count(*), min(tx_amount), max(tx_datetime) from stg_kinesis__transactions"
    )
    assert typed[0][0] <= len(records)
