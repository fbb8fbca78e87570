"""One place for each default: the other readers (Jinja, YAML, the Makefile) agree with it,
and the Jinja of the ml_model materialization keeps to the plugin's contract."""

from __future__ import annotations

import re

import pytest
import yaml

from common.paths import PROJECT_DIR
from fraud_detection import defaults
from fraud_detection.plugins import fraud_model, kinesis_reader, private_files
from producer import local_kinesis
from producer.kinesis import DEFAULT_FEEDBACK_STREAM, DEFAULT_STREAM

PROJECT = yaml.safe_load((PROJECT_DIR / "dbt_project.yml").read_text())
PROFILE = (PROJECT_DIR / "profiles.example.yml").read_text()
MATERIALIZATION = (PROJECT_DIR / "macros/materializations/ml_model/duckdb.sql").read_text()


def env_default(name: str) -> str:
    [default] = re.findall(rf"env_var\('{name}', '([^']+)'\)", PROFILE)
    return default


def test_the_stream_name_is_the_producers_default():
    assert PROJECT["vars"]["stream_name"] == DEFAULT_STREAM == defaults.STREAM_NAME


def test_the_redshift_schema_default_is_the_same_in_every_copy():
    """The profile's schema default, and the copies that must restate it: the lint context's
    target (sqlfluff renders the SQL with it) and the rehearsal's warehouse and its tests."""
    import inspect

    from lint import dbt_context
    from tests.redshift import test_rehearsal
    from tests.redshift.rehearsal.rehearsal import Rehearsal

    copies = {
        "lint": dbt_context.target.schema,
        "rehearsal": inspect.signature(Rehearsal).parameters["schema"].default,
        "rehearsal tests": test_rehearsal.SCHEMA,
    }
    assert copies == dict.fromkeys(copies, env_default("REDSHIFT_SCHEMA"))


def test_the_feedback_stream_name_is_the_producers_default():
    feedback = PROJECT["vars"]["feedback_stream_name"]
    assert feedback == DEFAULT_FEEDBACK_STREAM == defaults.FEEDBACK_STREAM_NAME


def test_the_profile_reads_the_local_paths_and_endpoint_the_code_uses():
    assert PROJECT_DIR / env_default("FRAUD_DUCKDB_PATH") == defaults.DUCKDB_PATH
    assert PROJECT_DIR / env_default("FRAUD_MODELS_DIR") == defaults.MODELS_DIR
    assert env_default("KINESIS_ENDPOINT_URL") == kinesis_reader.DEFAULT_ENDPOINT_URL
    assert local_kinesis.endpoint_url() == kinesis_reader.DEFAULT_ENDPOINT_URL
    makefile = (PROJECT_DIR / "Makefile").read_text()
    assert f"KINESIS_PORT ?= {local_kinesis.DEFAULT_PORT}\n" in makefile


def test_every_plugin_module_is_listed_in_the_profile():
    listed = set(re.findall(r"- module: (fraud_detection\.plugins\.\w+)", PROFILE))
    modules = {
        f"fraud_detection.plugins.{path.stem}"
        for path in (PROJECT_DIR / "fraud_detection/plugins").glob("*.py")
        if path.stem != "__init__"
    }
    assert (
        listed
        == modules
        == {
            private_files.__name__,
            fraud_model.__name__,
            kinesis_reader.__name__,
        }
    )
    # private_files first: the umask it sets holds for what the others create.
    assert re.findall(r"- module: (fraud_detection\.plugins\.\w+)", PROFILE)[0] == (
        private_files.__name__
    )


def test_the_fraud_model_is_the_dbt_model_of_that_name():
    assert (PROJECT_DIR / "models/ml" / f"{defaults.MODEL_NAME}.sql").exists()
    assert PROJECT["vars"]["fraud_model"]["function"] == defaults.FUNCTION_NAME
    assert len(defaults.MODEL_INPUTS) == 15 == len(set(defaults.MODEL_INPUTS))


def test_the_second_model_is_the_15_inputs_then_its_extra_ones():
    plus = PROJECT["vars"]["fraud_model_plus"]
    assert (PROJECT_DIR / "models/ml" / f"{defaults.PLUS_MODEL_NAME}.sql").exists()
    assert plus["function"] == defaults.PLUS_FUNCTION_NAME != defaults.FUNCTION_NAME
    assert defaults.MODEL_INPUTS + tuple(plus["extra_inputs"]) == defaults.PLUS_MODEL_INPUTS
    assert len(set(defaults.PLUS_MODEL_INPUTS)) == len(defaults.PLUS_MODEL_INPUTS) > 15
    assert defaults.MODEL_FUNCTIONS == {
        defaults.MODEL_NAME: (defaults.FUNCTION_NAME, defaults.MODEL_INPUTS),
        defaults.PLUS_MODEL_NAME: (defaults.PLUS_FUNCTION_NAME, defaults.PLUS_MODEL_INPUTS),
    }


def test_the_materialization_calls_only_the_plugins_functions():
    called = set(re.findall(r"\b(fraud_model_\w+)\(", MATERIALIZATION))
    assert called == {fraud_model.TRAIN_FUNCTION, fraud_model.INFO_FUNCTION}
    versions = (PROJECT_DIR / "macros/materializations/ml_model/ml_model_versions.sql").read_text()
    assert f"function ~ '{fraud_model.PROBABILITY_SUFFIX}'" in versions
    records = (PROJECT_DIR / "macros/streaming/stream_records.sql").read_text()
    assert f"{kinesis_reader.FUNCTION}(" in records


def test_the_options_it_sends_are_training_options():
    block = MATERIALIZATION.split("{%- set options = {")[1].split("} -%}")[0]
    sent = set(re.findall(r"'(\w+)':", block))
    sent |= set(re.findall(r"options\.update\(\{'(\w+)'", MATERIALIZATION))
    assert "model_type" in sent and sent <= set(fraud_model.OPTION_FIELDS)


@pytest.mark.parametrize("pattern", [r"info ->>? '(\w+)'", r"\binfo\.(\w+)"])
def test_the_metadata_it_reads_is_model_info(pattern):
    read = set(re.findall(pattern, MATERIALIZATION))
    assert read and read <= set(fraud_model.INFO_FIELDS)


def test_an_unreachable_local_kinesis_names_the_command_for_its_port():
    from fraud_detection.testing.ports import free_port

    port = free_port()
    reader = kinesis_reader.KinesisReader(f"http://127.0.0.1:{port}")
    with pytest.raises(ValueError, match=f"make kinesis-start KINESIS_PORT={port}`"):
        reader.read("any-stream", None)


def test_the_label_delay_and_the_windows_have_one_home_that_every_reader_follows():
    from fraud_detection.learner.protocol import Split
    from fraud_detection.learner.training import TrainingOptions
    from fraud_detection.testing import reference_features

    windows, delay = PROJECT["vars"]["feature_windows"], PROJECT["vars"]["label_delay_days"]
    assert tuple(windows) == defaults.FEATURE_WINDOWS and delay == defaults.LABEL_DELAY_DAYS
    assert TrainingOptions().validation_gap_days == delay
    assert Split(training_start=None).delay_days == delay
    assert (tuple(windows), delay) == (reference_features.WINDOWS, reference_features.DELAY)
    assert "'validation_gap_days': label_delay_days()" in MATERIALIZATION
    # The model inputs' names carry the windows.
    for w in windows:
        assert f"terminal_id_risk_{w}day_window" in defaults.MODEL_INPUTS
        assert f"customer_id_avg_amount_{w}day_window" in defaults.MODEL_INPUTS
    # No copy of either number is left where SQL or Python could read it instead.
    copies = re.compile(
        r"\[1, 7, 30\]|\(1, 7, 30\)|delay_days\s*[=:]\s*(int\s*=\s*)?7\b|DELAY\s*=\s*7\b"
        r"|gap_days\s*:\s*int\s*=\s*7\b|dateadd\('day', -(7|37|8|14)\b"
    )
    readers = [
        *(PROJECT_DIR / "models").rglob("*.sql"),
        *(PROJECT_DIR / "macros").rglob("*.sql"),
        *(PROJECT_DIR / "fraud_detection").rglob("*.py"),
    ]
    found = [f"{path.name}: {match.group(0)}" for path in readers
             for match in copies.finditer(path.read_text())]  # fmt: skip
    assert found == []
