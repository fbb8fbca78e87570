"""dbt-duckdb plugin: the local counterparts of what Redshift does inside the warehouse.

Streaming ingestion:

``kinesis_records(stream, endpoint_url, positions)`` is the local streaming ingestion: it
reads every record of every shard of a Kinesis stream after the sequence numbers in
``positions`` (a JSON object {shard_id: sequence_number}; shards not named are read from
TRIM_HORIZON) and returns them as a list of structs with the columns of Redshift's Kinesis
stream relation. The streaming_materialized_view materialization inserts its result in one
statement, so the stored rows are their own checkpoint: a refresh commits records and
positions together, or nothing.

Redshift ML: ``fn_customer_cc_fd(<the 15 inputs>)`` returns 0/1 and
``fn_customer_cc_fd_prob(...)`` the fraud probability, from the current artifact of model
``cust_cc_txn_fd`` (see producer.fraud_model); ``fraud_model_train`` and ``fraud_model_info``
are what the ml_model materialization calls.

Enabled in profiles.yml: ``plugins: [{module: producer.duckdb_plugin, config: {models_dir: ...}}]``.
"""

from __future__ import annotations

import datetime as dt
import inspect
import json
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict
from pathlib import Path

import numpy as np
import pyarrow as pa
from dbt.adapters.duckdb.plugins import BasePlugin
from duckdb import DuckDBPyConnection

from producer.fraud_model import (
    FEATURES,
    ModelInfo,
    ModelStore,
    TrainingOptions,
    for_serving,
    train,
)
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


def _with_feature_parameters(method):
    """DuckDB counts a UDF's parameters: give a ``*columns`` method the 15 named inputs."""

    def call(*columns: pa.Array) -> pa.Array:
        return method(*columns)

    call.__signature__ = inspect.Signature(
        [inspect.Parameter(name, inspect.Parameter.POSITIONAL_ONLY) for name in FEATURES]
    )
    return call


_THREADPOOLS = None


def _single_threaded():
    """A context in which native thread pools (OpenMP, BLAS) use one thread."""
    global _THREADPOOLS
    if _THREADPOOLS is None:
        from threadpoolctl import ThreadpoolController

        _THREADPOOLS = ThreadpoolController()
    return _THREADPOOLS.limit(limits=1)


class FraudModelFunctions:
    """The SQL-facing side of a locally trained model: train, describe, predict."""

    def __init__(self, models_dir: Path, model_name: str):
        self.store = ModelStore(models_dir, model_name)
        self._loaded: tuple[int, object, ModelInfo] | None = None
        self.connection: DuckDBPyConnection | None = None

    def _model(self) -> tuple[object, ModelInfo]:
        version = self.store.current_version()
        if self._loaded is None or self._loaded[0] != version:
            model, info = self.store.load()
            self._loaded = (info.version, for_serving(model), info)
        return self._loaded[1], self._loaded[2]

    def probabilities(self, *columns: pa.Array) -> pa.Array:
        model, _ = self._model()
        features = np.column_stack(
            [column.to_numpy(zero_copy_only=False).astype(np.float64) for column in columns]
        )
        # DuckDB already calls this from each of its threads, one vector at a time: a single
        # OpenMP thread per call. Letting the model start its own team as well oversubscribes
        # the cores, and OpenMP's spin-waiting then made a 1,000-row call take seconds.
        with _single_threaded():
            return pa.array(model.predict_proba(features)[:, 1], pa.float64())

    def predictions(self, *columns: pa.Array) -> pa.Array:
        _, info = self._model()
        probabilities = self.probabilities(*columns).to_numpy()
        return pa.array((probabilities >= info.threshold).astype(np.int32), pa.int32())

    def train(self, training_table: str, options_json: str, fingerprint: str) -> str:
        cursor = self.connection.cursor()  # sees committed tables only: the caller commits first
        # A fixed row order: the same data then trains the same model (DuckDB's CREATE TABLE AS
        # keeps no order, and the learners bin and split on a sample of rows).
        frame = cursor.execute(f"select * from {training_table} order by all").df()
        options = json.loads(options_json)  # its arrays are the tuple options (features, learners)
        options = TrainingOptions(
            **{
                key: tuple(value) if isinstance(value, list) else value
                for key, value in options.items()
            }
        )
        model, info = train(frame, options, self.store.model_name)
        info.fingerprint = fingerprint
        return json.dumps(asdict(self.store.save(model, info)))

    def info(self, _unused: str | None = None) -> str | None:
        info = self.store.info()
        return None if info is None else json.dumps(asdict(info))


class Plugin(BasePlugin):
    def initialize(self, plugin_config: dict) -> None:
        self._reader = KinesisReader()
        models_dir = Path(plugin_config.get("models_dir", ".local/models"))
        self._model = FraudModelFunctions(
            models_dir, plugin_config.get("model_name", "cust_cc_txn_fd")
        )
        self._function = plugin_config.get("function_name", "fn_customer_cc_fd")

    def configure_connection(self, conn: DuckDBPyConnection) -> None:
        self._model.connection = conn
        inputs = ["DOUBLE"] * len(FEATURES)
        functions = [
            (
                "kinesis_records",
                self._reader.read,
                ["VARCHAR", "VARCHAR", "VARCHAR"],
                STREAM_RECORD,
                {},
            ),
            (
                self._function,
                _with_feature_parameters(self._model.predictions),
                inputs,
                "INTEGER",
                {"type": "arrow"},
            ),
            (
                f"{self._function}_prob",
                _with_feature_parameters(self._model.probabilities),
                inputs,
                "DOUBLE",
                {"type": "arrow"},
            ),
            ("fraud_model_train", self._model.train, ["VARCHAR"] * 3, "VARCHAR", {}),
            ("fraud_model_info", self._model.info, ["VARCHAR"], "VARCHAR", {}),
        ]
        for name, function, parameters, returns, options in functions:
            try:
                conn.create_function(
                    name,
                    function,
                    parameters,
                    returns,
                    side_effects=True,
                    null_handling="special",
                    **options,
                )
            except Exception as error:  # functions are per database: a second connection has it
                if "already exists" not in str(error):
                    raise
