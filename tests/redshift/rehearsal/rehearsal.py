"""Rehearsal: PostgreSQL 15 + the Redshift shim + the bridge + streams + Redshift ML, together.

with Rehearsal(work_dir, kinesis_endpoint_url) as rehearsal:
    env = {**base_env(work_dir), **rehearsal.env}    # then run dbt --target redshift
    rehearsal.query("select model_state from svv_ml_model_info")
"""

from __future__ import annotations

import logging
import os
import shutil
import sysconfig
import tempfile
from contextlib import closing
from pathlib import Path

from .bridge import Bridge
from .dialect import LEADING_COMMENTS, Translator
from .postgres import PgServer, missing_requirements
from .redshift_ml import ModelTrainer
from .streams import AutoRefresher, StreamIngestion

log = logging.getLogger(__name__)
HERE = Path(__file__).resolve().parent

# The columns of macros/operations/load_history_from_s3.sql's table, in order.
HISTORY_COLUMNS = [
    ("transaction_id", "bigint"),
    ("tx_datetime", "timestamp"),
    ("customer_id", "bigint"),
    ("terminal_id", "bigint"),
    ("tx_amount", "decimal(18, 2)"),
    ("tx_time_seconds", "bigint"),
    ("tx_time_days", "bigint"),
    ("tx_fraud", "bigint"),
    ("tx_fraud_scenario", "bigint"),
]
IDENTITY_KINDS = ("user", "role", "group")


class Rehearsal:
    def __init__(
        self,
        work_dir: Path,
        kinesis_endpoint_url: str,
        auto_refresh_seconds: float | None = 1.0,
        log_statements: bool = False,
        schema: str = "fraud_detection",
        refuse_unsupported_functions: bool = True,
    ):
        self.work_dir = Path(work_dir).resolve()
        self.kinesis_endpoint_url = kinesis_endpoint_url
        self.auto_refresh_seconds = auto_refresh_seconds
        self.log_statements = log_statements
        self.schema = schema
        # Refuse generate_series/pg_sleep & co (dialect.UNSUPPORTED_FUNCTIONS), which Redshift
        # documents as unsupported although its leader node may run them.
        self.refuse_unsupported_functions = refuse_unsupported_functions
        # What the server (the `postgres` account) must reach, data dir and model artifacts,
        # lives in a folder of its own under the system temp dir (/tmp is world-traversable):
        # pytest keeps /tmp/pytest-of-<user> at 0700 and resets it when any session starts,
        # so nothing the server reads by path may live under a tmp_path. Removed by stop()
        # unless PG_REHEARSAL_KEEP is set; the server log is copied to work_dir.
        self.server_dir: Path | None = None  # made by start()
        self.models_dir: Path | None = None  # server_dir / "models"
        self.pg: PgServer | None = None
        self.bridge: Bridge | None = None
        self.translator: Translator | None = None
        self.ingestion: StreamIngestion | None = None
        self.trainer: ModelTrainer | None = None
        self.refresher: AutoRefresher | None = None

    # -- lifecycle ---------------------------------------------------------------------------
    def __enter__(self) -> Rehearsal:
        try:
            return self.start()
        except BaseException:
            self.stop()
            raise

    def __exit__(self, *exc) -> None:
        self.stop()

    def start(self) -> Rehearsal:
        problem = missing_requirements()
        if problem:
            raise RuntimeError(problem)
        from common.paths import PROJECT_DIR

        self.work_dir.mkdir(parents=True, exist_ok=True)
        self.server_dir = Path(tempfile.mkdtemp(prefix="rehearsal-"))
        self.models_dir = self.server_dir / "models"
        os.chmod(self.server_dir, 0o711)  # others may traverse, not list
        self.models_dir.mkdir()
        os.chmod(self.models_dir, 0o755)  # PL/Python (as postgres) loads the artifacts
        self.pg = PgServer(self.server_dir / "postgres", log_statements=self.log_statements)
        self.pg.start()
        self.execute((HERE / "shim.sql").read_text())
        self.ingestion = StreamIngestion(self.pg.connect, self.kinesis_endpoint_url)
        # PL/Python (the server's Python 3.11) imports the project and the venv's packages.
        paths = [
            str(PROJECT_DIR),
            sysconfig.get_paths()["purelib"],
            sysconfig.get_paths()["platlib"],
        ]
        self.trainer = ModelTrainer(self.pg.connect, self.models_dir, list(dict.fromkeys(paths)))
        self.trainer.start()
        self.translator = Translator(self.ingestion, self.refuse_unsupported_functions)
        self.bridge = Bridge(
            self.pg.port, self.translator, record=self.translator.record, tls=True
        ).start()
        if self.auto_refresh_seconds:
            self.refresher = AutoRefresher(self.ingestion, self.auto_refresh_seconds)
            self.refresher.start()
        return self

    def stop(self) -> None:
        for part in (self.refresher, self.bridge, self.trainer):
            if part is not None:
                try:
                    part.stop()
                except Exception:
                    log.exception("stopping %s", type(part).__name__)
        self.refresher = self.bridge = self.trainer = None
        if self.pg is not None:
            self.pg.stop()
            if self.pg.log_file.exists():
                shutil.copy(self.pg.log_file, self.work_dir / "postgres.log")
            self.pg = None
        if self.server_dir is not None and not os.environ.get("PG_REHEARSAL_KEEP"):
            shutil.rmtree(self.server_dir, ignore_errors=True)

    # -- for dbt -----------------------------------------------------------------------------
    @property
    def env(self) -> dict[str, str]:
        """Variables for a dbt process using profiles.example.yml's `redshift` output as is
        (merge them over the rest of its environment, e.g. fraud_detection.testing.dbt.base_env)."""
        return {
            "DBT_TARGET": "redshift",
            "REDSHIFT_HOST": "127.0.0.1",
            "REDSHIFT_PORT": str(self.bridge.port),
            "REDSHIFT_USER": self.pg.user,
            "DBT_ENV_SECRET_REDSHIFT_PASSWORD": "rehearsal-trust-auth",  # trust auth: unused
            "REDSHIFT_DATABASE": self.pg.dbname,
            "REDSHIFT_SCHEMA": self.schema,
            "REDSHIFT_IAM_ROLE_ARN": "arn:aws:iam::123456789012:role/rehearsal",
            "SSL_CERT_FILE": str(self.bridge.ca_file),  # trust the bridge's certificate
            "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
            "DBT_VERSION_CHECK": "false",
        }

    @property
    def statements(self) -> list[str]:
        """Every SQL statement the bridge received, in order (before translation), for
        assertions: leading comments (dbt's /* {"app": "dbt", ...} */) removed and runs of
        whitespace collapsed to one space. A cached prepared statement appears once per
        execution. raw_statements has them exactly as sent."""
        return [
            " ".join(sql[LEADING_COMMENTS.match(sql).end() :].split())
            for sql in self.translator.statements
        ]

    @property
    def raw_statements(self) -> list[str]:
        return list(self.translator.statements)

    def redshift(self, sql: str) -> list[tuple]:
        """``sql`` as the bridge would forward it (translated from Redshift's dialect), run
        directly: for SQL that no dbt command sends, such as an offline compile's."""
        translated, on_execute = self.translator(sql)
        if on_execute is not None:
            on_execute()
        return self.query(translated)

    # -- direct access (not through the bridge) ------------------------------------------------
    def query(self, sql: str, params=None) -> list[tuple]:
        with closing(self.pg.connect()) as conn, conn.cursor() as cur:
            cur.execute(sql, params)
            return cur.fetchall() if cur.description else []

    def execute(self, sql: str, params=None) -> None:
        self.query(sql, params)

    def refresh_streams(self) -> None:
        """What Redshift's AUTO REFRESH does, now (see streams.py)."""
        self.ingestion.refresh_streams()

    def create_role(self, name: str, kind: str = "role") -> None:
        """A Redshift role, group or user (a PostgreSQL role; `kind` is what
        svv_relation_privileges.identity_type reports)."""
        if kind not in IDENTITY_KINDS:
            raise ValueError(f"kind must be one of {IDENTITY_KINDS}")
        login = "login" if kind == "user" else "nologin"
        self.execute(f'create role "{name}" {login}')
        self.execute("insert into redshift_shim.identities values (%s, %s)", (name, kind))

    def load_history(
        self, parquet_path: Path, schema: str, table: str = "cust_payment_tx_history"
    ) -> int:
        """What load_history_from_s3 (COPY ... FORMAT AS PARQUET) would load: the macro's table,
        emptied, then the file's columns by position. "The number of columns in the target table
        and the number of columns in the data file must match"
        (https://docs.aws.amazon.com/redshift/latest/dg/copy-usage_notes-copy-from-columnar.html)."""
        import io

        import pyarrow.parquet as pq

        data = pq.read_table(parquet_path)
        if data.num_columns != len(HISTORY_COLUMNS):
            raise ValueError(
                f"COPY from Parquet maps columns by position and needs the same number: the file "
                f"has {data.num_columns} ({', '.join(data.column_names)}), "
                f"the table {len(HISTORY_COLUMNS)}"
            )
        columns = ", ".join(f"{name} {type_}" for name, type_ in HISTORY_COLUMNS)
        buffer = io.StringIO()
        data.to_pandas().to_csv(buffer, index=False, header=False)
        buffer.seek(0)
        with closing(self.pg.connect(autocommit=False)) as conn, conn.cursor() as cur:
            cur.execute(f'create schema if not exists "{schema}"')
            cur.execute(f'create table if not exists "{schema}"."{table}" ({columns})')
            cur.execute(f'truncate "{schema}"."{table}"')
            cur.copy_expert(f'copy "{schema}"."{table}" from stdin with (format csv)', buffer)
            conn.commit()
        return data.num_rows
