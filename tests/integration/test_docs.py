"""Docs: every resource of the project described, every column of every relation documented
(checked against the catalog of a real, tiny build), macro arguments typed as dbt reads them,
exposures wired to the marts they read, and the predictions' grants a no-op locally."""

from __future__ import annotations

import json
import re
import uuid

import pytest
from dbt.parser.schemas import is_valid_type

from fraud_detection.defaults import PLUS_MODEL_NAME
from fraud_detection.testing.dbt import PROJECT_DIR, LocalDbt
from fraud_detection.testing.dbt_docs import PACKAGE, own, parse_manifest
from fraud_detection.testing.kinesis import fresh_streams
from producer.cli import main as producer
from producer.kinesis import make_client

PII_MODELS = ("cust_payment_tx_fraud_predictions", "fraud_alerts")
EXPOSURES = {
    "fraud_alerts_flow": (
        "application",
        {
            "fraud_alerts",
            "fraud_alert_deliveries",
            "cust_payment_tx_fraud_predictions",
            "stg_kinesis__transactions",  # the stream's clock, for --retrain-every
            "int_training_features",  # rebuilt before a retraining
        },
        ["fraud_detection/alerts/delivery.py", "fraud_detection/refresh/loop.py"],
    ),
    "demo_report": (
        "analysis",
        {
            "cust_payment_tx_history",
            "int_training_features",
            "cust_cc_txn_fd",
            "cust_payment_tx_fraud_predictions",
            "fraud_model_performance",
            "stg_kinesis__transactions",
            "stg_kinesis__stream_records",
            "stg_kinesis__rejects",
        },
        ["fraud_detection/demo/report.py"],
    ),
}
# A private macro: a dispatch variant (reached through adapter.dispatch, never called by name)
# or a helper whose name starts with an underscore. It carries a one-line comment, not YAML.
PRIVATE_MACRO = re.compile(r"^(_|(default|duckdb|redshift|postgres)__)")
# The opening tag of a macro or generic test, with its parameters.
SIGNATURE = re.compile(r"{%-?\s*(?:macro|test)\s+\w+\s*\((.*?)\)\s*-?%}", re.S)


@pytest.fixture(scope="module")
def manifest(tmp_path_factory) -> dict:
    return parse_manifest(tmp_path_factory.mktemp("docs_parse"))


def parameters(macro_sql: str) -> list[str]:
    """The parameter names of a macro's (or generic test's) signature, defaults aside."""
    match = SIGNATURE.search(macro_sql)
    if match is None:  # a materialization: no parameters
        return []
    names, depth, current = [], 0, ""
    for char in match.group(1) + ",":
        if char in "([{":
            depth += 1
        elif char in ")]}":
            depth -= 1
        if char == "," and depth == 0:
            if current.strip():
                names.append(current.split("=")[0].strip())
            current = ""
        else:
            current += char
    return names


def test_every_resource_of_the_project_is_described(manifest):
    undescribed = []
    for unique_id, node in own(manifest["nodes"]).items():
        if node["resource_type"] == "test" and node.get("test_metadata"):
            continue  # an instance of a generic test: described by its macro
        if node["resource_type"] == "operation":
            continue  # a project hook: dbt takes no description for one; its macro has one
        if not node["description"].strip():
            undescribed.append(unique_id)
    for unique_id, source in own(manifest["sources"]).items():
        if not source["description"].strip():
            undescribed.append(unique_id)
        if not source["source_description"].strip():
            undescribed.append(f"source {source['source_name']}")
    for kind in ("macros", "exposures", "unit_tests"):
        for unique_id, resource in own(manifest[kind]).items():
            if kind == "macros" and PRIVATE_MACRO.match(resource["name"]):
                continue
            if not resource["description"].strip():
                undescribed.append(unique_id)
    assert undescribed == []

    kinds = {node["resource_type"] for node in own(manifest["nodes"]).values()}
    assert {"model", "seed", "analysis", "test"} <= kinds
    macros = {macro["name"] for macro in own(manifest["macros"]).values()}
    assert {
        "materialization_streaming_materialized_view_redshift",
        "materialization_ml_model_duckdb",
        "test_unique_combination",
        "duckdb__json_text",
    } <= macros


def test_every_documented_column_is_described_and_doc_blocks_render(manifest):
    resources = {**own(manifest["nodes"]), **own(manifest["sources"])}
    undescribed = [
        f"{unique_id}.{name}"
        for unique_id, resource in resources.items()
        for name, column in resource.get("columns", {}).items()
        if not column["description"].strip()
    ]
    assert undescribed == []
    texts = [resource["description"] for resource in resources.values()] + [
        column["description"]
        for resource in resources.values()
        for column in resource.get("columns", {}).values()
    ]
    assert not [text for text in texts if "{{" in text or "{%" in text]
    used = {
        block
        for resource in resources.values()
        for column in resource.get("columns", {}).values()
        for block in column.get("doc_blocks", [])
    }
    assert {"doc.fraud_detection.transaction_id", "doc.fraud_detection.arrived_at"} <= used


def test_private_macros_carry_a_comment_not_yaml(manifest):
    """Only public macros are described in YAML; a private one has a comment just above it."""
    problems = []
    for macro in own(manifest["macros"]).values():
        if not PRIVATE_MACRO.match(macro["name"]):
            continue
        if macro["description"].strip() or macro["arguments"]:
            problems.append(f"{macro['name']}: described in YAML")
        source = (PROJECT_DIR / macro["original_file_path"]).read_text()
        above = source[: source.index(macro["macro_sql"])].rstrip()
        if not above.endswith("#}"):
            problems.append(f"{macro['name']}: no comment above it")
    assert problems == []


def test_macro_arguments_match_their_signature_and_are_typed(manifest):
    problems = []
    for macro in own(manifest["macros"]).values():
        if PRIVATE_MACRO.match(macro["name"]):
            continue
        documented = [argument["name"] for argument in macro["arguments"]]
        expected = parameters(macro["macro_sql"])
        if documented != expected:
            problems.append(f"{macro['name']}: documented {documented}, signature {expected}")
        for argument in macro["arguments"]:
            if not argument.get("description", "").strip():
                problems.append(f"{macro['name']}.{argument['name']}: no description")
            if not is_valid_type(argument.get("type") or ""):
                problems.append(f"{macro['name']}.{argument['name']}: type {argument.get('type')}")
    assert problems == []


def test_exposures_sit_beside_the_marts_and_depend_on_what_they_read(manifest):
    exposures = {exposure["name"]: exposure for exposure in own(manifest["exposures"]).values()}
    assert set(exposures) == set(EXPOSURES)
    models = {node["name"] for node in own(manifest["nodes"]).values()}
    for name, (kind, parents, code) in EXPOSURES.items():
        exposure = exposures[name]
        assert exposure["type"] == kind
        assert exposure["original_file_path"] == "models/marts/_marts__exposures.yml"
        assert set(exposure["depends_on"]["nodes"]) == {f"model.{PACKAGE}.{p}" for p in parents}
        assert exposure["owner"]["name"]
        assert exposure["owner"]["email"].endswith("@example.com")
        # The code behind the exposure reads no model that depends_on leaves out.
        read = {
            model
            for path in code
            for model in models
            if re.search(rf"\b{model}\b", (PROJECT_DIR / path).read_text())
        }
        assert read <= parents, f"{name} reads {sorted(read - parents)}"
    flow = exposures["fraud_alerts_flow"]["description"]
    for command in ("python -m fraud_detection detect", "--alerts-out", "--sns-topic-arn"):
        assert command in flow
    assert "python -m fraud_detection alerts" in flow
    assert "python -m fraud_detection demo" in exposures["demo_report"]["description"]


def test_the_alert_queue_has_one_row_per_transaction(manifest):
    checks = {
        (test["test_metadata"]["name"], test["column_name"])
        for test in own(manifest["nodes"]).values()
        if test["resource_type"] == "test"
        and test.get("test_metadata")
        and test["attached_node"] == f"model.{PACKAGE}.fraud_alerts"
    }
    assert {("not_null", "transaction_id"), ("unique", "transaction_id")} <= checks


def test_the_predictions_grants_are_a_no_op_locally(manifest):
    # dbt-duckdb has no grants (it warns when some are configured): none are, locally.
    for name in PII_MODELS:
        assert manifest["nodes"][f"model.{PACKAGE}.{name}"]["config"]["grants"] == {}


@pytest.fixture(scope="module")
def built(tmp_path_factory, kinesalite) -> tuple[dict, dict]:
    """A tiny world built end to end (history, stream, features, model, predictions, alerts),
    then `dbt docs generate`: the manifest and the catalog of every relation's real columns."""
    folder = tmp_path_factory.mktemp("docs_build")
    world = [
        "--customers",
        "100",
        "--terminals",
        "200",
        "--seed",
        "3",
        "--start-date",
        "2024-01-01",
    ]
    assert producer(["generate", *world, "--days", "40", "--out", str(folder / "world")]) == 0
    stream = f"docs-{uuid.uuid4().hex[:8]}"
    fresh_streams(make_client(kinesalite.endpoint_url), stream, shards=1)
    sent = producer(
        [
            "stream",
            *world,
            "--stream",
            stream,
            "--endpoint-url",
            kinesalite.endpoint_url,
            "--rate",
            "5000",
            "--count",
            "50",
            "--labels-out",
            str(folder / "labels.csv"),
        ]
    )
    assert sent == 0
    dbt = LocalDbt(folder, kinesalite.endpoint_url, stream, artifacts=True)
    dbt.env["FRAUD_MODELS_DIR"] = str(folder / "models")
    history = f"history_path: '{folder / 'world' / 'cust_payment_tx_history.parquet'}'"
    # The opt-in second model is named: a plain build (and catalog) leaves it out.
    every_node = ["-s", "fqn:*"]
    for command in (["build"], ["run", "-s", PLUS_MODEL_NAME], ["docs", "generate", *every_node]):
        result = dbt.run(*command, vars=history)
        assert result.returncode == 0, result.output[-3000:]
    target = folder / "target"
    return (
        json.loads((target / "manifest.json").read_text()),
        json.loads((target / "catalog.json").read_text()),
    )


@pytest.mark.kinesis
def test_the_columns_of_every_relation_are_the_documented_ones(built):
    manifest, catalog = built
    relations = {
        unique_id
        for unique_id, node in own(manifest["nodes"]).items()
        if node["resource_type"] in ("model", "seed")
        and node["config"]["materialized"] != "ephemeral"
    }
    assert relations <= set(catalog["nodes"]), sorted(relations - set(catalog["nodes"]))
    mismatches = {}
    for unique_id in sorted(relations):
        actual = [name.lower() for name in catalog["nodes"][unique_id]["columns"]]
        documented = [name.lower() for name in manifest["nodes"][unique_id]["columns"]]
        undocumented = [name for name in actual if name not in documented]
        stale = [name for name in documented if name not in actual]
        if undocumented or stale:
            mismatches[unique_id] = {"undocumented": undocumented, "not in the relation": stale}
    assert mismatches == {}
