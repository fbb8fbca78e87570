"""Every var reaches SQL through one checked mechanism: project_var() and the rules of
var_rules() (macros/vars/). Walks every file dbt reads for `var(` and fails for a var read
around it, or read without a rule."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from fraud_detection.defaults import PROJECT_DIR

DBT_FOLDERS = ("models", "macros", "analyses", "tests/dbt")
MECHANISM = PROJECT_DIR / "macros/vars/project_var.sql"
RULES = PROJECT_DIR / "macros/vars/var_rules.sql"
RAW_VAR = re.compile(r"(?<![\w.])var\(")
PROJECT_VAR = re.compile(r"project_var\(\s*([^)\s])")
NAMED = re.compile(r"""(?<![\w.])(?:project_)?var\(\s*['"](\w+)['"]""")
RULE = re.compile(r"^        '(\w+)': ", re.M)


def dbt_files(*suffixes: str) -> list[Path]:
    return sorted(
        path
        for folder in DBT_FOLDERS
        for path in (PROJECT_DIR / folder).rglob("*")
        if path.suffix in suffixes
    )


def ruled() -> set[str]:
    """The vars var_rules() returns a rule for: the keys of the dict it returns."""
    text = RULES.read_text()
    return set(RULE.findall(text[text.index("{{ return({") :]))


def line_of(text: str, offset: int) -> int:
    return text.count("\n", 0, offset) + 1


def places(pattern: re.Pattern, keep=lambda match: True) -> list[str]:
    """file:line of each match of ``pattern`` kept by ``keep``, in the SQL dbt reads."""
    return [
        f"{path.relative_to(PROJECT_DIR)}:{line_of(text, match.start())}"
        for path in dbt_files(".sql")
        if path != MECHANISM
        for text in [path.read_text()]
        for match in pattern.finditer(text)
        if keep(match)
    ]


def test_sql_reads_vars_only_through_project_var():
    assert places(RAW_VAR) == []


def test_project_var_is_given_a_literal_name():
    """So that this walk can see which var is read (a name built at run time cannot be)."""
    assert places(PROJECT_VAR, lambda match: match.group(1) not in "'\"") == []


def test_every_var_read_has_a_rule():
    """In SQL through project_var(), in YAML (where only var() exists: check_project_vars
    checks those before a run's first statement) and in dbt_project.yml's vars."""
    read = {
        (name, str(path.relative_to(PROJECT_DIR)))
        for path in dbt_files(".sql", ".yml")
        if path not in (MECHANISM, RULES)
        for name in NAMED.findall(path.read_text())
    }
    declared = yaml.safe_load((PROJECT_DIR / "dbt_project.yml").read_text())["vars"]
    read |= {(name, "dbt_project.yml") for name in declared}
    assert sorted((name, where) for name, where in read if name not in ruled()) == []


def test_every_rule_is_for_a_var_the_project_reads():
    read = {
        name
        for path in dbt_files(".sql", ".yml")
        if path not in (MECHANISM, RULES)
        for name in NAMED.findall(path.read_text())
    }
    assert ruled() - read == set()
    assert len(ruled()) >= 40


def test_the_walk_sees_a_var_read_around_the_mechanism(tmp_path):
    """The patterns find what they must: a raw var(), and a name built at run time."""
    sample = "{{ var('stream_name') }} {{ x.var('y') }} {{ project_var('a' ~ b) }}"
    assert len(RAW_VAR.findall(sample)) == 1
    assert [m.group(1) for m in PROJECT_VAR.finditer(sample)] == ["'"]
    assert NAMED.findall(sample) == ["stream_name", "a"]
