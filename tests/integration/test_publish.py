"""Publishing to a real kinesalite on 127.0.0.1, and partial failures with botocore's Stubber."""

from __future__ import annotations

import json
from collections import defaultdict

import numpy as np
import pytest
from botocore.exceptions import ClientError
from botocore.stub import Stubber

from fraud_detection.testing.kinesis import all_payloads, read_stream
from producer.kinesis import KinesisSetupError, ensure_stream, make_client
from producer.publish import Publisher
from producer.records import Record


def make_records(n: int, keys: int) -> list[Record]:
    rng = np.random.default_rng(0)
    return [
        Record(str(key), json.dumps({"TRANSACTION_ID": i, "CUSTOMER_ID": key}).encode(), i)
        for i, key in enumerate(rng.integers(keys, size=n).tolist())
    ]


def test_every_record_arrives_once_in_per_key_order(kinesis_client, stream_name):
    records = make_records(3_000, keys=40)
    stats = Publisher(kinesis_client, stream_name).publish(records)
    assert (stats.sent, stats.retried, stats.failed) == (3_000, 0, 0)

    shards = read_stream(kinesis_client, stream_name)
    got = [r["payload"]["TRANSACTION_ID"] for shard in shards.values() for r in shard]
    assert sorted(got) == list(range(3_000))
    assert sum(1 for shard in shards.values() if shard) == 2  # both shards used
    by_key = defaultdict(list)
    for shard in shards.values():
        for record in shard:
            by_key[record["key"]].append(record["payload"]["TRANSACTION_ID"])
    for ids in by_key.values():
        assert ids == sorted(ids)


def test_batches_respect_record_and_byte_limits(kinesis_client, stream_name):
    records = make_records(1_200, keys=1_000)
    publisher = Publisher(kinesis_client, stream_name, max_batch_records=200, max_batch_bytes=4_000)
    stats = publisher.publish(records)
    assert stats.sent == 1_200
    record_bytes = max(len(r.data) + len(r.partition_key) for r in records)
    assert stats.requests >= 1_200 * record_bytes // 4_000 // 2
    assert len(all_payloads(kinesis_client, stream_name)) == 1_200


def test_a_stream_deleted_part_way_leaves_every_record_sent_or_given_up(
    kinesis_client, stream_name
):
    """#24: the stream deleted under the producer. Every record it took is either sent or
    given up with the stream's error (labelled or in --failed-out), none is lost in between."""
    outcomes = {}
    records = make_records(2_000, keys=40)

    def deleted_after_the_first(records):
        for n, record in enumerate(records):
            if n == 1_200:  # the first requests are out, the next batches being taken
                kinesis_client.delete_stream(StreamName=stream_name)
                kinesis_client.get_waiter("stream_not_exists").wait(
                    StreamName=stream_name, WaiterConfig={"Delay": 0.1}
                )
            yield record

    publisher = Publisher(kinesis_client, stream_name, max_batch_records=500)
    with pytest.raises(ClientError, match="ResourceNotFound"):
        publisher.publish(
            deleted_after_the_first(records),
            on_outcome=lambda record, given_up: outcomes.setdefault(
                record.transaction_id, given_up and given_up.error_code
            ),
        )
    taken = sorted(outcomes)
    assert taken == list(range(len(taken))) and len(taken) >= 1_000  # none skipped
    sent = [n for n, code in outcomes.items() if code is None]
    assert 0 < len(sent) < len(taken)  # the first requests went out, the rest were given up
    assert {code for code in outcomes.values() if code} == {"ResourceNotFoundException"}


def test_missing_stream_is_not_created_unless_asked(kinesis_client):
    with pytest.raises(KinesisSetupError, match=r"does not exist.*--create-stream"):
        ensure_stream(kinesis_client, "never-created", shards=1, create=False)


def test_a_restarted_local_kinesis_keeps_its_streams(tmp_path):
    from fraud_detection.testing.ports import free_port
    from producer.local_kinesis import LocalKinesis

    server = LocalKinesis(port=free_port(), data_dir=tmp_path)
    with server:
        client = make_client(server.endpoint_url)
        ensure_stream(client, "kept", shards=1, create=True)
        Publisher(client, "kept").publish(make_records(50, keys=5))
    with server:
        client = make_client(server.endpoint_url)
        assert len(all_payloads(client, "kept")) == 50


# -- partial failures: the stream cannot be made to fail on demand, so these use a Stubber ------


def stubbed_client():
    client = make_client("http://127.0.0.1:9")  # never contacted: the Stubber answers
    return client, Stubber(client)


def entries(records: list[Record]) -> list[dict]:
    return [{"Data": r.data, "PartitionKey": r.partition_key} for r in records]


def ok() -> dict:
    return {"SequenceNumber": "1", "ShardId": "shardId-000000000000"}


def failed(code: str = "ProvisionedThroughputExceededException") -> dict:
    return {"ErrorCode": code, "ErrorMessage": "Rate exceeded for shard"}


def publisher_for(client, **options) -> Publisher:
    return Publisher(
        client, "s", sleep=lambda seconds: None, rng=np.random.default_rng(0), **options
    )


def test_only_the_failed_entries_are_resent():
    client, stub = stubbed_client()
    records = make_records(5, keys=1_000)
    records = [Record(str(i), r.data, i) for i, r in enumerate(records)]  # five distinct keys
    stub.add_response(
        "put_records",
        {
            "FailedRecordCount": 2,
            "Records": [ok(), failed(), ok(), failed("InternalFailure"), ok()],
        },
        {"StreamName": "s", "Records": entries(records)},
    )
    stub.add_response(
        "put_records",
        {"Records": [ok(), ok()]},
        {"StreamName": "s", "Records": entries([records[1], records[3]])},
    )
    with stub:
        stats = publisher_for(client).publish(records)
    stub.assert_no_pending_responses()
    assert (stats.sent, stats.retried, stats.failed, stats.requests) == (5, 2, 0, 2)


def test_an_entry_that_keeps_failing_is_given_up_and_reported():
    client, stub = stubbed_client()
    records = [Record(str(i), b"{}", i) for i in range(3)]
    stub.add_response(
        "put_records",
        {"FailedRecordCount": 1, "Records": [ok(), failed(), ok()]},
        {"StreamName": "s", "Records": entries(records)},
    )
    for _ in range(2):
        stub.add_response(
            "put_records",
            {"FailedRecordCount": 1, "Records": [failed()]},
            {"StreamName": "s", "Records": entries([records[1]])},
        )
    with stub:
        stats = publisher_for(client, max_attempts=3).publish(records)
    stub.assert_no_pending_responses()
    assert (stats.sent, stats.retried, stats.failed) == (2, 2, 1)
    [given_up] = stats.given_up
    assert given_up.record == records[1]
    assert given_up.error_code == "ProvisionedThroughputExceededException"
    assert given_up.attempts == 3


def test_a_failed_entry_is_resent_before_later_records_of_its_key():
    client, stub = stubbed_client()
    # Keys a, a, b: the second "a" waits for the first, even when the first fails.
    records = [Record("a", b'{"n":0}', 0), Record("a", b'{"n":1}', 1), Record("b", b'{"n":2}', 2)]
    stub.add_response(
        "put_records",
        {"FailedRecordCount": 1, "Records": [failed(), ok()]},
        {"StreamName": "s", "Records": entries([records[0], records[2]])},
    )
    stub.add_response(
        "put_records", {"Records": [ok()]}, {"StreamName": "s", "Records": entries([records[0]])}
    )
    stub.add_response(
        "put_records", {"Records": [ok()]}, {"StreamName": "s", "Records": entries([records[1]])}
    )
    with stub:
        stats = publisher_for(client).publish(records)
    stub.assert_no_pending_responses()
    assert (stats.sent, stats.retried) == (3, 1)


def test_a_throttled_request_is_retried_whole():
    client, stub = stubbed_client()
    records = [Record(str(i), b"{}", i) for i in range(2)]
    stub.add_client_error(
        "put_records",
        "ProvisionedThroughputExceededException",
        expected_params={"StreamName": "s", "Records": entries(records)},
    )
    stub.add_response(
        "put_records", {"Records": [ok(), ok()]}, {"StreamName": "s", "Records": entries(records)}
    )
    with stub:
        stats = publisher_for(client).publish(records)
    assert (stats.sent, stats.retried) == (2, 2)


def test_a_request_error_that_retrying_cannot_fix_is_raised():
    client, stub = stubbed_client()
    stub.add_client_error("put_records", "ResourceNotFoundException")
    with stub, pytest.raises(ClientError, match="ResourceNotFound"):
        publisher_for(client).publish([Record("a", b"{}", 0)])


def test_backoff_is_capped_jittered_and_grows():
    client, stub = stubbed_client()
    delays: list[float] = []
    record = Record("a", b"{}", 0)
    for _ in range(6):
        stub.add_response("put_records", {"FailedRecordCount": 1, "Records": [failed()]})
    publisher = Publisher(
        client,
        "s",
        sleep=delays.append,
        rng=np.random.default_rng(1),
        max_attempts=6,
        base_delay=0.1,
        max_delay=0.5,
    )
    with stub:
        stats = publisher.publish([record])
    assert stats.failed == 1
    assert len(delays) == 5  # no wait after the last attempt
    ceilings = [min(0.5, 0.1 * 2**i) for i in range(5)]
    assert all(0 <= d <= c for d, c in zip(delays, ceilings, strict=True))
    assert len(set(delays)) == 5  # jittered, not fixed


def test_a_paced_publisher_held_up_goes_on_at_its_rate_without_a_burst(kinesis_client, stream_name):
    """300 records at 100/s, held up for 10 s after the 50th (a paused process, an outage):
    the 250 after it still take about 2.5 s less the second it may catch up."""
    now = [0.0]
    taken_at: list[float] = []

    def records():
        for i, record in enumerate(make_records(300, keys=300)):
            if i == 50:
                now[0] += 10.0  # the stall
            taken_at.append(now[0])
            yield record

    def sleep(seconds: float) -> None:
        now[0] += seconds

    publisher = Publisher(kinesis_client, stream_name, sleep=sleep, clock=lambda: now[0])
    assert publisher.publish(records(), rate=100).sent == 300
    assert taken_at[49] == pytest.approx(0.5, abs=0.1)  # paced before the stall
    # After it: at most a second's catching up, and the last batch (0.1 s of records) is
    # taken when due, not when sent. Sent at once, the 250 would take no time at all.
    assert taken_at[-1] - taken_at[50] >= 2.5 - 1.0 - 0.1 - 0.1
