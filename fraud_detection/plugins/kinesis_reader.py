"""dbt-duckdb plugin: the local streaming ingestion.

``kinesis_records(stream, positions)`` reads every record of every shard of a Kinesis stream
after the sequence numbers in ``positions`` (a JSON object {shard_id: sequence_number}; shards
not named are read from TRIM_HORIZON) and returns them as a list of structs with the columns
of Redshift's Kinesis stream relation. The streaming_materialized_view materialization inserts
its result in one statement, so the stored rows are their own checkpoint: a refresh commits
records and positions together, or nothing.

A shard whose stored position is older than the shard itself (the stream was deleted and
made again, as when the local Kinesis restarts with a fresh data folder) is read from its
start, with a warning: sequence numbers only grow, so such a position cannot be the shard's.
Redshift's streaming ingestion resumes per shard the same way, from the last sequence number it
read (see docs/deploy.md).

The endpoint is a connection setting, the plugin's ``endpoint_url`` in profiles.yml (env
KINESIS_ENDPOINT_URL), not part of the view's definition: moving the local Kinesis to another
port changes no fingerprint.
"""

from __future__ import annotations

import datetime as dt
import json
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urlparse

from dbt.adapters.duckdb.plugins import BasePlugin
from dbt.adapters.events.logging import AdapterLogger
from duckdb import DuckDBPyConnection

from fraud_detection.plugins import register
from producer import local_kinesis
from producer.kinesis import make_client
from producer.local_kinesis import endpoint_url as local_endpoint_url
from producer.shards import list_shards, read_shard

LOGGER = AdapterLogger("fraud_detection")
FUNCTION = "kinesis_records"
STREAM_RECORD = (
    "STRUCT("
    "approximate_arrival_timestamp TIMESTAMP, partition_key VARCHAR, shard_id VARCHAR, "
    "sequence_number VARCHAR, refresh_time TIMESTAMP, kinesis_data BLOB"
    ")[]"
)
DEFAULT_ENDPOINT_URL = local_endpoint_url()


def start_hint(endpoint_url: str) -> str:
    """The command that starts the local Kinesis where ``endpoint_url`` points."""
    port = urlparse(endpoint_url).port
    default = port in (None, local_kinesis.DEFAULT_PORT)
    return "make kinesis-start" + ("" if default else f" KINESIS_PORT={port}")


class KinesisReader:
    """Reads new records from every shard of a stream, shards in parallel."""

    def __init__(self, endpoint_url: str) -> None:
        self.endpoint_url = endpoint_url
        self._client = None

    def client(self):
        if self._client is None:
            self._client = make_client(self.endpoint_url or None)
        return self._client

    def read(self, stream: str, positions_json: str | None) -> list[tuple]:
        client = self.client()
        positions = json.loads(positions_json) if positions_json else {}
        try:
            listed = list_shards(client, stream)
            shards = [shard["ShardId"] for shard in listed]
        except client.exceptions.ResourceNotFoundException:
            raise ValueError(
                f"Kinesis stream {stream!r} does not exist at {self.endpoint_url}: start "
                "publishing (python -m producer stream ...) or set the dbt var stream_name"
            ) from None
        except Exception as error:
            if type(error).__name__ == "EndpointConnectionError":
                raise ValueError(
                    f"cannot reach Kinesis at {self.endpoint_url}: start it with "
                    f"`{start_hint(self.endpoint_url)}`"
                ) from None
            raise
        refresh_time = dt.datetime.now(dt.UTC).replace(tzinfo=None)
        starts = {
            shard["ShardId"]: shard["SequenceNumberRange"]["StartingSequenceNumber"]
            for shard in listed
        }

        def read(shard: str) -> list[tuple]:
            after = positions.get(shard)
            if after is not None and int(after) < int(starts[shard]):
                LOGGER.warning(
                    f"Kinesis stream {stream!r}, shard {shard}: the stored position is older "
                    "than the shard (was the stream deleted and made again?): reading the shard "
                    "from its start"
                )
                after = None
            return [
                (
                    record["ApproximateArrivalTimestamp"].astimezone(dt.UTC).replace(tzinfo=None),
                    record["PartitionKey"],
                    shard,
                    record["SequenceNumber"],
                    refresh_time,
                    record["Data"],
                )
                for page in read_shard(client, stream, shard, after)
                for record in page
            ]

        with ThreadPoolExecutor(max_workers=min(4, max(1, len(shards)))) as pool:
            return [row for part in pool.map(read, shards) for row in part]


class Plugin(BasePlugin):
    def initialize(self, plugin_config: dict) -> None:
        self._reader = KinesisReader(plugin_config.get("endpoint_url", DEFAULT_ENDPOINT_URL))

    def configure_connection(self, conn: DuckDBPyConnection) -> None:
        register(conn, FUNCTION, self._reader.read, ["VARCHAR", "VARCHAR"], STREAM_RECORD)
