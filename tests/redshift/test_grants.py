"""Who may read the predictions on Redshift, proven offline: the grants config of the
personal-data marts resolves to the var prediction_readers, and dbt-redshift's own grant
macros render it as GRANT statements that parse as Redshift SQL (no cluster is contacted)."""

from __future__ import annotations

import json

import pytest

from tests.redshift.sql_checks import parses_as_redshift

PII_MODELS = ("cust_payment_tx_fraud_predictions", "fraud_alerts")
READERS = ["role:fraud_ops", "group:analysts", "user:alert_sink", "auditor"]
GRANTEES = ["ROLE fraud_ops", "GROUP analysts", "alert_sink", "auditor"]  # as Redshift reads them

# What dbt-redshift's materializations do with a model's grants (apply_grants): normalize the
# grantees (with the flag redshift_grants_extended), then one statement per privilege.
GRANTS_TEMPLATE = """
{%- set out = {'grants_extended': adapter.use_grants_extended(), 'models': {}} -%}
{%- for name in ['cust_payment_tx_fraud_predictions', 'fraud_alerts', 'customer_transformations'] -%}
    {%- set node = graph.nodes['model.fraud_detection.' ~ name] -%}
    {%- set relation = api.Relation.create(database=node.database, schema=node.schema,
        identifier=node.alias) -%}
    {%- set grants = node.config.grants -%}
    {%- set normalized = redshift__normalize_grants_dict(grants) -%}
    {%- do out.models.update({name: {
        'grants': grants,
        'grant': get_dcl_statement_list(relation, normalized, get_grant_sql),
        'revoke': get_dcl_statement_list(relation, normalized, get_revoke_sql),
    }}) -%}
{%- endfor -%}
{{ tojson(out) }}
"""


def compiled(redshift, *flags: str) -> dict:
    ok, output = redshift(GRANTS_TEMPLATE, *flags)
    assert ok, output
    return json.loads(output)


@pytest.fixture(scope="module")
def with_readers(redshift) -> dict:
    return compiled(redshift, "--vars", json.dumps({"prediction_readers": READERS}))


def test_the_grants_resolve_to_the_readers_and_only_on_the_pii_marts(with_readers):
    assert with_readers["grants_extended"] is True  # role: and group: are understood
    for name in PII_MODELS:
        assert with_readers["models"][name]["grants"] == {"select": READERS}
    assert with_readers["models"]["customer_transformations"]["grants"] == {}


def test_the_grant_statements_name_roles_groups_and_users(with_readers):
    for name in PII_MODELS:
        relation = f'"dev"."fraud_detection"."{name}"'
        [grant] = [" ".join(s.split()) for s in with_readers["models"][name]["grant"]]
        assert grant == f"grant select on {relation} to {', '.join(GRANTEES)}"
        [revoke] = [" ".join(s.split()) for s in with_readers["models"][name]["revoke"]]
        assert revoke == f"revoke select on {relation} from {', '.join(GRANTEES)}"
        # Redshift takes a list of mixed grantees (TO { name | ROLE r | GROUP g } [, ...]);
        # sqlfluff's redshift dialect parses one at a time: each is parsed alone.
        for grantee in GRANTEES:
            for sql in (
                f"grant select on {relation} to {grantee}",
                f"revoke select on {relation} from {grantee}",
            ):
                assert parses_as_redshift(sql) == [], sql
    assert with_readers["models"]["customer_transformations"]["grant"] == []


def test_the_mixed_grantee_list_is_still_a_sqlfluff_gap():
    # Drop the one-grantee-at-a-time parsing above once this parses.
    assert parses_as_redshift(f'grant select on "dev"."s"."t" to {", ".join(GRANTEES)}')


def test_by_default_nobody_else_is_granted(redshift):
    # select: [] (not {}): dbt then also revokes what others were granted by hand.
    default = compiled(redshift)
    for name in PII_MODELS:
        assert default["models"][name]["grants"] == {"select": []}
        assert default["models"][name]["grant"] == []


def test_a_single_reader_is_a_list_of_one(redshift):
    single = compiled(redshift, "--vars", "{prediction_readers: 'role:fraud_ops'}")
    for name in PII_MODELS:
        assert single["models"][name]["grants"] == {"select": ["role:fraud_ops"]}
