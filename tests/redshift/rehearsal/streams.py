"""Kinesis streaming ingestion, rehearsed.

Redshift (https://docs.aws.amazon.com/redshift/latest/dg/materialized-view-streaming-ingestion-getting-started.html):
a relation `schema."stream-name"` of a schema created FROM KINESIS is the stream, with the
columns approximate_arrival_timestamp, partition_key varchar(256), shard_id char(20),
sequence_number varchar(128), refresh_time, kinesis_data VARBYTE. A materialized view reading
it ingests on REFRESH: the first from TRIM_HORIZON, each next one from the last sequence
number of the previous one. AUTO REFRESH YES refreshes it in the background.

Here the stream relation is a table (kinesis_data bytea) created when a CREATE MATERIALIZED
VIEW references it. `StreamIngestion.pull` appends what the local Kinesis holds after each
shard's last position (redshift_shim.stream_positions, like SYS_STREAM_SCAN_STATES); the
PostgreSQL REFRESH then recomputes the view from the table, which keeps every record ever
ingested, so the view holds what Redshift's incremental refresh would. Records of 1 MiB or
more are skipped and logged in sys_stream_scan_errors ("Amazon Redshift only supports record
sizes less than 1 MiB", https://docs.aws.amazon.com/streams/latest/dev/large-records.html).
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from contextlib import closing

log = logging.getLogger(__name__)

MAX_RECORD_BYTES = 1024 * 1024  # records of this size or more are not ingested
STREAM_COLUMNS = """(
    approximate_arrival_timestamp timestamp,
    partition_key varchar(256),
    shard_id char(20),
    sequence_number varchar(128),
    refresh_time timestamp,
    kinesis_data bytea
)"""


def _utc_naive(value: dt.datetime) -> dt.datetime:
    return value.astimezone(dt.UTC).replace(tzinfo=None) if value.tzinfo else value


class StreamIngestion:
    def __init__(self, connect, endpoint_url: str):
        self.connect = connect  # () -> psycopg2 connection (autocommit)
        self.endpoint_url = endpoint_url
        self._lock = threading.Lock()  # one ingestion at a time (no duplicate rows)
        self._client = None

    def client(self):
        if self._client is None:
            from producer.kinesis import make_client

            self._client = make_client(self.endpoint_url)
        return self._client

    # -- which streams -------------------------------------------------------------------------
    def kinesis_schemas(self) -> list[str]:
        with closing(self.connect()) as conn, conn.cursor() as cur:
            cur.execute("select schema_name from redshift_shim.kinesis_schemas")
            return [r[0] for r in cur.fetchall()]

    def streams_of_mv(self, mv: str) -> list[tuple[str, str]]:
        """The stream relations a materialized view reads (through pg_depend)."""
        with closing(self.connect()) as conn, conn.cursor() as cur:
            cur.execute(
                """
                select distinct s.schema_name, s.stream_name
                from pg_rewrite r
                join pg_depend d on d.classid = 'pg_rewrite'::regclass and d.objid = r.oid
                join pg_class c on c.oid = d.refobjid
                join pg_namespace n on n.oid = c.relnamespace
                join redshift_shim.kinesis_streams s
                  on s.schema_name = n.nspname and s.stream_name = c.relname
                where r.ev_class = to_regclass(%s)""",
                (mv,),
            )
            return cur.fetchall()

    def all_streams(self) -> list[tuple[str, str]]:
        with closing(self.connect()) as conn, conn.cursor() as cur:
            cur.execute("select schema_name, stream_name from redshift_shim.kinesis_streams")
            return cur.fetchall()

    def ensure_stream_relation(self, schema: str, stream: str) -> None:
        with closing(self.connect()) as conn, conn.cursor() as cur:
            cur.execute(f'create table if not exists "{schema}"."{stream}" {STREAM_COLUMNS}')
            cur.execute(
                "insert into redshift_shim.kinesis_streams values (%s, %s) on conflict do nothing",
                (schema, stream),
            )

    # -- ingestion -----------------------------------------------------------------------------
    def pull(self, schema: str, stream: str, mv_name: str | None = None) -> int:
        """Append the stream's new records to its relation; how many were added."""
        from producer.shards import list_shards, read_shard

        with self._lock:
            client = self.client()
            conn = self.connect()
            try:
                cur = conn.cursor()
                cur.execute(
                    "select shard_id, latest_position from redshift_shim.stream_positions "
                    "where schema_name = %s and stream_name = %s",
                    (schema, stream),
                )
                positions = dict(cur.fetchall())
                refresh_time = dt.datetime.now(dt.UTC).replace(tzinfo=None)
                added = 0
                for shard in list_shards(client, stream):
                    shard_id = shard["ShardId"]
                    last = positions.get(shard_id)
                    rows, errors = [], []
                    for page in read_shard(client, stream, shard_id, after=last):
                        for record in page:
                            last = record["SequenceNumber"]
                            arrived = _utc_naive(record["ApproximateArrivalTimestamp"])
                            if len(record["Data"]) >= MAX_RECORD_BYTES:
                                errors.append(
                                    (
                                        schema,
                                        stream,
                                        mv_name,
                                        arrived,
                                        refresh_time,
                                        shard_id,
                                        last,
                                        len(record["Data"]),
                                    )
                                )
                                continue
                            rows.append(
                                (
                                    arrived,
                                    record["PartitionKey"],
                                    shard_id,
                                    last,
                                    refresh_time,
                                    record["Data"],
                                )
                            )
                    if last is None or last == positions.get(shard_id):
                        continue
                    conn.autocommit = False
                    cur.executemany(
                        f'insert into "{schema}"."{stream}" values (%s, %s, %s, %s, %s, %s)', rows
                    )
                    # error_code/error_reason values are not documented: ours are made up.
                    cur.executemany(
                        "insert into sys_stream_scan_errors (external_schema_name, stream_name, "
                        "mv_name, stream_timestamp_type, stream_timestamp, record_time, "
                        "partition_id, position, error_code, error_reason) values "
                        "(%s, %s, %s, 'A', %s, %s, %s, %s, 1, "
                        "'record of ' || %s || ' bytes: "
                        "Kinesis records of 1 MiB or more are not ingested')",
                        errors,
                    )
                    cur.execute(
                        "insert into redshift_shim.stream_positions values (%s, %s, %s, %s) "
                        "on conflict (schema_name, stream_name, shard_id) "
                        "do update set latest_position = excluded.latest_position",
                        (schema, stream, shard_id, last),
                    )
                    conn.commit()
                    conn.autocommit = True
                    added += len(rows)
                return added
            finally:
                conn.close()

    def pull_for_mv(self, mv: str) -> None:
        for schema, stream in self.streams_of_mv(mv):
            self.pull(schema, stream, mv_name=mv)

    def refresh_streams(self) -> None:
        """Redshift's AUTO REFRESH, now: ingest every stream, then refresh every materialized
        view whose AUTO REFRESH is on."""
        for schema, stream in self.all_streams():
            self.pull(schema, stream)
        with closing(self.connect()) as conn, conn.cursor() as cur:
            cur.execute("""select format('%I.%I', m.schemaname, m.matviewname)
                           from pg_matviews m join redshift_shim.mv_settings s
                             on s.schema_name = m.schemaname and s.mv_name = m.matviewname
                           where s.auto_refresh""")
            views = [row[0] for row in cur.fetchall()]
            # A short lock_timeout: a queued exclusive lock would block dbt's readers.
            cur.execute("set lock_timeout = '1s'")
            for mv in views:
                cur.execute(f"refresh materialized view {mv}")


class AutoRefresher:
    """A thread doing StreamIngestion.refresh_streams() every `seconds`; errors are logged,
    never raised (a view being rebuilt by dbt, a lock timeout...)."""

    def __init__(self, ingestion: StreamIngestion, seconds: float):
        self.ingestion, self.seconds = ingestion, seconds
        self._stop = threading.Event()
        self._thread = threading.Thread(
            target=self._run, daemon=True, name="rehearsal-auto-refresh"
        )
        self.errors: list[str] = []

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(30)

    def _run(self) -> None:
        while not self._stop.wait(self.seconds):
            try:
                self.ingestion.refresh_streams()
            except Exception as e:  # transient: log and go on
                self.errors.append(str(e).strip())
                log.info("auto refresh: %s", str(e).strip())
