"""Reading a whole stream back with GetRecords, for assertions."""

from __future__ import annotations

import json


def read_stream(client, stream: str) -> dict[str, list[dict]]:
    """Every record of every shard, oldest first: {shard_id: [{key, sequence, payload}]}."""
    shards = client.list_shards(StreamName=stream)["Shards"]
    records: dict[str, list[dict]] = {}
    for shard in shards:
        iterator = client.get_shard_iterator(
            StreamName=stream, ShardId=shard["ShardId"], ShardIteratorType="TRIM_HORIZON"
        )["ShardIterator"]
        found = records.setdefault(shard["ShardId"], [])
        while iterator:
            response = client.get_records(ShardIterator=iterator, Limit=10_000)
            found.extend(
                {
                    "key": record["PartitionKey"],
                    "sequence": record["SequenceNumber"],
                    "payload": json.loads(record["Data"]),
                }
                for record in response["Records"]
            )
            if not response["Records"] and response.get("MillisBehindLatest", 0) == 0:
                break
            iterator = response.get("NextShardIterator")
    return records


def all_payloads(client, stream: str) -> list[dict]:
    return [r["payload"] for shard in read_stream(client, stream).values() for r in shard]
