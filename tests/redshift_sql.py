"""Redshift SQL checks and offline compiles for the redshift target."""

from __future__ import annotations

import pytest
from dbt.cli.main import dbtRunner
from sqlfluff.core import FluffConfig, Linter

from tests.dbt_runner import PROJECT_DIR, base_env


def parses_as_redshift(sql: str) -> list[str]:
    """sqlfluff's parse errors for ``sql`` in the redshift dialect (empty when it parses)."""
    linter = Linter(config=FluffConfig(overrides={"dialect": "redshift"}))
    parsed = linter.parse_string(sql)
    errors = [str(v.desc()) for v in parsed.violations]
    if parsed.tree is None or "unparsable" in parsed.tree.stringify():
        errors.append("unparsable section")
    return errors


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
