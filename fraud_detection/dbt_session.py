"""dbt, in this process: the project parsed once, then run again and again.

The auto-refresh loop runs the same selection every few seconds. A `dbt` process would parse
the project and import the adapter each time (several seconds here); dbt's programmatic
runner, handed the parsed manifest, does neither. Locally the profile's `keep_open: true`
keeps the DuckDB file open for a whole command (dbt-duckdb would otherwise open it again for
each model), and each invocation here closes it when it ends (close_duckdb_file), so other
processes (a user's `dbt show`) can open it between cycles. Each Jinja text dbt renders is
compiled once for the session's life, not once per cycle (fraud_detection.dbt_template_code).
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from common.errors import UserError
from fraud_detection import dbt_template_code
from fraud_detection.defaults import PROJECT_DIR


def project_profiles_dir() -> Path | None:
    """The project folder's profiles.yml (made by `make setup`), unless DBT_PROFILES_DIR says."""
    if "DBT_PROFILES_DIR" in os.environ or not (PROJECT_DIR / "profiles.yml").exists():
        return None
    return PROJECT_DIR


def close_duckdb_file() -> None:
    """Close the DuckDB file that dbt-duckdb keeps open in this process, if any.

    The local profile sets `keep_open: true`: within one command dbt-duckdb then opens the file
    once, not once for each model (about 40 ms each here, a third of an idle refresh cycle).
    A dbt process closes it when it exits; in this process it would stay open, holding the file
    against other processes, until this is called. dbt-duckdb has no public call for it: its
    connection manager keeps the environment (the open database) as `_ENV`, whose `close()`
    closes the file and opens it again on the next command. Tests check the file is free after
    each in-process command (tests/integration/test_warehouse_busy.py)."""
    connections = sys.modules.get("dbt.adapters.duckdb.connections")
    if connections is None:  # no DuckDB target was used in this process
        return
    manager = connections.DuckDBConnectionManager
    with manager._LOCK:
        if manager._ENV is not None:
            manager._ENV.close()


class DbtError(UserError):
    """A dbt command failed: the message names what failed and why, on one line."""

    def __init__(self, message: str) -> None:
        super().__init__(" ".join(message.split()))


class DbtParseError(DbtError):
    """The project did not parse (a bad var, an unknown target): dbt's own message."""


class WarehouseBusyError(DbtError):
    """Another process holds the local warehouse (DuckDB lets one process write a file)."""


# For the loop's reads and small writes (a query, an operation): no artifacts written (dbt
# would serialise the whole manifest to target/manifest.json, about half of a `show`) and no
# relation cache filled (they name relations through ref() only). Together they halve the
# cost of the alert delivery's `show` each cycle (0.18 to 0.09 s here).
LIGHT_COMMAND_FLAGS = ("--no-write-json", "--no-populate-cache")

# What DuckDB says when another process holds the file.
_BUSY = ("Could not set lock on file", "Conflicting lock")


@dataclass(frozen=True)
class NodeTiming:
    name: str
    status: str
    seconds: float


class DbtSession:
    """One dbt project and target; `invoke` runs a dbt command in this process."""

    def __init__(
        self,
        target: str | None = None,
        vars: dict | None = None,
        project_dir: Path = PROJECT_DIR,
        profiles_dir: Path | None = None,
        quiet: bool = True,
    ) -> None:
        self.target = target
        self.vars = dict(vars or {})
        self.project_dir = project_dir
        self.profiles_dir = profiles_dir or project_profiles_dir()
        self.quiet = quiet
        self._runner = None
        self._manifest = None

    def _common(self) -> list[str]:
        args = ["--project-dir", str(self.project_dir)]
        if self.profiles_dir is not None:
            args += ["--profiles-dir", str(self.profiles_dir)]
        if self.target:
            args += ["--target", self.target]
        if self.vars:
            args += ["--vars", json.dumps(self.vars)]
        return args

    def runner(self):
        """dbt's runner with the manifest parsed once (parsed on first use)."""
        if self._runner is None:
            from dbt.cli.main import dbtRunner

            dbt_template_code.install()
            # dbt prints nothing: a failure is raised with its own message, in one line
            parsed = dbtRunner().invoke(["parse", "--log-level", "none", *self._common()])
            if not parsed.success:
                raise DbtParseError(f"dbt parse failed: {_text(parsed.exception)}")
            self._manifest = parsed.result
            self._runner = dbtRunner(manifest=parsed.result)
        return self._runner

    def invoke(self, command: Sequence[str], quiet: bool | None = None):
        """Run one dbt command (e.g. ["build", "--select", "x"]); raise DbtError on failure."""
        quiet = self.quiet if quiet is None else quiet
        args = [*command, *(["--quiet"] if quiet else []), *self._common()]
        try:
            result = self.runner().invoke(args)
        finally:
            close_duckdb_file()
        if not result.success:
            failure = _failure(result)
            if any(marker in failure for marker in _BUSY):
                raise WarehouseBusyError(
                    "another process (a refresh, dbt, a notebook) holds the warehouse file: "
                    "retry when it is done"
                )
            raise DbtError(f"dbt {command[0]} failed: {failure}")
        return result

    def run(self, command: Sequence[str], quiet: bool | None = None) -> list[NodeTiming]:
        """A run or build: what each node did and how long it took."""
        result = self.invoke(command, quiet)
        return [
            NodeTiming(item.node.name, str(item.status), float(item.execution_time))
            for item in result.result.results
        ]

    def target_type(self) -> str:
        """The adapter type of the session's target (duckdb, redshift)."""
        self.runner()
        rows = self.query("select '{{ target.type }}' as target_type")
        return rows[0]["target_type"]

    def query(self, sql: str) -> list[dict]:
        """The rows of a SELECT (Jinja allowed: ref(), source(), var()), all of them."""
        # --log-level none: show prints its preview even with --quiet; failures still raise.
        try:
            result = self.invoke(
                [
                    "show",
                    "--inline",
                    sql,
                    "--limit",
                    "-1",
                    "--log-level",
                    "none",
                    *LIGHT_COMMAND_FLAGS,
                ],
                quiet=False,
            )
        finally:
            # dbt adds the query to the manifest as node `inline_query` and removes it when
            # the command ends well; after a failure (say, the DuckDB file was busy) it stays,
            # and every later show would fail on a duplicate name. (No manifest: the parse
            # itself failed, and its DbtError, dbt's own message, goes on.)
            nodes = self._manifest.nodes if self._manifest is not None else {}
            for unique_id in [key for key, node in nodes.items() if node.name == "inline_query"]:
                del nodes[unique_id]
        table = result.result.results[0].agate_table
        return [dict(zip(table.column_names, row, strict=True)) for row in table.rows]


def _text(error: BaseException | None) -> str:
    """The error's message and those of its causes (dbt wraps adapter errors)."""
    parts: list[str] = []
    while error is not None and len(parts) < 5:
        text = str(error).strip() or type(error).__name__
        if text not in parts:
            parts.append(text)
        error = error.__cause__ or error.__context__
    return ": ".join(parts)


def _failure(result) -> str:
    """The first failed node and its message, or the exception."""
    if result.exception is not None:
        return _text(result.exception)
    for item in getattr(result.result, "results", None) or []:
        if str(item.status) in ("error", "fail"):
            return f"{item.node.name}: {item.message}"
    return "see logs/dbt.log"
