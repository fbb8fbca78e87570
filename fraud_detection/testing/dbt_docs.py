"""dbt's documentation artifacts for tests: the manifest of `dbt parse`, the site of
`dbt docs generate`, in a throwaway target folder (never the project's own target/)."""

from __future__ import annotations

import json
from pathlib import Path

from fraud_detection.testing.dbt import PROJECT_DIR, base_env, invoke

PACKAGE = "fraud_detection"


def run_dbt(work: Path, *args: str) -> Path:
    """Runs a dbt command against the local target with work/ as its target and log folders;
    returns the target folder. Nothing here opens a warehouse or the network."""
    env = base_env(work)
    env["FRAUD_DUCKDB_PATH"] = str(work / "fraud_detection.duckdb")
    done = invoke([*args, "--project-dir", str(PROJECT_DIR)], env)
    assert done.returncode == 0, done.output[-3000:]
    return Path(env["DBT_TARGET_PATH"])


def parse_manifest(work: Path) -> dict:
    target = run_dbt(work, "parse")
    return json.loads((target / "manifest.json").read_text())


def own(resources: dict) -> dict:
    """The resources of this project (not dbt's or an adapter's)."""
    return {key: value for key, value in resources.items() if value["package_name"] == PACKAGE}
