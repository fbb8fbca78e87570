"""A command that finds the local warehouse held by another process says so in one line and
exits 2 (DuckDB lets one process write a file); the refresh loop waits for it instead."""

from __future__ import annotations

import subprocess
import sys
import time

from fraud_detection.cli import main as detection
from fraud_detection.testing.dbt import base_env


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
