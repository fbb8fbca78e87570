"""A command that finds the local warehouse held by another process says so in one line and
exits 2 (DuckDB lets one process write a file); the refresh loop waits for it instead. Between
the loop's commands, which run in its own process, the file is free for other processes. A
project that does not parse (an unknown target, a bad var) is dbt's own message, in one line."""

from __future__ import annotations

import subprocess
import sys
import time

import pytest

from fraud_detection.cli import main as detection
from fraud_detection.dbt_session import DbtError, DbtSession
from fraud_detection.testing.dbt import base_env, environment

OPEN_FOR_WRITING = "import duckdb, sys; duckdb.connect(sys.argv[1]).close(); print('opened')"


def test_after_each_in_process_command_another_process_can_write_the_file(tmp_path):
    """The profile keeps the file open for a whole command (keep_open); the session closes it
    when the command ends, whether it succeeded or failed."""
    env = base_env(tmp_path) | {"FRAUD_DUCKDB_PATH": str(tmp_path / "fraud_detection.duckdb")}
    with environment(env):
        session = DbtSession(profiles_dir=tmp_path / "profiles")
        assert session.query("select 42 as answer") == [{"answer": 42}]
        opened = [sys.executable, "-c", OPEN_FOR_WRITING, env["FRAUD_DUCKDB_PATH"]]
        assert subprocess.run(opened, capture_output=True, text=True).stdout == "opened\n"
        with pytest.raises(DbtError, match="no_such_table"):
            session.query("select * from no_such_table")
        assert subprocess.run(opened, capture_output=True, text=True).stdout == "opened\n"


def test_a_busy_warehouse_is_one_line_and_exit_2(tmp_path, monkeypatch, capsys):
    database = tmp_path / "fraud_detection.duckdb"
    for key, value in base_env(tmp_path).items():
        monkeypatch.setenv(key, value)
    monkeypatch.setenv("FRAUD_DUCKDB_PATH", str(database))
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import duckdb, sys, time; c = duckdb.connect(sys.argv[1]); print('held', flush=True);"
            " time.sleep(120)",
            str(database),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "held"
        started = time.monotonic()
        code = detection(["alerts"])
        err = capsys.readouterr().err.strip().splitlines()
        assert code == 2, err
        assert err[-1] == (
            "error: another process (a refresh, dbt, a notebook) holds the warehouse file: "
            "retry when it is done"
        )
        assert time.monotonic() - started < 60
    finally:
        holder.kill()
        holder.wait()


@pytest.mark.parametrize(
    "argv, message",
    [
        (
            ["alerts", "--target", "nosuch"],
            "The profile 'fraud_detection' does not have a target named 'nosuch'",
        ),
        (
            ["detect", "--vars", '{"label_delay_days": "x"}', "--duration", "1"],
            "the var label_delay_days must be a whole number of days",
        ),
    ],
)
def test_a_project_that_does_not_parse_is_dbts_own_message_in_one_line(
    tmp_path, monkeypatch, capsys, argv, message
):
    for key, value in base_env(tmp_path).items():
        monkeypatch.setenv(key, value)
    monkeypatch.setenv("FRAUD_DUCKDB_PATH", str(tmp_path / "fraud_detection.duckdb"))
    assert detection(argv) == 2
    captured = capsys.readouterr()
    err = captured.err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error: dbt parse failed: "), captured.err
    assert message in err[0] and captured.out == ""
