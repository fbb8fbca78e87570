"""Reading a stream's shards back with ListShards, GetShardIterator and GetRecords: the local
streaming ingestion (fraud_detection.plugins.kinesis_reader) and the tests read with this.
The producer itself only writes: its IAM policy has none of these calls."""

from __future__ import annotations

from collections.abc import Iterator

GET_RECORDS_LIMIT = 10_000


def list_shards(client, stream: str) -> list[dict]:
    """Every shard of ``stream``, following ListShards' pages."""
    shards, token = [], None
    while True:
        response = (
            client.list_shards(NextToken=token) if token else client.list_shards(StreamName=stream)
        )
        shards.extend(response["Shards"])
        token = response.get("NextToken")
        if not token:
            return shards


def read_shard(
    client, stream: str, shard: str, after: str | None = None, limit: int = GET_RECORDS_LIMIT
) -> Iterator[list[dict]]:
    """The records of one shard after sequence number ``after`` (else from TRIM_HORIZON), one
    GetRecords page at a time, until the reader has caught up with the shard."""
    if after:
        position = {"ShardIteratorType": "AFTER_SEQUENCE_NUMBER", "StartingSequenceNumber": after}
    else:
        position = {"ShardIteratorType": "TRIM_HORIZON"}
    iterator = client.get_shard_iterator(StreamName=stream, ShardId=shard, **position)[
        "ShardIterator"
    ]
    while iterator:
        response = client.get_records(ShardIterator=iterator, Limit=limit)
        if response["Records"]:
            yield response["Records"]
        # Caught up: nothing returned and nothing behind (a closed shard has no next iterator).
        elif response.get("MillisBehindLatest", 0) == 0:
            return
        iterator = response.get("NextShardIterator")
