"""Alert delivery: once per queued alert, state kept across restarts, and the SNS sink.

The queue itself is the dbt model fraud_alerts (tested end to end in test_demo.py); here the
query is a real DuckDB table in memory standing for it. SNS has no local implementation:
botocore's Stubber checks the requests the sink makes and plays SNS's partial refusal.
"""

from __future__ import annotations

import datetime as dt
import io
import json
from decimal import Decimal

import boto3
import duckdb
import pytest
from botocore.stub import ANY, Stubber

from fraud_detection.alerts import (
    AlertDelivery,
    DeliveryState,
    JsonLinesSink,
    SnsSink,
    TerminalSink,
    pending_alerts_sql,
)
from producer.errors import ProducerError


def queue(connection, rows: list[tuple]) -> None:
    connection.executemany(
        "insert into fraud_alerts values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", rows
    )


def row(transaction_id: int, queued_at: str) -> tuple:
    at = dt.datetime(2026, 11, 28, 12, 0, 0)
    return (
        transaction_id, at, at, 7, "Ann Lee", "ann@example.com", "+1-555-0100",
        Decimal("12.50"), 42, 0.93, dt.datetime.fromisoformat(queued_at),
    )  # fmt: skip


@pytest.fixture
def warehouse():
    connection = duckdb.connect()
    connection.execute("""
        create table fraud_alerts (
            transaction_id bigint, tx_datetime timestamp, approximate_arrival_timestamp timestamp,
            customer_id bigint, full_name varchar, email_address varchar, phone_number varchar,
            tx_amount decimal(18, 2), terminal_id bigint, fraud_probability double,
            _queued_at timestamp
        )
    """)

    def query(sql: str) -> list[dict]:
        sql = sql.replace("{{ ref('fraud_alerts') }}", "fraud_alerts")
        result = connection.execute(sql)
        names = [column[0] for column in result.description]
        return [dict(zip(names, values, strict=True)) for values in result.fetchall()]

    return connection, query


def test_each_queued_alert_is_delivered_once_across_restarts(warehouse, tmp_path):
    connection, query = warehouse
    out = tmp_path / "alerts.jsonl"
    terminal = io.StringIO()
    state = DeliveryState(tmp_path / "state.json")
    delivery = AlertDelivery([TerminalSink(terminal), JsonLinesSink(out)], state)

    queue(
        connection, [row(1795877360106000752, "2026-11-28 12:00:01"), row(2, "2026-11-28 12:00:01")]
    )
    sent = delivery.deliver(query)
    assert [alert.transaction_id for alert in sent] == ["2", "1795877360106000752"]
    assert delivery.deliver(query) == []  # nothing new

    queue(connection, [row(3, "2026-11-28 12:00:03")])
    restarted = AlertDelivery([JsonLinesSink(out)], DeliveryState(tmp_path / "state.json"))
    assert [a.transaction_id for a in restarted.deliver(query)] == ["3"]

    lines = [json.loads(line) for line in out.read_text().splitlines()]
    # Ids beyond 2**53 travel as strings, exact; money as a decimal string.
    assert [line["transaction_id"] for line in lines] == ["2", "1795877360106000752", "3"]
    assert lines[0]["tx_amount"] == "12.50"
    assert "FRAUD ALERT 12:00:00" in terminal.getvalue()
    assert "call Ann Lee +1-555-0100 <ann@example.com>" in terminal.getvalue()


def test_the_mark_moves_only_after_every_sink_took_the_batch(warehouse, tmp_path):
    connection, query = warehouse
    queue(connection, [row(1, "2026-11-28 12:00:01")])

    class Refusing:
        def send(self, alerts):
            raise ProducerError("sink down")

    state = DeliveryState(tmp_path / "state.json")
    with pytest.raises(ProducerError):
        AlertDelivery([Refusing()], state).deliver(query)
    assert state.load() is None  # so the next delivery sends the batch again
    assert len(AlertDelivery([], state).deliver(query)) == 1


def test_a_damaged_state_file_is_a_clear_error(tmp_path):
    (tmp_path / "state.json").write_text("{not json")
    with pytest.raises(ProducerError, match="is not valid: remove it"):
        DeliveryState(tmp_path / "state.json").load()


def test_pending_query_reads_after_the_mark():
    assert "where" not in pending_alerts_sql(None)
    sql = pending_alerts_sql("2026-11-28T12:00:01.000000Z")
    assert "_queued_at > cast('2026-11-28 12:00:01.000000' as timestamp)" in sql


def test_sns_sink_publishes_batches_of_ten_and_reports_refusals(warehouse, tmp_path):
    connection, query = warehouse
    queue(connection, [row(n, "2026-11-28 12:00:01") for n in range(12)])
    client = boto3.client(
        "sns", region_name="eu-west-1", aws_access_key_id="x", aws_secret_access_key="x"
    )
    topic = "arn:aws:sns:eu-west-1:123456789012:fraud-alerts"
    stubber = Stubber(client)
    for ids in (range(10), range(10, 12)):
        stubber.add_response(
            "publish_batch",
            {"Successful": [{"Id": str(n), "MessageId": f"m{n}"} for n in ids], "Failed": []},
            {
                "TopicArn": topic,
                "PublishBatchRequestEntries": [
                    {
                        "Id": str(n),
                        "Subject": f"Card fraud suspected: transaction {n}",
                        "Message": ANY,
                    }
                    for n in ids
                ],
            },
        )
    with stubber:
        delivered = AlertDelivery([SnsSink(client, topic)], DeliveryState(tmp_path / "s.json"))
        assert len(delivered.deliver(query)) == 12
    stubber.assert_no_pending_responses()

    # SNS refuses part of a batch: the delivery fails loudly and keeps the mark where it was.
    queue(connection, [row(99, "2026-11-28 12:00:05")])
    failing = Stubber(client)
    failing.add_response(
        "publish_batch",
        {
            "Successful": [],
            "Failed": [{"Id": "99", "Code": "KMSThrottling", "SenderFault": False}],
        },
    )
    state = DeliveryState(tmp_path / "s.json")
    mark = state.load()
    with failing, pytest.raises(ProducerError, match="SNS refused 1 alert"):
        AlertDelivery([SnsSink(client, topic)], state).deliver(query)
    assert state.load() == mark
