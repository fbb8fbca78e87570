"""Redshift ML, offline: the CREATE MODEL, state and pause statements the ml_model
materialization renders for the redshift target."""

from __future__ import annotations

import json
import re

import pytest

from fraud_detection.testing.dbt import PROJECT_DIR
from tests.redshift.sql_checks import parses_as_redshift

# -- Redshift ML, offline -------------------------------------------------------------------

REDSHIFT_TEMPLATE = """
{%- set relation = api.Relation.create(database='dev', schema='fraud_detection', identifier='cust_cc_txn_fd') -%}
{%- set features = ['tx_amount', 'tx_during_weekend', 'tx_during_night'] -%}
{%- set common = {'features': features, 'target': 'tx_fraud', 'function': 'fn_customer_cc_fd',
    'iam_role': var('redshift_iam_role'), 'problem_type': 'binary_classification', 'preprocessors': none,
    's3_bucket': 'fraud-ml-bucket', 's3_garbage_collect': true, 'max_cells': 1000000, 'max_runtime': 5400,
    'kms_key_id': 'arn:aws:kms:us-east-1:123456789012:key/abc'} -%}
{%- set auto_on = dict(common, auto=true, model_type=none, objective='F1', hyperparameters=none) -%}
{%- set auto_off = dict(common, auto=false, model_type='xgboost', objective='binary:logistic',
    hyperparameters={'num_round': '200', 'max_depth': '6'}) -%}
{{ tojson({
    'auto_on': redshift__ml_model_train_statements(relation, auto_on, 'select * from training'),
    'auto_off': redshift__ml_model_train_statements(relation, auto_off, 'select * from training'),
    'state': [redshift__ml_model_state_sql(relation)],
    'pause': [redshift__ml_model_pause_sql(30)],
}) }}
"""
CREATE_MODEL = re.compile(
    r"^create model fraud_detection\.cust_cc_txn_fd from \( select tx_amount, tx_during_weekend, "
    r"tx_during_night, tx_fraud from \( select \* from training \) as training_set \) "
    r"target tx_fraud function fn_customer_cc_fd iam_role 'arn:aws:iam::\d{12}:role/[\w-]+'"
    r"(?P<options>.*) settings \( s3_bucket 'fraud-ml-bucket', s3_garbage_collect on, "
    r"max_cells 1000000, max_runtime 5400, kms_key_id 'arn:aws:kms:[^']+' \)$"
)


@pytest.fixture(scope="module")
def redshift_ml(redshift) -> dict[str, list[str]]:
    ok, compiled = redshift(REDSHIFT_TEMPLATE)
    assert ok, compiled
    return {
        name: [" ".join(s.split()) for s in statements]
        for name, statements in json.loads(compiled).items()
    }


def test_create_model_auto_on_and_auto_off_xgboost(redshift_ml):
    drop, create = redshift_ml["auto_on"]
    assert drop == "drop model if exists fraud_detection.cust_cc_txn_fd"
    match = CREATE_MODEL.match(create)
    assert match, create
    assert match["options"] == " problem_type binary_classification objective 'F1'"
    drop, create = redshift_ml["auto_off"]
    match = CREATE_MODEL.match(create)
    assert match, create
    assert match["options"] == (
        " auto off model_type xgboost problem_type binary_classification objective 'binary:logistic'"
        " hyperparameters default except ( num_round '200', max_depth '6' )"
    )


def test_polling_and_state_queries_parse_as_redshift(redshift_ml):
    for sql in redshift_ml["state"] + redshift_ml["pause"]:
        assert parses_as_redshift(sql) == [], sql
    assert "from stv_ml_model_info" in redshift_ml["state"][0]
    # CREATE MODEL's SETTINGS (a, b) is a known sqlfluff gap, hence the pattern above.
    assert parses_as_redshift(redshift_ml["auto_on"][1])


def test_the_redshift_model_materialization_runs_outside_transactions():
    source = (PROJECT_DIR / "macros/materializations/ml_model/redshift.sql").read_text()
    block = source.split("adapter='redshift'")[1].split("{% endmaterialization %}")[0]
    calls = re.findall(r"call statement\(([^)]*)\)", block)
    assert calls and all("auto_begin=False" in call for call in calls), calls
