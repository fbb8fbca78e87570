"""Running the project's dbt commands from tests, against a throwaway DuckDB file or offline
for Redshift (compile only: no cluster is reachable, and none is contacted).

Commands run in this process through dbt's programmatic runner, as the refresh loop runs them:
a `dbt` process pays about 3 s of imports and a cold parse each time, the runner a warm parse
(about 1.7 s) or, with the same vars as the last command, a partial one. Each command sees
exactly the environment a process would (``env``), and its console output is what the process
would have printed. ``command()`` gives the argv of a real process, for tests that must kill
dbt or hold the warehouse from another process.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import shutil
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from fraud_detection.defaults import PROJECT_DIR

DBT = str(Path(sys.executable).with_name("dbt"))

# Redshift settings for offline compiles: a closed loopback port, never a real host.
REDSHIFT_ENV = {
    "REDSHIFT_HOST": "127.0.0.1",
    "REDSHIFT_PORT": "9",
    "REDSHIFT_USER": "dbt_offline",
    "DBT_ENV_SECRET_REDSHIFT_PASSWORD": "not-a-password",
    "REDSHIFT_IAM_ROLE_ARN": "arn:aws:iam::123456789012:role/fraud-detection-redshift",
}


def base_env(work_dir: Path) -> dict[str, str]:
    """Environment for a dbt process: profile from profiles.example.yml, no phoning home."""
    profiles = work_dir / "profiles"
    profiles.mkdir(parents=True, exist_ok=True)
    shutil.copy(PROJECT_DIR / "profiles.example.yml", profiles / "profiles.yml")
    return {
        **os.environ,
        "PYTHONPATH": str(PROJECT_DIR),
        "DBT_PROFILES_DIR": str(profiles),
        "DBT_TARGET_PATH": str(work_dir / "target"),
        "DBT_LOG_PATH": str(work_dir / "logs"),
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
        "DBT_VERSION_CHECK": "false",
        **REDSHIFT_ENV,
    }


@dataclass
class DbtResult:
    returncode: int
    output: str


@contextlib.contextmanager
def environment(env: dict[str, str]) -> Iterator[None]:
    """This process's environment and folder as a dbt process started with ``env`` would have
    them, restored afterwards."""
    saved, folder = dict(os.environ), os.getcwd()
    os.environ.clear()
    os.environ.update(env)
    os.chdir(PROJECT_DIR)
    try:
        yield
    finally:
        os.chdir(folder)
        os.environ.clear()
        os.environ.update(saved)


def invoke(args: list[str], env: dict[str, str]) -> DbtResult:
    """One dbt command in this process: its exit code (0 ok, 1 failed, 2 error, as the `dbt`
    command's) and what it printed."""
    from dbt.cli.main import dbtRunner

    printed = io.StringIO()
    with (
        environment(env),
        contextlib.redirect_stdout(printed),
        contextlib.redirect_stderr(printed),
    ):
        result = dbtRunner().invoke(args)
    if result.success:
        return DbtResult(0, printed.getvalue())
    if result.exception is not None:
        return DbtResult(2, f"{printed.getvalue()}\n{result.exception}")
    return DbtResult(1, printed.getvalue())


class LocalDbt:
    """dbt against the local target: one DuckDB file and one Kinesis endpoint."""

    def __init__(self, work_dir: Path, endpoint_url: str, stream: str):
        self.env = base_env(work_dir)
        self.env["FRAUD_DUCKDB_PATH"] = str(work_dir / "fraud_detection.duckdb")
        self.env["KINESIS_ENDPOINT_URL"] = endpoint_url
        self.stream = stream
        self.database = Path(self.env["FRAUD_DUCKDB_PATH"])
        self.history_vars = ""

    def build_training_features(self, history: Path, models_dir: Path) -> None:
        """Build a world's history, customer_info and training features, with the model's
        artifacts kept in ``models_dir``; later commands pass ``history_vars``."""
        self.env["FRAUD_MODELS_DIR"] = str(models_dir)
        self.history_vars = f"history_path: '{history}'"
        models = ("customer_info", "cust_payment_tx_history", "int_training_features")
        built = self.run("build", "-s", *models, vars=self.history_vars)
        if built.returncode != 0:
            raise RuntimeError(f"dbt build failed:\n{built.output[-3000:]}")

    def model_versions(self, model: str) -> list[str]:
        """The local model's artifact folders (v1, v2, ...)."""
        folder = Path(self.env["FRAUD_MODELS_DIR"]) / model
        return sorted(p.name for p in folder.glob("v*")) if folder.exists() else []

    def model_connection(self):
        """A read-only connection to the DuckDB file with the model's SQL functions."""
        import duckdb

        from fraud_detection.plugins.fraud_model import Plugin

        connection = duckdb.connect(str(self.database), read_only=True)
        Plugin("testing", {"models_dir": self.env["FRAUD_MODELS_DIR"]}).configure_connection(
            connection
        )
        return connection

    def command(self, *args: str, vars: str | None = None) -> list[str]:
        stream_vars = f"stream_name: {self.stream}"
        if "history_path" not in (vars or ""):  # staging checks ids against the history
            stream_vars += f", history_path: '{self.empty_history()}'"
        all_vars = "{" + stream_vars + (", " + vars if vars else "") + "}"
        return [DBT, *args, "--vars", all_vars, "--project-dir", str(PROJECT_DIR)]

    def run(self, *args: str, vars: str | None = None) -> DbtResult:
        return invoke(self.command(*args, vars=vars)[1:], self.env)

    def empty_history(self) -> Path:
        """A labelled history with no transaction, for tests that stream only."""
        path = self.database.parent / "empty_history.parquet"
        if not path.exists():
            import duckdb

            with duckdb.connect() as connection:
                connection.execute(
                    "copy (select 0::bigint as TRANSACTION_ID, now()::timestamp as TX_DATETIME,"
                    " 0::bigint as CUSTOMER_ID, 0::bigint as TERMINAL_ID,"
                    " 0::decimal(18, 2) as TX_AMOUNT, 0::bigint as TX_TIME_SECONDS,"
                    " 0::bigint as TX_TIME_DAYS, 0 as TX_FRAUD, 0 as TX_FRAUD_SCENARIO"
                    f" limit 0) to '{path}' (format parquet)"
                )
        return path

    def last_model_seconds(self) -> float:
        """dbt's own execution time of the single model the last command ran."""
        run_results = json.loads(Path(self.env["DBT_TARGET_PATH"], "run_results.json").read_text())
        [result] = run_results["results"]
        return result["execution_time"]

    def query(self, sql: str) -> list[tuple]:
        import duckdb

        with duckdb.connect(str(self.database), read_only=True) as connection:
            return connection.execute(sql).fetchall()

    def scalar(self, sql: str):
        return self.query(sql)[0][0]
