"""The rehearsed deployment the rehearsal's tests share (tests/redshift/test_rehearsal.py): the
warehouse, the local Kinesis stream, and dbt and the detection CLI pointed at both."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
from pathlib import Path

from fraud_detection.testing.dbt import PROJECT_DIR, DbtResult, base_env, invoke
from fraud_detection.testing.kinesis import feedback_stream
from tests.redshift.rehearsal import Rehearsal

WORLD = ["--customers", "150", "--terminals", "300", "--seed", "5"]
DAYS = 60
SCHEMA = "fraud_detection"  # the profile's REDSHIFT_SCHEMA default


class Deployment:
    """The rehearsed warehouse, the local Kinesis stream, and dbt pointed at both."""

    def __init__(self, rehearsal: Rehearsal, work: Path, endpoint_url: str, stream: str) -> None:
        self.rehearsal = rehearsal
        self.work = work
        self.endpoint_url = endpoint_url
        self.stream = stream
        self.env = {**base_env(work), **rehearsal.env}
        self.world = work / "world"
        self.vars = {
            "stream_name": stream,
            "feedback_stream_name": feedback_stream(stream),
            "redshift_ml_s3_bucket": "rehearsal-bucket",
            "training_end": (dt.date.today() - dt.timedelta(days=10)).isoformat(),
        }

    def dbt(self, *args: str, **vars) -> DbtResult:
        """A dbt command against the rehearsed warehouse, in this process."""
        return invoke(
            [
                *args,
                "--target",
                "redshift",
                "--vars",
                json.dumps({**self.vars, **vars}),
                "--project-dir",
                str(PROJECT_DIR),
            ],
            self.env,
        )

    def detection(self, *args: str, timeout: float = 600, **vars) -> subprocess.CompletedProcess:
        return subprocess.run(
            [
                sys.executable,
                "-m",
                "fraud_detection",
                *args,
                "--target",
                "redshift",
                "--vars",
                json.dumps({**self.vars, **vars}),
            ],
            env=self.env,
            cwd=PROJECT_DIR,
            capture_output=True,
            text=True,
            timeout=timeout,
        )

    def publish(self, count: int) -> None:
        done = subprocess.run(
            [
                sys.executable,
                "-m",
                "producer",
                "stream",
                "--stream",
                self.stream,
                "--endpoint-url",
                self.endpoint_url,
                "--rate",
                "5000",
                "--count",
                str(count),
                *WORLD,
                "--start-date",
                self.start.isoformat(),
                "--labels-out",
                str(self.work / "labels.csv"),
                "--no-progress",
            ],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert done.returncode == 0, done.stderr

    @property
    def start(self) -> dt.date:
        return dt.date.today() - dt.timedelta(days=DAYS)

    def query(self, sql: str) -> list[tuple]:
        return self.rehearsal.query(sql)

    def versions(self) -> list[tuple[int, str]]:
        return self.query(
            f"select version, status from {SCHEMA}.dbt_ml_model_versions order by version"
        )


def ok(done: subprocess.CompletedProcess | DbtResult) -> str:
    output = done.output if isinstance(done, DbtResult) else done.stdout + done.stderr
    assert done.returncode == 0, output[-4000:]
    return output
