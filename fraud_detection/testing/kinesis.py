"""Streams for tests: one made afresh under a reused name, and read back whole for assertions."""

from __future__ import annotations

import contextlib
import json
import time

from producer.kinesis import ensure_stream
from producer.shards import list_shards, read_shard


def feedback_stream(stream: str) -> str:
    """The feedback stream that goes with a test's transaction stream."""
    return f"{stream}-feedback"


def fresh_streams(client, name: str, shards: int = 2) -> str:
    """Transaction stream ``name`` and its feedback stream, both made afresh (fresh_stream)."""
    fresh_stream(client, feedback_stream(name), shards=1)
    return fresh_stream(client, name, shards=shards)


def fresh_stream(client, name: str, shards: int = 2, timeout: float = 30.0) -> str:
    """Stream ``name``, deleted if it exists and made again, empty, with ``shards`` shards.

    Tests on one worker reuse one name: dbt's vars, which name the stream, then stay the same
    from test to test, and so does dbt's parse of the project."""
    with contextlib.suppress(client.exceptions.ResourceNotFoundException):
        client.delete_stream(StreamName=name, EnforceConsumerDeletion=True)
    deadline = time.monotonic() + timeout
    while _exists(client, name):  # DELETING until it is gone: made again before, it would go
        if time.monotonic() > deadline:
            raise TimeoutError(f"stream {name} still exists {timeout:.0f} s after its deletion")
        time.sleep(0.05)
    ensure_stream(client, name, shards=shards, create=True)
    return name


def _exists(client, name: str) -> bool:
    try:
        client.describe_stream_summary(StreamName=name)
    except client.exceptions.ResourceNotFoundException:
        return False
    return True


def read_stream(client, stream: str) -> dict[str, list[dict]]:
    """Every record of every shard, oldest first: {shard_id: [{key, sequence, payload}]}."""
    return {
        shard["ShardId"]: [
            {
                "key": record["PartitionKey"],
                "sequence": record["SequenceNumber"],
                "payload": json.loads(record["Data"]),
            }
            for page in read_shard(client, stream, shard["ShardId"])
            for record in page
        ]
        for shard in list_shards(client, stream)
    }


def all_payloads(client, stream: str) -> list[dict]:
    return [r["payload"] for shard in read_stream(client, stream).values() for r in shard]
