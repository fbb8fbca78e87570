"""Fixtures for the redshift target: offline compiles of inline Jinja (no cluster is contacted)."""

from __future__ import annotations

import pytest
from dbt.cli.main import dbtRunner

from fraud_detection.testing.dbt import PROJECT_DIR, base_env


@pytest.fixture(scope="module")
def redshift(tmp_path_factory, monkeypatch_module):
    """Compile inline Jinja against the redshift target, in this process."""
    work = tmp_path_factory.mktemp("redshift")
    for key, value in base_env(work).items():
        monkeypatch_module.setenv(key, value)

    def compile_inline(template: str, *flags: str) -> tuple[bool, str]:
        messages: list[str] = []
        runner = dbtRunner(callbacks=[lambda event: messages.append(event.info.msg)])
        result = runner.invoke(
            [
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
        )
        if not result.success:
            return False, "\n".join([*messages, str(result.exception)])
        return True, result.result.results[0].node.compiled_code

    return compile_inline


@pytest.fixture(scope="module")
def monkeypatch_module():
    with pytest.MonkeyPatch.context() as patch:
        yield patch
