"""ingest_records_per_s: one local refresh of the streaming view (`dbt run -s
cust_payment_tx_stream` into a fresh DuckDB file) pulling 100,000 records from a 2-shard
kinesalite stream, against raw_get_records_per_s: a plain single-threaded boto3 GetRecords
loop reading the same records in the same run. The refresh's time is dbt's own execution
time for the model (run_results.json); the whole command, dbt's start-up included, is
reported beside it. Target: the refresh at least as fast as the raw loop."""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

from bench import results
from bench.publish import live_records
from fraud_detection.testing.dbt import LocalDbt
from producer.kinesis import ensure_stream, make_client
from producer.local_kinesis import LocalKinesis
from producer.publish import Publisher

RECORDS = 100_000
RUNS = 3
STREAM = "bench-ingest"


def raw_loop(client) -> float:
    started = time.perf_counter()
    count = 0
    for shard in client.list_shards(StreamName=STREAM)["Shards"]:
        iterator = client.get_shard_iterator(
            StreamName=STREAM, ShardId=shard["ShardId"], ShardIteratorType="TRIM_HORIZON"
        )["ShardIterator"]
        while iterator:
            response = client.get_records(ShardIterator=iterator, Limit=10_000)
            count += len(response["Records"])
            if not response["Records"]:
                break
            iterator = response.get("NextShardIterator")
    assert count == RECORDS, count
    return count / (time.perf_counter() - started)


def refresh(work_dir: Path, endpoint_url: str) -> tuple[float, float]:
    dbt = LocalDbt(work_dir, endpoint_url, STREAM, artifacts=True)
    started = time.perf_counter()
    result = dbt.run("run", "-s", "cust_payment_tx_stream")
    command_seconds = time.perf_counter() - started
    assert result.returncode == 0, result.output[-2000:]
    assert dbt.scalar("select count(*) from cust_payment_tx_stream") == RECORDS
    return RECORDS / dbt.last_model_seconds(), command_seconds


def main() -> None:
    raw, ingest, commands = [], [], []
    with (
        tempfile.TemporaryDirectory() as folder,
        LocalKinesis(port=4598, data_dir=Path(folder) / "kinesis") as server,
    ):
        client = make_client(server.endpoint_url)
        ensure_stream(client, STREAM, shards=2, create=True)
        Publisher(client, STREAM).publish(live_records(RECORDS))
        for run in range(RUNS):
            raw.append(raw_loop(client))
            per_second, command_seconds = refresh(Path(folder) / f"run{run}", server.endpoint_url)
            ingest.append(per_second)
            commands.append(command_seconds)
    raw_median, ingest_median = results.median(raw), results.median(ingest)
    results.write(
        "ingest",
        {
            "ingest_records_per_s": round(ingest_median),
            "raw_get_records_per_s": round(raw_median),
            "ingest_to_raw_ratio": round(ingest_median / raw_median, 3),
            "ingest_dbt_command_seconds": round(results.median(commands), 2),
            "records": RECORDS,
            "shards": 2,
            "target_ratio": 1.0,
        },
        {
            "ingest_records_per_s": [round(x) for x in ingest],
            "raw_get_records_per_s": [round(x) for x in raw],
            "ingest_dbt_command_seconds": [round(x, 2) for x in commands],
        },
    )


if __name__ == "__main__":
    main()
