"""Reading a whole stream back with GetRecords, for assertions."""

from __future__ import annotations

import json

from producer.shards import list_shards, read_shard


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
