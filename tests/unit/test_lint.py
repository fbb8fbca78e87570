"""The SQL lint config (.sqlfluff) works offline and still lints: run in a bare environment (no
profile, no credentials, no network settings), it renders models as dbt does for Redshift and
reports the style's violations. Guards against a config that silently stops checking."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from fraud_detection.testing.dbt import PROJECT_DIR

SQLFLUFF = str(Path(sys.executable).with_name("sqlfluff"))
CONFIG = str(PROJECT_DIR / ".sqlfluff")

# One violation of each kind the style cares about most.
BAD_MODEL = """\
SELECT c.customer_id, t.tx_amount
FROM {{ ref('customer_info') }} c
JOIN {{ ref('stg_kinesis__transactions') }} t ON c.customer_id = customer_id
"""
EXPECTED_RULES = {
    "CP01",  # lowercase keywords
    "AL01",  # explicit `as` for tables
    "AL06",  # no one-letter aliases
    "AM05",  # explicit join types
    "RF02",  # columns qualified after a join
    "LT09",  # one select target a line
}

# In the style, with what the models use: config(), ref(), is_incremental(), this, var() and
# project macros dispatched per adapter.
GOOD_MODEL = """\
{{ config(materialized='incremental') }}

with

stream as (

    select
        payload,
        _refreshed_at
    from {{ ref('cust_payment_tx_stream') }}

),

amounts_extracted as (

    select
        {{ json_text('stream.payload', 'TX_AMOUNT') }} as tx_amount_text,
        stream._refreshed_at
    from stream
    {% if not var('offline_compile', false) and is_incremental() %}
        where stream._refreshed_at > (
            select max(extracted_before._refreshed_at) from {{ this }} as extracted_before
        )
    {% endif %}

)

select * from amounts_extracted
"""


def sqlfluff(tmp_path: Path, *args: str, sql: str) -> subprocess.CompletedProcess[str]:
    """Run sqlfluff with the project's config on ``sql``, from a bare environment."""
    model = tmp_path / "model.sql"
    model.write_text(sql)
    home = tmp_path / "home"
    home.mkdir(exist_ok=True)
    bare_env = {"PATH": "/usr/bin:/bin", "HOME": str(home), "DBT_PROFILES_DIR": str(home)}
    return subprocess.run(
        [SQLFLUFF, *args, "--config", CONFIG, str(model)],
        cwd=tmp_path,
        env=bare_env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def violations(done: subprocess.CompletedProcess[str]) -> list[dict]:
    [result] = json.loads(done.stdout)
    return result["violations"]


def test_reports_the_style_violations(tmp_path):
    done = sqlfluff(tmp_path, "lint", "--format", "json", sql=BAD_MODEL)
    assert done.returncode == 1, done.stderr
    assert {violation["code"] for violation in violations(done)} >= EXPECTED_RULES


def test_a_model_in_the_style_passes(tmp_path):
    done = sqlfluff(tmp_path, "lint", "--format", "json", sql=GOOD_MODEL)
    assert done.returncode == 0, (violations(done), done.stderr)


def test_renders_the_redshift_variant_of_project_macros(tmp_path):
    done = sqlfluff(tmp_path, "render", sql=GOOD_MODEL)
    assert done.returncode == 0, done.stderr
    # redshift__json_text, not duckdb__json_text or default__json_text (which raises).
    assert "json_extract_path_text(json_serialize(stream.payload), 'TX_AMOUNT', true)" in (
        done.stdout
    )
    assert "json_extract_string" not in done.stdout
