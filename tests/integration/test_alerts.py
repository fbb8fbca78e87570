"""Alert delivery: once per sink, marks kept in the warehouse beside the queue, a failing sink
retried while the others go on.

The marks are the real model fraud_alert_deliveries, built by dbt in a throwaway DuckDB file
and read and moved through dbt in this process; the queue is a real table standing for the
model fraud_alerts (which test_demo.py covers end to end). A closed loopback port plays an
SNS outage; SNS has no local implementation, so botocore's Stubber plays its answers.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import os
from decimal import Decimal

import boto3
import duckdb
import pytest
from botocore.config import Config
from botocore.stub import ANY, Stubber

from fraud_detection.alerts.alert import Mark
from fraud_detection.alerts.delivery import AlertDelivery, pending_alerts_sql
from fraud_detection.alerts.marks import WarehouseMarks
from fraud_detection.alerts.sinks import JsonLinesSink, SnsSink, TerminalSink
from fraud_detection.cli import main as detection
from fraud_detection.dbt_session import DbtSession
from fraud_detection.testing.dbt import base_env, reused_parse
from fraud_detection.testing.ports import free_port

TOPIC = "arn:aws:sns:eu-west-1:123456789012:fraud-alerts"


class Warehouse:
    def __init__(self, path) -> None:
        self.path = path
        self.dbt = DbtSession(quiet=True)

    def queue(self, rows: list[tuple]) -> None:
        with duckdb.connect(str(self.path)) as connection:
            connection.executemany(
                "insert into fraud_alerts values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", rows
            )

    def marks(self) -> dict[str, Mark | None]:
        return WarehouseMarks(self.dbt).load()

    def delivery(self, sinks, clock=None) -> AlertDelivery:
        lines: list[str] = []
        delivery = AlertDelivery(sinks, WarehouseMarks(self.dbt), log=lines.append)
        if clock is not None:
            delivery.clock = clock
        delivery.log_lines = lines
        return delivery


def row(transaction_id: int, queued_at: str) -> tuple:
    at = dt.datetime(2026, 11, 28, 12, 0, 0)
    return (
        transaction_id, at, at, 7, "Ann Lee", "ann@example.com", "+1-555-0100",
        Decimal("12.50"), 42, 0.93, dt.datetime.fromisoformat(queued_at),
    )  # fmt: skip


@pytest.fixture
def warehouse(tmp_path, monkeypatch) -> Warehouse:
    for name, value in base_env(tmp_path).items():
        monkeypatch.setenv(name, value)
    monkeypatch.chdir(tmp_path)  # the warehouse's path is relative to the test's folder
    monkeypatch.setenv("FRAUD_DUCKDB_PATH", "fraud_detection.duckdb")
    house = Warehouse(tmp_path / "fraud_detection.duckdb")
    with reused_parse([], dict(os.environ), tmp_path):  # the session's parse, on first use
        house.dbt.run(["run", "--select", "fraud_alert_deliveries"])
    with duckdb.connect(str(house.path)) as connection:
        connection.execute("""
            create table fraud_alerts (
                transaction_id bigint, tx_datetime timestamp,
                approximate_arrival_timestamp timestamp, customer_id bigint, full_name varchar,
                email_address varchar, phone_number varchar, tx_amount decimal(18, 2),
                terminal_id bigint, fraud_probability double, _queued_at timestamp
            )
        """)
    return house


def ids(path) -> list[str]:
    return [json.loads(line)["transaction_id"] for line in path.read_text().splitlines()]


def closed_sns_client():
    """SNS at a loopback port nobody listens on: every call is a connection error."""
    return boto3.client(
        "sns",
        region_name="eu-west-1",
        endpoint_url=f"http://127.0.0.1:{free_port()}",
        aws_access_key_id="x",
        aws_secret_access_key="x",
        config=Config(retries={"max_attempts": 1}, connect_timeout=1),
    )


def test_each_alert_goes_once_to_each_sink_and_marks_survive_restarts(warehouse, tmp_path):
    out = tmp_path / "alerts.jsonl"
    terminal = io.StringIO()
    big = 1795877360106000752
    warehouse.queue([row(big, "2026-11-28 12:00:01"), row(2, "2026-11-28 12:00:01")])
    delivery = warehouse.delivery([TerminalSink(terminal), JsonLinesSink(out)])
    assert [a.transaction_id for a in delivery.deliver(warehouse.dbt.query)] == ["2", str(big)]
    assert delivery.deliver(warehouse.dbt.query) == []  # nothing new

    warehouse.queue([row(3, "2026-11-28 12:00:03")])
    restarted = warehouse.delivery([TerminalSink(terminal), JsonLinesSink(out)])
    assert [a.transaction_id for a in restarted.deliver(warehouse.dbt.query)] == ["3"]

    # Ids beyond 2**53 travel as strings, exact; money as a decimal string.
    assert ids(out) == ["2", str(big), "3"]
    assert json.loads(out.read_text().splitlines()[0])["tx_amount"] == "12.50"
    assert terminal.getvalue().count("FRAUD ALERT 12:00:00") == 3
    assert "call Ann Lee +1-555-0100 <ann@example.com>" in terminal.getvalue()
    mark = Mark("2026-11-28T12:00:03.000000Z", 3)
    assert warehouse.marks() == {"terminal": mark, "file": mark}
    # A full refresh keeps the marks: losing them would send the whole queue again.
    warehouse.dbt.run(["run", "--select", "fraud_alert_deliveries", "--full-refresh"])
    assert warehouse.marks() == {"terminal": mark, "file": mark}


def test_a_failing_sink_is_retried_while_the_others_go_on_and_nothing_is_sent_twice(
    warehouse, tmp_path
):
    """#16: SNS failing twice, then a good run, left 1,193 lines for 735 alerts in the file."""
    out = tmp_path / "alerts.jsonl"
    now = [0.0]
    warehouse.queue([row(n, "2026-11-28 12:00:01") for n in range(1, 13)])
    sns = SnsSink(closed_sns_client(), TOPIC)
    delivery = warehouse.delivery([JsonLinesSink(out), sns], clock=lambda: now[0])

    assert len(delivery.deliver(warehouse.dbt.query)) == 12  # the file took them
    [failure] = delivery.failures.values()
    assert failure.startswith(f"alert sink sns ({TOPIC} at {sns.client.meta.endpoint_url})")
    assert "Could not connect to the endpoint URL" in failure
    assert "retrying in" in delivery.log_lines[-1]
    warehouse.queue([row(13, "2026-11-28 12:00:03")])
    now[0] += 0.1  # before the retry is due: only the file is sent the new alert
    assert [a.transaction_id for a in delivery.deliver(warehouse.dbt.query)] == ["13"]
    assert warehouse.marks()["sns"] is None  # SNS took nothing: from the start of the queue
    now[0] += 61  # the retry is due: SNS is sent everything, the file nothing again
    stubber = Stubber(sns.client)
    for batch in (range(1, 11), range(11, 14)):
        stubber.add_response(
            "publish_batch",
            {"Successful": [{"Id": str(n), "MessageId": f"m{n}"} for n in batch], "Failed": []},
        )
    with stubber:
        assert delivery.deliver(warehouse.dbt.query) == []  # none new: the file had them all
    stubber.assert_no_pending_responses()
    assert delivery.failures == {}
    assert ids(out) == [str(n) for n in range(1, 14)]
    assert warehouse.marks()["sns"] == Mark("2026-11-28T12:00:03.000000Z", 13)


def test_the_alerts_command_names_the_failing_sink_and_exits_2_after_the_others(
    warehouse, tmp_path, monkeypatch, capsys
):
    out = tmp_path / "alerts.jsonl"
    warehouse.queue([row(1, "2026-11-28 12:00:01")])
    endpoint = f"http://127.0.0.1:{free_port()}"
    monkeypatch.setenv("AWS_ENDPOINT_URL_SNS", endpoint)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "x")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "x")
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "1")
    argv = ["alerts", "--alerts-out", str(out), "--sns-topic-arn", TOPIC, "--region", "eu-west-1"]
    assert detection(argv) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err[-1].startswith(f"error: alert sink sns ({TOPIC} at {endpoint}) failed: ")
    assert "kinesis" not in err[-1].lower()
    assert ids(out) == ["1"]  # the file was delivered to before the error


def test_a_new_output_file_is_not_sent_what_an_earlier_one_was(warehouse, tmp_path):
    """#16: a second demo with another --out re-sent all 106 alerts of the run before it."""
    warehouse.queue([row(n, "2026-11-28 12:00:01") for n in (1, 2)])
    warehouse.delivery([JsonLinesSink(tmp_path / "first.jsonl")]).deliver(warehouse.dbt.query)
    warehouse.queue([row(3, "2026-11-28 12:00:05")])
    second = tmp_path / "second" / "alerts.jsonl"
    warehouse.delivery([JsonLinesSink(second)]).deliver(warehouse.dbt.query)
    assert ids(second) == ["3"]


def test_a_sink_added_later_starts_at_the_others_mark(warehouse):
    warehouse.queue([row(1, "2026-11-28 12:00:01")])
    warehouse.delivery([TerminalSink(io.StringIO())]).deliver(warehouse.dbt.query)
    warehouse.queue([row(2, "2026-11-28 12:00:05")])
    sns = SnsSink(closed_sns_client(), TOPIC)
    stubber = Stubber(sns.client)
    stubber.add_response(
        "publish_batch",
        {"Successful": [{"Id": "2", "MessageId": "m2"}], "Failed": []},
        {"TopicArn": TOPIC, "PublishBatchRequestEntries": [
            {"Id": "2", "Subject": "Card fraud suspected: transaction 2", "Message": ANY}
        ]},
    )  # fmt: skip
    with stubber:
        warehouse.delivery([TerminalSink(io.StringIO()), sns]).deliver(warehouse.dbt.query)
    stubber.assert_no_pending_responses()


def test_the_file_mark_is_recovered_from_the_file_after_a_crash(warehouse, tmp_path):
    """Written, then killed before the warehouse's mark moved: the file's last record wins,
    and a line the kill cut short is ended and skipped."""
    out = tmp_path / "alerts.jsonl"
    warehouse.queue([row(n, "2026-11-28 12:00:01") for n in (1, 2)])
    warehouse.delivery([JsonLinesSink(out)]).deliver(warehouse.dbt.query)
    warehouse.queue([row(3, "2026-11-28 12:00:05")])
    crashed = warehouse.delivery([JsonLinesSink(out)])
    rows = warehouse.dbt.query(pending_alerts_sql(Mark("2026-11-28T12:00:01.000000Z", 2)))
    from fraud_detection.alerts.alert import Alert

    JsonLinesSink(out).send([Alert.from_row(rows[0], dt.datetime.now(dt.UTC))])
    with out.open("a") as file:
        file.write('{"transaction_id": "4", "queu')  # cut short
    assert crashed.deliver(warehouse.dbt.query) == []
    assert ids_of_complete_lines(out) == ["1", "2", "3"]
    warehouse.queue([row(5, "2026-11-28 12:00:09")])
    crashed.deliver(warehouse.dbt.query)
    assert ids_of_complete_lines(out) == ["1", "2", "3", "5"]


def ids_of_complete_lines(path) -> list[str]:
    found = []
    for line in path.read_text().splitlines():
        try:
            found.append(json.loads(line)["transaction_id"])
        except ValueError:
            continue
    return found


def test_sns_gets_batches_of_ten_and_a_refusal_keeps_its_mark(warehouse):
    warehouse.queue([row(n, "2026-11-28 12:00:01") for n in range(12)])
    sns = SnsSink(closed_sns_client(), TOPIC)
    stubber = Stubber(sns.client)
    for batch in (range(10), range(10, 12)):
        stubber.add_response(
            "publish_batch",
            {"Successful": [{"Id": str(n), "MessageId": f"m{n}"} for n in batch], "Failed": []},
            {
                "TopicArn": TOPIC,
                "PublishBatchRequestEntries": [
                    {"Id": str(n), "Subject": f"Card fraud suspected: transaction {n}",
                     "Message": ANY}
                    for n in batch
                ],
            },
        )  # fmt: skip
    with stubber:
        assert len(warehouse.delivery([sns]).deliver(warehouse.dbt.query)) == 12
    stubber.assert_no_pending_responses()

    warehouse.queue([row(99, "2026-11-28 12:00:05")])
    refusing = Stubber(sns.client)
    refusing.add_response(
        "publish_batch",
        {"Successful": [], "Failed": [{"Id": "99", "Code": "KMSThrottling", "SenderFault": False}]},
    )
    delivery = warehouse.delivery([sns])
    with refusing:
        assert delivery.deliver(warehouse.dbt.query) == []
    assert "SNS refused 1 alert(s), e.g. 99: KMSThrottling" in delivery.failures["sns"]
    assert warehouse.marks()["sns"] == Mark("2026-11-28T12:00:01.000000Z", 11)
