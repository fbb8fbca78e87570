"""Running the project's dbt commands from tests, against a throwaway DuckDB file or offline
for Redshift (compile only: no cluster is reachable, and none is contacted).

Commands run in this process through dbt's programmatic runner, as the refresh loop runs them:
a `dbt` process pays about 3 s of imports and a cold parse each time, the runner a warm parse
(about 1.7 s). Each command sees exactly the environment a process would (``env``), runs in the
folder a process would be started in, and its console output is what the process would have
printed. ``command()`` gives the argv of a real process, for tests that must kill dbt or hold
the warehouse from another process.

dbt's own partial parsing is reused from test to test. dbt keeps its parse in the target folder
(``partial_parse.msgpack``) and reuses it when the vars, the profile and the project's files
are those it was made with. Each test has its own target folder, so the last parse made with
the same vars is copied into a new one before its first command. For the profile to be the
same, a test's paths are relative to its folder, where dbt runs; the tests on one worker share
one stream name and one empty history, so that their vars are the same too. Where anything
differs, dbt says so and parses afresh, as it would for a user.
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

from fraud_detection import dbt_template_code
from fraud_detection.dbt_session import close_duckdb_file
from fraud_detection.defaults import PROJECT_DIR
from fraud_detection.testing import dbt_flag_source
from fraud_detection.testing.kinesis import feedback_stream

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
def environment(env: dict[str, str], folder: Path = PROJECT_DIR) -> Iterator[None]:
    """This process's environment and folder as a dbt process started with ``env`` in
    ``folder`` would have them, restored afterwards."""
    saved, previous = dict(os.environ), os.getcwd()
    os.environ.clear()
    os.environ.update(env)
    os.chdir(folder)
    try:
        yield
    finally:
        os.chdir(previous)
        os.environ.clear()
        os.environ.update(saved)


# The last partial parse dbt wrote for each set of vars, target and folder-relative settings,
# and the set each target folder's parse was made with.
_PARSES: dict[str, bytes] = {}
_MADE_WITH: dict[Path, str] = {}
PARTIAL_PARSE_FILE = "partial_parse.msgpack"


def _parse_key(args: list[str], env: dict[str, str]) -> str:
    """What decides whether dbt can reuse a parse: the vars, the target and the profile's
    settings (dbt checks them itself; this key finds the parse most likely to pass). The vars
    are read as dbt reads them, so that the same vars written another way (keys in another
    order, a trailing comma) find the same parse, as dbt's own check finds them equal."""
    options = {
        name: args[i + 1] for i, name in enumerate(args[:-1]) if name in ("--vars", "--target")
    }
    if "--vars" in options:
        options["--vars"] = _read_vars(options["--vars"])
    settings = ("FRAUD_DUCKDB_PATH", "FRAUD_MODELS_DIR", "KINESIS_ENDPOINT_URL", "DBT_TARGET")
    return json.dumps([options, [env.get(name) for name in settings]], sort_keys=True, default=str)


def _read_vars(text: str):
    """The vars as the YAML mapping dbt reads, or the text itself if it is not one (dbt will
    refuse it, and say why)."""
    import yaml

    try:
        return yaml.safe_load(text)
    except yaml.YAMLError:
        return text


@contextlib.contextmanager
def reused_parse(
    args: list[str], env: dict[str, str], folder: Path = PROJECT_DIR
) -> Iterator[None]:
    """Around dbt commands with ``args`` and ``env``: the target folder gets the last parse
    made with the same vars and settings, and gives back the one dbt leaves there."""
    key = _parse_key(args, env)
    saved = Path(env.get("DBT_TARGET_PATH", folder / "target")) / PARTIAL_PARSE_FILE
    if key in _PARSES and _MADE_WITH.get(saved) != key:
        saved.parent.mkdir(parents=True, exist_ok=True)
        saved.write_bytes(_PARSES[key])
    try:
        yield
    finally:
        if saved.exists():
            _PARSES[key], _MADE_WITH[saved] = saved.read_bytes(), key


def invoke(args: list[str], env: dict[str, str], folder: Path = PROJECT_DIR) -> DbtResult:
    """One dbt command in this process, run in ``folder``: its exit code (0 ok, 1 failed,
    2 error, as the `dbt` command's) and what it printed."""
    from dbt.cli.main import dbtRunner

    dbt_flag_source.install()
    dbt_template_code.install()
    printed = io.StringIO()
    with (
        reused_parse(args, env, folder),
        environment(env, folder),
        contextlib.redirect_stdout(printed),
        contextlib.redirect_stderr(printed),
    ):
        try:
            result = dbtRunner().invoke(args)
        finally:
            close_duckdb_file()
    if result.success:
        return DbtResult(0, printed.getvalue())
    if result.exception is not None:
        return DbtResult(2, f"{printed.getvalue()}\n{result.exception}")
    return DbtResult(1, printed.getvalue())


class LocalDbt:
    """dbt against the local target: one DuckDB file and one Kinesis endpoint.

    dbt's JSON artifacts (manifest.json, run_results.json, catalog.json) are written only with
    ``artifacts=True``, for what reads them: writing the manifest twice per command was about a
    third of a small `dbt run` here, and what the warehouse holds is the same either way."""

    def __init__(self, work_dir: Path, endpoint_url: str, stream: str, artifacts: bool = False):
        self.folder = work_dir  # where dbt runs: the profile's relative paths start here
        self.artifacts = artifacts
        self.env = base_env(work_dir)
        self.env["FRAUD_DUCKDB_PATH"] = "fraud_detection.duckdb"
        self.env["KINESIS_ENDPOINT_URL"] = endpoint_url
        self.stream = stream
        self.database = work_dir / "fraud_detection.duckdb"
        self.history_vars = ""

    def build_training_features(self, history: Path, models_dir: Path) -> None:
        """Build a world's history, customer_info and training features, with the model's
        artifacts kept in ``models_dir``; later commands pass ``history_vars``. The training
        set reads the stream's labelled transactions too, so the stream (made beforehand, at
        the endpoint) is read, and its models built, on the way."""
        self.env["FRAUD_MODELS_DIR"] = os.path.relpath(models_dir, self.folder)
        self.history_vars = f"history_path: '{history}'"
        built = self.run(
            "build", "-s", "customer_info", "+int_training_features",
            "--indirect-selection", "cautious",  # not the tests of staging models left out
            vars=self.history_vars,
        )  # fmt: skip
        if built.returncode != 0:
            raise RuntimeError(f"dbt build failed:\n{built.output[-3000:]}")

    def model_versions(self, model: str) -> list[str]:
        """The local model's artifact folders (v1, v2, ...)."""
        folder = self.folder / self.env["FRAUD_MODELS_DIR"] / model
        return sorted(p.name for p in folder.glob("v*")) if folder.exists() else []

    def model_connection(self):
        """A read-only connection to the DuckDB file with the model's SQL functions."""
        import duckdb

        from fraud_detection.plugins.fraud_model import Plugin

        connection = duckdb.connect(str(self.database), read_only=True)
        models_dir = self.folder / self.env["FRAUD_MODELS_DIR"]
        Plugin("testing", {"models_dir": str(models_dir)}).configure_connection(connection)
        return connection

    def command(self, *args: str, vars: str | None = None) -> list[str]:
        stream_vars = (
            f"stream_name: {self.stream}, feedback_stream_name: {feedback_stream(self.stream)}"
        )
        if "history_path" not in (vars or ""):  # staging checks ids against the history
            stream_vars += f", history_path: '{self.empty_history()}'"
        all_vars = "{" + stream_vars + (", " + vars if vars else "") + "}"
        quiet = [] if self.artifacts else ["--no-write-json"]
        return [DBT, *args, *quiet, "--vars", all_vars, "--project-dir", str(PROJECT_DIR)]

    def run(self, *args: str, vars: str | None = None) -> DbtResult:
        return invoke(self.command(*args, vars=vars)[1:], self.env, self.folder)

    def killed_when_logged(self, text: str, *args: str, vars: str | None = None) -> str:
        """Run a dbt process and SIGKILL it the moment its debug log (which prints each SQL
        statement before running it) shows ``text``; the output up to then. A kill at a point
        the log names, not after a guessed sleep, so a test needs only enough records for that
        statement to outlast the kill's few milliseconds."""
        import signal
        import subprocess

        process = subprocess.Popen(
            [*self.command(*args, vars=vars), "--log-level", "debug"],
            env=self.env, cwd=str(self.folder),
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        )  # fmt: skip
        lines = []
        for line in process.stdout:
            lines.append(line)
            if text in line:
                process.send_signal(signal.SIGKILL)
                break
        process.wait(timeout=60)
        output = "".join(lines)
        if process.returncode != -signal.SIGKILL:
            raise AssertionError(f"dbt ended before logging {text!r}:\n{output[-3000:]}")
        return output

    def empty_history(self) -> Path:
        """A labelled history with no transaction, for tests that stream only: one file beside
        the test folders, the same in the vars of every test on this worker."""
        path = self.folder.parent / "empty_history.parquet"
        if not path.exists():
            import duckdb

            partial = path.with_suffix(f".{os.getpid()}.tmp")
            with duckdb.connect() as connection:
                connection.execute(
                    "copy (select 0::bigint as TRANSACTION_ID, now()::timestamp as TX_DATETIME,"
                    " 0::bigint as CUSTOMER_ID, 0::bigint as TERMINAL_ID,"
                    " 0::decimal(18, 2) as TX_AMOUNT, 0::bigint as TX_TIME_SECONDS,"
                    " 0::bigint as TX_TIME_DAYS, 0 as TX_FRAUD, 0 as TX_FRAUD_SCENARIO"
                    f" limit 0) to '{partial}' (format parquet)"
                )
            partial.replace(path)
        return path

    def last_model_seconds(self) -> float:
        """dbt's own execution time of the single model the last command ran (from its
        run_results.json: ``artifacts=True``); the project's hooks have results of their own."""
        run_results = json.loads(Path(self.env["DBT_TARGET_PATH"], "run_results.json").read_text())
        [result] = [r for r in run_results["results"] if r["unique_id"].startswith("model.")]
        return result["execution_time"]

    def query(self, sql: str) -> list[tuple]:
        import duckdb

        with duckdb.connect(str(self.database), read_only=True) as connection:
            return connection.execute(sql).fetchall()

    def scalar(self, sql: str):
        return self.query(sql)[0][0]
