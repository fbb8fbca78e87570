"""dbt-duckdb plugin: the local counterparts of what Redshift does inside the warehouse.

``kinesis_records(stream, endpoint_url, positions)`` is the local streaming ingestion: it
reads every record of every shard of a Kinesis stream after the sequence numbers in
``positions`` (a JSON object {shard_id: sequence_number}; shards not named are read from
TRIM_HORIZON) and returns them as a list of structs with the columns of Redshift's Kinesis
stream relation. The streaming_materialized_view materialization inserts its result in one
statement, so the stored rows are their own checkpoint: a refresh commits records and
positions together, or nothing.

Enabled in profiles.yml: ``plugins: [{module: producer.duckdb_plugin}]``.
"""

from __future__ import annotations

import datetime as dt
import json
from concurrent.futures import ThreadPoolExecutor

from dbt.adapters.duckdb.plugins import BasePlugin
from duckdb import DuckDBPyConnection

from producer.kinesis import make_client

STREAM_RECORD = (
    "STRUCT("
    "approximate_arrival_timestamp TIMESTAMP, partition_key VARCHAR, shard_id VARCHAR, "
    "sequence_number VARCHAR, refresh_time TIMESTAMP, kinesis_data BLOB"
    ")[]"
)
GET_RECORDS_LIMIT = 10_000


class KinesisReader:
    """Reads new records from every shard of a stream, shards in parallel."""

    def __init__(self) -> None:
        self._clients: dict[str, object] = {}

    def client(self, endpoint_url: str):
        if endpoint_url not in self._clients:
            self._clients[endpoint_url] = make_client(endpoint_url or None)
        return self._clients[endpoint_url]

    def read(self, stream: str, endpoint_url: str, positions_json: str | None) -> list[tuple]:
        client = self.client(endpoint_url)
        positions = json.loads(positions_json) if positions_json else {}
        try:
            shards = [s["ShardId"] for s in _list_shards(client, stream)]
        except client.exceptions.ResourceNotFoundException:
            raise ValueError(
                f"Kinesis stream {stream!r} does not exist at {endpoint_url}: start publishing "
                "(python -m producer stream ...) or set the dbt var stream_name"
            ) from None
        except Exception as error:
            if type(error).__name__ == "EndpointConnectionError":
                raise ValueError(
                    f"cannot reach Kinesis at {endpoint_url}: start it with `make kinesis-start`"
                ) from None
            raise
        refresh_time = dt.datetime.now(dt.UTC).replace(tzinfo=None)

        def read_shard(shard: str) -> list[tuple]:
            return _read_shard(client, stream, shard, positions.get(shard), refresh_time)

        with ThreadPoolExecutor(max_workers=min(4, max(1, len(shards)))) as pool:
            return [row for part in pool.map(read_shard, shards) for row in part]


def _list_shards(client, stream: str) -> list[dict]:
    shards, token = [], None
    while True:
        response = (
            client.list_shards(NextToken=token) if token else client.list_shards(StreamName=stream)
        )
        shards.extend(response["Shards"])
        token = response.get("NextToken")
        if not token:
            return shards


def _read_shard(
    client, stream: str, shard: str, after: str | None, refresh_time: dt.datetime
) -> list[tuple]:
    if after:
        iterator = client.get_shard_iterator(
            StreamName=stream,
            ShardId=shard,
            ShardIteratorType="AFTER_SEQUENCE_NUMBER",
            StartingSequenceNumber=after,
        )["ShardIterator"]
    else:
        iterator = client.get_shard_iterator(
            StreamName=stream, ShardId=shard, ShardIteratorType="TRIM_HORIZON"
        )["ShardIterator"]
    rows: list[tuple] = []
    while iterator:
        response = client.get_records(ShardIterator=iterator, Limit=GET_RECORDS_LIMIT)
        records = response["Records"]
        rows.extend(
            (
                record["ApproximateArrivalTimestamp"].astimezone(dt.UTC).replace(tzinfo=None),
                record["PartitionKey"],
                shard,
                record["SequenceNumber"],
                refresh_time,
                record["Data"],
            )
            for record in records
        )
        # Caught up: nothing returned and nothing behind (a closed shard has no next iterator).
        if not records and response.get("MillisBehindLatest", 0) == 0:
            break
        iterator = response.get("NextShardIterator")
    return rows


class Plugin(BasePlugin):
    def initialize(self, plugin_config: dict) -> None:
        self._reader = KinesisReader()

    def configure_connection(self, conn: DuckDBPyConnection) -> None:
        try:
            conn.create_function(
                "kinesis_records",
                self._reader.read,
                ["VARCHAR", "VARCHAR", "VARCHAR"],
                STREAM_RECORD,
                side_effects=True,
                null_handling="special",
            )
        except Exception as error:  # functions are per database: a second connection has it
            if "already exists" not in str(error):
                raise
