"""Fixtures for the redshift target: offline compiles of inline Jinja (no cluster is contacted),
and the rehearsal's deployment."""

from __future__ import annotations

import subprocess
import sys
import uuid

import pytest
from dbt.cli.main import dbtRunner

from fraud_detection.testing.dbt import PROJECT_DIR, base_env, reused_parse
from fraud_detection.testing.kinesis import fresh_streams
from producer.kinesis import make_client
from tests.redshift.rehearsal import Rehearsal, missing_requirements
from tests.redshift.rehearsal.deployment import DAYS, WORLD, Deployment


@pytest.fixture(scope="module")
def redshift(tmp_path_factory, monkeypatch_module):
    """Compile inline Jinja against the redshift target, in this process (each set of vars
    reusing the last parse made with it: fraud_detection.testing.dbt.reused_parse)."""
    work = tmp_path_factory.mktemp("redshift")
    env = base_env(work)
    for key, value in env.items():
        monkeypatch_module.setenv(key, value)

    def compile_inline(template: str, *flags: str) -> tuple[bool, str]:
        messages: list[str] = []
        runner = dbtRunner(callbacks=[lambda event: messages.append(event.info.msg)])
        args = [
            "compile",
            "--target",
            "redshift",
            "--no-populate-cache",
            "--quiet",
            "--project-dir",
            str(PROJECT_DIR),
            "--inline",
            template,
            *flags,
        ]
        with reused_parse(args, env):
            result = runner.invoke(args)
        if not result.success:
            return False, "\n".join([*messages, str(result.exception)])
        return True, result.result.results[0].node.compiled_code

    return compile_inline


@pytest.fixture(scope="module")
def monkeypatch_module():
    with pytest.MonkeyPatch.context() as patch:
        yield patch


@pytest.fixture(scope="package")
def deployment(tmp_path_factory, kinesalite) -> Deployment:
    """The rehearsal's deployment, shared by test_rehearsal.py and then
    test_rehearsal_strictness.py, in that order (one group, one worker: tests/conftest.py)."""
    if problem := missing_requirements():
        pytest.skip(problem)
    work = tmp_path_factory.mktemp("rehearsal")
    stream = f"rehearsal-{uuid.uuid4().hex[:8]}"
    fresh_streams(make_client(kinesalite.endpoint_url), stream, shards=2)
    with Rehearsal(work / "redshift", kinesalite.endpoint_url, auto_refresh_seconds=1.0) as rs:
        deployment = Deployment(rs, work, kinesalite.endpoint_url, stream)
        generated = subprocess.run(
            [
                sys.executable,
                "-m",
                "producer",
                "generate",
                *WORLD,
                "--days",
                str(DAYS),
                "--start-date",
                deployment.start.isoformat(),
                "--out",
                str(deployment.world),
            ],
            capture_output=True,
            text=True,
        )
        assert generated.returncode == 0, generated.stderr
        rs.load_history(deployment.world / "cust_payment_tx_history.parquet", "fraud_detection_raw")
        deployment.publish(400)
        yield deployment
