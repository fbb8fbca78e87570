"""Checking rendered Redshift SQL with sqlfluff's redshift dialect."""

from __future__ import annotations

from sqlfluff.core import FluffConfig, Linter


def parses_as_redshift(sql: str) -> list[str]:
    """sqlfluff's parse errors for ``sql`` in the redshift dialect (empty when it parses)."""
    linter = Linter(config=FluffConfig(overrides={"dialect": "redshift"}))
    parsed = linter.parse_string(sql)
    errors = [str(v.desc()) for v in parsed.violations]
    if parsed.tree is None or "unparsable" in parsed.tree.stringify():
        errors.append("unparsable section")
    return errors
