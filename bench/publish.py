"""publish_records_per_s against raw_put_records_per_s: 100,000 live records to a 2-shard
stream on a local kinesalite, by the Publisher and by a minimal boto3 put_records loop, in
alternating runs against the same server. Target: the Publisher at >= 90% of the raw loop."""

from __future__ import annotations

import datetime as dt
import tempfile
import time
import uuid
from pathlib import Path

import numpy as np

from bench import results
from producer.kinesis import ensure_stream, make_client
from producer.live import LiveSimulator
from producer.local_kinesis import LocalKinesis
from producer.publish import Publisher
from producer.records import encode_live
from producer.world import WorldConfig, build_world

RECORDS = 100_000
RUNS = 3


def live_records(n: int) -> list:
    now = dt.datetime.now(dt.UTC)
    simulator = LiveSimulator(build_world(WorldConfig()), np.random.default_rng(0), now)
    batch = simulator.take(n, now)
    return list(encode_live(batch.created_at, batch.transactions))


def raw_loop(client, stream: str, records: list) -> float:
    started = time.perf_counter()
    for lo in range(0, len(records), 500):
        entries = [
            {"Data": r.data, "PartitionKey": r.partition_key} for r in records[lo : lo + 500]
        ]
        client.put_records(StreamName=stream, Records=entries)
    return len(records) / (time.perf_counter() - started)


def publisher_run(client, stream: str, records: list) -> float:
    stats = Publisher(client, stream).publish(records)
    assert stats.sent == len(records), stats
    return stats.sent / stats.seconds


def fresh_stream(client) -> str:
    name = f"bench-{uuid.uuid4().hex[:8]}"
    ensure_stream(client, name, shards=2, create=True)
    return name


def main() -> None:
    records = live_records(RECORDS)
    raw, published = [], []
    with (
        tempfile.TemporaryDirectory() as folder,
        LocalKinesis(port=4599, data_dir=Path(folder)) as server,
    ):
        client = make_client(server.endpoint_url)
        for _ in range(RUNS):
            raw.append(raw_loop(client, fresh_stream(client), records))
            published.append(publisher_run(client, fresh_stream(client), records))
    raw_median, published_median = results.median(raw), results.median(published)
    results.write(
        "publish",
        {
            "publish_records_per_s": round(published_median),
            "raw_put_records_per_s": round(raw_median),
            "publish_to_raw_ratio": round(published_median / raw_median, 3),
            "records": RECORDS,
            "shards": 2,
            "target_ratio": 0.9,
        },
        {
            "publish_records_per_s": [round(x) for x in published],
            "raw_put_records_per_s": [round(x) for x in raw],
        },
    )


if __name__ == "__main__":
    main()
