"""The Redshift side, proven offline: every statement the streaming materialization can issue,
rendered by dbt for the redshift target (no cluster is contacted) and parsed as Redshift SQL."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from fraud_detection.testing.dbt import PROJECT_DIR, DbtResult, base_env, invoke
from tests.redshift.sql_checks import parses_as_redshift

MATERIALIZATION = PROJECT_DIR / "macros/materializations/streaming_materialized_view/redshift.sql"
# Valid Redshift DDL that sqlfluff's redshift dialect cannot parse yet; checked by pattern.
SQLFLUFF_GAPS = {
    "create_schema_msk": re.compile(
        r"^create external schema if not exists \w+\s+from msk"
        r"\s+iam_role (default|'arn:aws:iam::\d{12}:role/[\w+=,.@/-]+')"
        r"\s+authentication (none|iam|mtls)"
        r"(\s+(authentication_arn 'arn:aws:acm:[^']+'|secret_arn 'arn:aws:secretsmanager:[^']+'))?"
        r"\s+cluster_arn 'arn:aws:kafka:[\w-]+:\d{12}:cluster/[\w/-]+'$"
    ),
    "alter_auto_refresh": re.compile(
        r'^alter materialized view "\w+"\."\w+"\."\w+" auto refresh (yes|no)$'
    ),
}


STATEMENTS_TEMPLATE = """
{%- set relation = api.Relation.create(database='dev', schema='fraud_detection',
    identifier='cust_payment_tx_stream', type='materialized_view') -%}
{%- set state = definition_state_relation(relation) -%}
{%- set kinesis = {'stream_name': 'cust-payment-txn-stream', 'source_kind': 'kinesis',
    'external_schema': 'custpaytxn', 'iam_role': var('redshift_iam_role'), 'msk_cluster_arn': none,
    'msk_authentication': 'iam', 'auto_refresh': true, 'backup': true} -%}
{%- set msk = {'stream_name': 'cust-payment-txn', 'source_kind': 'msk',
    'external_schema': 'custpaytxn_msk', 'iam_role': 'default',
    'msk_cluster_arn': 'arn:aws:kafka:us-east-1:123456789012:cluster/fraud/0a1b2c3d-4',
    'msk_authentication': 'iam', 'auto_refresh': false, 'backup': false} -%}
{%- set msk_mtls = dict(msk, msk_authentication='mtls',
    msk_authentication_arn='arn:aws:acm:us-east-1:123456789012:certificate/abc') -%}
{%- set msk_mtls_secret = dict(msk, msk_authentication='mtls',
    msk_secret_arn='arn:aws:secretsmanager:us-east-1:123456789012:secret:fraud-msk') -%}
{%- set body = 'select kinesis_data from custpaytxn."cust-payment-txn-stream"' -%}
{%- set plan = streaming_view_statements -%}
{%- set plans = {
    'create_kinesis': plan('create', relation, state, kinesis, body, 'f1', none),
    'create_msk': plan('create', relation, state, msk, body, 'f1', none),
    'create_msk_mtls': plan('create', relation, state, msk_mtls, body, 'f1', none),
    'create_msk_mtls_secret': plan('create', relation, state, msk_mtls_secret, body, 'f1', none),
    'refresh': plan('refresh', relation, state, kinesis, body, 'f1', true),
    'skip': plan('skip', relation, state, kinesis, body, 'f1', true),
    'skip_auto_refresh_turned_off': plan('skip', relation, state, msk, body, 'f1', true),
    'rebuild': plan('rebuild', relation, state, kinesis, body, 'f2', true),
    'rebuild_with_views': plan('rebuild', relation, state, kinesis, body, 'f2', true, [
        {'schema': 'analytics', 'name': 'recent', 'definition': ' SELECT 1 AS x FROM fraud_detection.cust_payment_tx_stream;'},
        {'schema': 'analytics', 'name': 'recent_counts', 'definition': 'select count(*) from analytics.recent'},
    ]),
    'state_table': [definition_state_create_sql(state)],
    'mismatch_check': [definition_state_stored_sql(state, relation)],
    'trim': [trim_stream_sql(relation, api.Relation.create(database='dev',
        schema='fraud_detection', identifier='stg_kinesis__stream_records'))],
} -%}
{{ tojson(plans) }}
"""


@pytest.fixture(scope="module")
def plans(redshift) -> dict[str, list[str]]:
    ok, compiled = redshift(STATEMENTS_TEMPLATE, "--vars", "{offline_compile: true}")
    assert ok, compiled
    return {
        name: [" ".join(s.split()) for s in statements]
        for name, statements in json.loads(compiled).items()
    }


def test_every_statement_parses_as_redshift_sql(plans):
    checked = 0
    for name, statements in plans.items():
        for sql in statements:
            gap = next((k for k, p in SQLFLUFF_GAPS.items() if p.match(sql)), None)
            if gap:
                continue
            assert parses_as_redshift(sql) == [], f"{name}: {sql}"
            checked += 1
    assert checked >= 12


def test_known_parser_gaps_are_checked_by_pattern(plans):
    msk_schema = plans["create_msk"][0]
    assert SQLFLUFF_GAPS["create_schema_msk"].match(msk_schema), msk_schema
    assert parses_as_redshift(msk_schema)  # still a gap: drop this test's exemption when fixed
    [alter] = [s for s in plans["skip_auto_refresh_turned_off"] if s.startswith("alter")]
    assert SQLFLUFF_GAPS["alter_auto_refresh"].match(alter)


def test_the_trim_deletes_only_what_the_ledger_took_and_the_retention_lets_go(plans):
    """The DELETE that trim_streaming_view runs on Redshift (its page allows a streaming
    view's name), parsed above with every other statement."""
    [trim] = plans["trim"]
    assert trim == (
        'delete from "dev"."fraud_detection"."cust_payment_tx_stream" where'
        " approximate_arrival_timestamp < dateadd( second, -86400, getdate() )"
        " and refresh_time <= dateadd( minute, -60, ( select coalesce(max(_refreshed_at),"
        " cast('1900-01-01' as timestamp)) from"
        ' "dev"."fraud_detection"."stg_kinesis__stream_records" ) )'
    )  # the last refresh_lookback_minutes stay: a late refresh may still add records there


def test_a_rebuild_drops_the_views_bound_to_the_view_and_makes_them_again(plans):
    statements = plans["rebuild_with_views"]
    assert statements[1:4] == [
        "drop view if exists analytics.recent_counts",
        "drop view if exists analytics.recent",
        'drop materialized view if exists "dev"."fraud_detection"."cust_payment_tx_stream"',
    ]
    assert statements[4].startswith('create materialized view "dev"."fraud_detection"')
    assert statements[5:7] == [
        "create view analytics.recent as SELECT 1 AS x FROM fraud_detection.cust_payment_tx_stream",
        "create view analytics.recent_counts as select count(*) from analytics.recent",
    ]


def test_msk_with_mtls_names_its_certificate_or_secret(plans):
    certificate = plans["create_msk_mtls"][0]
    assert "authentication mtls authentication_arn 'arn:aws:acm:" in certificate
    assert SQLFLUFF_GAPS["create_schema_msk"].match(certificate), certificate
    secret = plans["create_msk_mtls_secret"][0]
    assert "authentication mtls secret_arn 'arn:aws:secretsmanager:" in secret
    assert SQLFLUFF_GAPS["create_schema_msk"].match(secret), secret


@pytest.mark.parametrize(
    "vars, message",
    [
        (
            "{stream_source_kind: msk, msk_cluster_arn: 'arn:aws:kafka:us-east-1:123456789012:cluster/f/1', msk_authentication: mtls}",
            "msk_authentication mtls needs the var msk_authentication_arn",
        ),
        (
            "{stream_source_kind: msk, msk_cluster_arn: 'arn:aws:kafka:us-east-1:123456789012:cluster/f/1', msk_authentication: sasl}",
            "the var msk_authentication must be none, iam or mtls",
        ),
        ("{stream_source_kind: msk}", "source_kind 'msk' needs the var msk_cluster_arn"),
    ],
)
def test_incomplete_msk_settings_fail_at_compile_time(tmp_path, vars, message):
    done = compile_offline(tmp_path, "-s", "cust_payment_tx_stream", "--vars", vars)
    assert done.returncode != 0
    assert message in done.output


def test_on_msk_the_arrival_time_is_the_brokers_or_the_refresh_start(tmp_path):
    """#28: kafka_timestamp is the producer's clock when kafka_timestamp_type is 'C': the
    skew check and the trim read the arrival time, so only 'L' (the broker's append time)
    is taken as it; else the refresh's start, Redshift's clock."""
    vars = "{stream_source_kind: msk, msk_cluster_arn: 'arn:aws:kafka:us-east-1:123456789012:cluster/f/1'}"
    done = compile_offline(tmp_path, "-s", "cust_payment_tx_stream", "--vars", vars)
    assert done.returncode == 0, done.output[-3000:]
    [path] = (tmp_path / "target" / "compiled").rglob("cust_payment_tx_stream.sql")
    compiled = " ".join(path.read_text().split())
    assert (
        "case when kafka_timestamp_type = 'L' then kafka_timestamp else refresh_time end"
        " as approximate_arrival_timestamp"
    ) in compiled
    assert parses_as_redshift(path.read_text()) == []


def test_create_issues_schema_then_view_with_auto_refresh(plans):
    schema, view, forget, record = plans["create_kinesis"]
    assert schema == (
        "create external schema if not exists custpaytxn from kinesis "
        "iam_role 'arn:aws:iam::123456789012:role/fraud-detection-redshift'"
    )
    assert view.startswith(
        'create materialized view "dev"."fraud_detection"."cust_payment_tx_stream" '
        "backup yes auto refresh yes as select"
    )
    assert forget.startswith("delete from") and record.startswith("insert into")
    assert "backup no auto refresh no" in plans["create_msk"][1]


def test_only_rebuild_drops_and_nothing_opens_a_transaction(plans):
    for name, statements in plans.items():
        for sql in statements:
            lowered = sql.lower()
            assert not re.match(r"^(begin|start transaction|commit|end)\b", lowered), sql
            if not name.startswith("rebuild"):
                assert "drop " not in lowered, f"{name}: {sql}"
    assert (
        plans["rebuild"][1]
        == 'drop materialized view if exists "dev"."fraud_detection"."cust_payment_tx_stream"'
    )
    assert plans["refresh"] == [
        'refresh materialized view "dev"."fraud_detection"."cust_payment_tx_stream"'
    ]
    assert plans["skip"] == []


def test_the_redshift_materialization_never_lets_dbt_begin_a_transaction():
    source = MATERIALIZATION.read_text()
    block = source.split("adapter='redshift'")[1].split("{% endmaterialization %}")[0]
    calls = re.findall(r"call statement\(([^)]*)\)", block)
    assert calls, "the redshift block issues statements"
    assert all("auto_begin=False" in call for call in calls), calls
    assert "adapter.commit" not in block
    profile = (PROJECT_DIR / "profiles.example.yml").read_text()
    assert "autocommit: false" not in profile  # dbt-redshift's default autocommit stays on


@pytest.mark.parametrize(
    "exists, stored, flags, expected",
    [
        ("false", "none", [], "create"),
        ("true", "'f1'", [], "skip"),  # auto refresh on
        ("true", "'f1'", ["--vars", "{refresh_streaming_views: true}"], "refresh"),
        ("true", "none", [], "skip"),  # created before dbt tracked it: adopted
        ("true", "'f0'", [], "error: changed since the streaming view was created"),
        ("true", "'f1'", ["--full-refresh"], "error: refused --full-refresh"),
        (
            "true",
            "'f1'",
            ["--full-refresh", "--vars", "{rebuild_streaming_views: [inline_query]}"],
            "rebuild",
        ),
        (
            "true",
            "'f0'",
            ["--full-refresh", "--vars", "{rebuild_streaming_views: [inline_query]}"],
            "rebuild",
        ),
        ("false", "none", ["--full-refresh"], "create"),
    ],
)
def test_the_decision_between_create_refresh_skip_rebuild_and_refuse(
    redshift, exists, stored, flags, expected
):
    # The action is decided when the model runs (execute is true), never while parsing.
    action = f"streaming_view_action({exists}, {stored}, 'f1', true)"
    template = f"{{% if execute %}}{{{{ {action} }}}}{{% endif %}}"
    ok, compiled = redshift(template, *flags)
    if expected.startswith("error: "):
        assert not ok and expected.removeprefix("error: ") in compiled
    else:
        assert ok, compiled
        assert compiled.strip() == expected


def compile_offline(tmp_path: Path, *args: str) -> DbtResult:
    """dbt compile --target redshift, no cluster contacted (offline_compile set unless given)."""
    flags = list(args)
    if "--vars" not in flags:
        flags += ["--vars", "{offline_compile: true, redshift_ml_s3_bucket: fraud-ml-bucket}"]
    else:
        at = flags.index("--vars") + 1
        flags[at] = flags[at].replace(
            "{", "{offline_compile: true, redshift_ml_s3_bucket: fraud-ml-bucket, ", 1
        )
    command = ["compile", "--target", "redshift", "--no-populate-cache", *flags]
    return invoke([*command, "--project-dir", str(PROJECT_DIR)], base_env(tmp_path))


def test_every_model_compiles_offline_for_redshift_and_parses(tmp_path):
    done = compile_offline(tmp_path)
    assert done.returncode == 0, done.output[-3000:]
    compiled = sorted(
        (tmp_path / "target" / "compiled" / "fraud_detection" / "models").rglob("*.sql")
    )
    assert len(compiled) >= 9
    unparsable = {path.name: parses_as_redshift(path.read_text()) for path in compiled}
    assert {name: errors for name, errors in unparsable.items() if errors} == {}


def test_without_an_ml_bucket_the_model_fails_at_compile_time(tmp_path):
    done = compile_offline(
        tmp_path, "-s", "cust_cc_txn_fd", "--vars", "{redshift_ml_s3_bucket: ''}"
    )
    assert done.returncode != 0
    assert "the var redshift_ml_s3_bucket is empty" in done.output
