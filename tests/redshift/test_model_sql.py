"""Redshift ML, offline: the CREATE MODEL and state statements the ml_model materialization
renders for the redshift target, and the settings it refuses at compile time, checked against
the CREATE MODEL page and its use case "CREATE XGBoost models with AUTO OFF"."""

from __future__ import annotations

import json
import re

import pytest

from fraud_detection.defaults import (
    MODEL_INPUTS,
    MODEL_XGBOOST_HYPERPARAMETERS,
    PLUS_EXTRA_INPUTS,
    PLUS_FUNCTION_NAME,
    PLUS_MODEL_NAME,
)
from fraud_detection.testing.dbt import PROJECT_DIR
from tests.redshift.rehearsal.create_model import ModelStatementError, parse_create_model, validate
from tests.redshift.sql_checks import parses_as_redshift

COMMON = """{'features': ['tx_amount', 'tx_during_weekend', 'tx_during_night'], 'target': 'tx_fraud',
    'function': 'fn_customer_cc_fd', 'iam_role': var('redshift_iam_role'),
    'problem_type': 'binary_classification', 'preprocessors': none, 's3_bucket': 'fraud-ml-bucket',
    's3_garbage_collect': true, 'max_cells': 1000000, 'max_runtime': 5400,
    'kms_key_id': 'arn:aws:kms:us-east-1:123456789012:key/abc'}"""
REDSHIFT_TEMPLATE = (
    """
{%- set relation = api.Relation.create(database='dev', schema='fraud_detection', identifier='cust_cc_txn_fd') -%}
{%- set common = """
    + COMMON
    + """ -%}
{%- set auto_on = dict(common, auto=true, model_type=none, objective='F1', hyperparameters=none) -%}
{%- set auto_off = dict(common, auto=false, model_type='xgboost', objective='binary:logistic',
    problem_type=none, hyperparameters={'num_round': '200', 'max_depth': '6'}) -%}
{%- set auto_off_defaults = dict(auto_off, hyperparameters=none) -%}
{%- set auto_off_project = dict(auto_off, hyperparameters=var('model_xgboost_hyperparameters')) -%}
{{ tojson({
    'auto_on': create_model_sql(relation, auto_on, 'select * from training', 3),
    'auto_off': create_model_sql(relation, auto_off, 'select * from training', 4),
    'auto_off_defaults': create_model_sql(relation, auto_off_defaults, 'select * from training', 5),
    'auto_off_project': create_model_sql(relation, auto_off_project, 'select * from training', 6),
    'state': ml_model_state_sql('fraud_detection', 'cust_cc_txn_fd_v3'),
}) }}
"""
)
CREATE_MODEL = re.compile(
    r"^create model fraud_detection\.cust_cc_txn_fd_v(?P<version>\d+) from \( select tx_amount, "
    r"tx_during_weekend, tx_during_night, tx_fraud from \( select \* from training \) as "
    r"training_set \) target tx_fraud function fn_customer_cc_fd_v(?P=version) "
    r"iam_role 'arn:aws:iam::\d{12}:role/[\w-]+'(?P<options>.*) settings \( s3_bucket "
    r"'fraud-ml-bucket', kms_key_id 'arn:aws:kms:[^']+', s3_garbage_collect on, "
    r"max_cells 1000000, max_runtime 5400 \)$"
)


@pytest.fixture(scope="module")
def redshift_ml(redshift) -> dict[str, str]:
    ok, compiled = redshift(REDSHIFT_TEMPLATE)
    assert ok, compiled
    return {name: " ".join(sql.split()) for name, sql in json.loads(compiled).items()}


def test_auto_on_renders_only_what_automl_takes(redshift_ml):
    match = CREATE_MODEL.match(redshift_ml["auto_on"])
    assert match, redshift_ml["auto_on"]
    assert match["version"] == "3"
    assert match["options"] == " problem_type binary_classification objective 'F1'"


def test_auto_off_is_xgboost_with_preprocessors_none_and_hyperparameters(redshift_ml):
    match = CREATE_MODEL.match(redshift_ml["auto_off"])
    assert match, redshift_ml["auto_off"]
    assert match["options"] == (
        " auto off model_type xgboost objective 'binary:logistic' preprocessors 'none'"
        " hyperparameters default except ( num_round '200', max_depth '6' )"
    )
    match = CREATE_MODEL.match(redshift_ml["auto_off_defaults"])
    assert match["options"].endswith(" preprocessors 'none' hyperparameters default")
    assert "problem_type" not in redshift_ml["auto_off"]


def test_the_projects_xgboost_settings_are_within_the_documented_ranges(redshift_ml):
    """The AUTO OFF default (var model_xgboost_hyperparameters) through the rehearsal's
    CREATE MODEL checks, which hold the page's hyperparameter ranges; out of range refused."""
    statement = redshift_ml["auto_off_project"]
    spec = parse_create_model(statement)
    validate(spec)
    assert spec["hyperparameters"] == {
        name.upper(): str(value) for name, value in MODEL_XGBOOST_HYPERPARAMETERS.items()
    }
    too_slow = statement.replace(f"eta '{MODEL_XGBOOST_HYPERPARAMETERS['eta']}'", "eta '0.05'")
    with pytest.raises(ModelStatementError, match=r"ETA '0\.05' is outside its range"):
        validate(parse_create_model(too_slow))


def test_the_state_comes_from_svv_ml_model_info_trimmed(redshift_ml):
    state = redshift_ml["state"]
    assert parses_as_redshift(state) == [], state
    assert "from svv_ml_model_info" in state and "stv_" not in state
    assert "trim(model_state)" in state and "trim(schema_name) = 'fraud_detection'" in state
    assert "trim(model_name) = 'cust_cc_txn_fd_v3'" in state
    # CREATE MODEL's SETTINGS (a, b) is a known sqlfluff gap, hence the pattern above.
    assert parses_as_redshift(redshift_ml["auto_on"])


@pytest.mark.parametrize(
    "changes, message",
    [
        (
            "auto=true, objective='F1', hyperparameters={'num_round': '10'}",
            "the var model_hyperparameters is for AUTO OFF only",
        ),
        (
            "auto=true, objective='binary:logistic'",
            "the var model_objective must be one of MSE, Accuracy, F1, F1Macro, AUC",
        ),
        (
            "auto=true, objective='F1', model_type='kmeans'",
            "the var model_type must be xgboost, mlp or linear_learner",
        ),
        (
            "auto=false, objective=none, model_type='xgboost'",
            "AUTO OFF needs the var model_objective set to an XGBoost objective",
        ),
        (
            "auto=false, objective='F1', model_type='xgboost'",
            "AUTO OFF needs the var model_objective",
        ),
        (
            "auto=false, objective='binary:logistic', model_type=none",
            "needs the var model_type: xgboost",
        ),
        (
            "auto=false, objective='binary:logistic', model_type='xgboost', preprocessors=[{'x': 1}]",
            "preprocessors are for AUTO ON only",
        ),
        ("auto=true, objective='F1', s3_bucket=''", "the var redshift_ml_s3_bucket is empty"),
        ("auto=true, objective='F1', features=[]", "ml_model needs meta.features"),
    ],
)
def test_settings_a_mode_does_not_take_are_refused_naming_the_var(redshift, changes, message):
    template = (
        "{%- set settings = dict(" + COMMON + ", model_type=none, hyperparameters=none) -%}"
        "{{ ml_model_settings_problem(dict(settings, " + changes + ")) }}"
    )
    ok, compiled = redshift(template)
    assert ok, compiled
    assert message in compiled


def test_valid_settings_have_no_problem(redshift):
    template = (
        "{%- set settings = dict(" + COMMON + ", model_type=none, hyperparameters=none) -%}"
        "[{{ ml_model_settings_problem(dict(settings, auto=true, objective='AUC')) }}]"
        "[{{ ml_model_settings_problem(dict(settings, auto=false, objective='binary:logistic', model_type='xgboost')) }}]"
    )
    ok, compiled = redshift(template)
    assert ok and compiled.strip() == "[None][None]", compiled


def test_the_redshift_model_materialization_runs_outside_transactions_and_never_pauses_in_sql():
    source = (PROJECT_DIR / "macros/materializations/ml_model/redshift.sql").read_text()
    block = source.split("adapter='redshift'")[1].split("{% endmaterialization %}")[0]
    calls = re.findall(r"call statement\(([^)]*)\)", block)
    assert calls and all("auto_begin=False" in call for call in calls), calls
    for path in (PROJECT_DIR / "macros").rglob("*.sql"):
        text = path.read_text().lower()
        assert "generate_series(" not in text and "stv_ml_model_info" not in text, path


def test_the_second_model_renders_its_own_create_model_and_ratios(redshift):
    """cust_cc_txn_fd_plus on Redshift: CREATE MODEL of its own name and function over the 15
    inputs and its extra ones; the ratios (relative_features) parse as Redshift SQL."""
    template = (
        """
{%- set plus = var('fraud_model_plus') -%}
{%- set inputs = var('fraud_model')['inputs'] + plus['extra_inputs'] -%}
{%- set relation = api.Relation.create(database='dev', schema='fraud_detection', identifier=plus['name']) -%}
{%- set settings = dict("""
        + COMMON
        + """, features=inputs, function=plus['function'], auto=true, model_type=none,
    objective='F1', hyperparameters=none) -%}
{{ tojson({
    'create': create_model_sql(relation, settings, fraud_model_training_set(inputs), 1),
    'ratios': 'select ' ~ relative_features() ~ ' from int_training_features',
}) }}
"""
    )
    ok, compiled = redshift(template)
    assert ok, compiled
    rendered = {name: " ".join(sql.split()) for name, sql in json.loads(compiled).items()}
    inputs = ", ".join((*MODEL_INPUTS, *PLUS_EXTRA_INPUTS))
    create = rendered["create"]
    assert create.startswith(
        f"create model fraud_detection.{PLUS_MODEL_NAME}_v1 from ( select {inputs}, tx_fraud from"
    ), create
    assert f") as training_set ) target tx_fraud function {PLUS_FUNCTION_NAME}_v1 " in create
    assert parses_as_redshift(rendered["ratios"]) == [], rendered["ratios"]
    assert rendered["ratios"].count("case when") == len(PLUS_EXTRA_INPUTS)
