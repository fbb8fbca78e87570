"""The CloudFormation template (infra/cloudformation.yaml) and its guide (docs/deploy.md).

cfn-lint checks the template against the resource schemas it ships, offline: it runs in a
child process whose sockets refuse to connect, with an empty cache folder so that only the
bundled schemas are used (cfn-lint downloads schemas only with --update-specs, or when it
has none). The other tests read the template itself: least privilege, the bucket's
protections, and that the outputs, parameters and settings the guide names exist.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from common.paths import PROJECT_DIR

ROOT = PROJECT_DIR
TEMPLATE = ROOT / "infra" / "cloudformation.yaml"
GUIDE = ROOT / "docs" / "deploy.md"

# Runs cfn-lint with the network cut off: any attempt to download fails the lint.
OFFLINE_CFN_LINT = """
import socket, sys

def refuse(*args, **kwargs):
    raise OSError("cfn-lint tried to use the network")

socket.socket.connect = refuse
socket.socket.connect_ex = refuse
socket.create_connection = refuse

from cfnlint.runner import main

sys.argv = ["cfn-lint", *sys.argv[1:]]
sys.exit(main())
"""


class _CfnLoader(yaml.SafeLoader):
    """YAML loader that reads CloudFormation's short-form tags as their long form."""


def _intrinsic(loader: yaml.SafeLoader, tag_suffix: str, node: yaml.Node) -> dict:
    name = "Ref" if tag_suffix == "Ref" else f"Fn::{tag_suffix}"
    if isinstance(node, yaml.ScalarNode):
        value = loader.construct_scalar(node)
        if tag_suffix == "GetAtt":
            value = value.split(".", 1)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)
    return {name: value}


_CfnLoader.add_multi_constructor("!", _intrinsic)


@pytest.fixture(scope="module")
def template() -> dict:
    return yaml.load(TEMPLATE.read_text(), Loader=_CfnLoader)  # a SafeLoader subclass


@pytest.fixture(scope="module")
def guide() -> str:
    return GUIDE.read_text()


def _resources(template: dict, resource_type: str) -> dict[str, dict]:
    return {
        name: resource
        for name, resource in template["Resources"].items()
        if resource["Type"] == resource_type
    }


def _statements(policy: dict) -> list[dict]:
    return policy["Properties"]["PolicyDocument"]["Statement"]


def _as_list(value) -> list:
    return value if isinstance(value, list) else [value]


def _allowed_actions(statements: list[dict]) -> set[str]:
    return {
        action
        for statement in statements
        if statement["Effect"] == "Allow"
        for action in _as_list(statement["Action"])
    }


def _client_calls(path: Path) -> list[str]:
    """boto3 client methods a module calls: client.x(, self._client.x(, self.client.x(."""
    return re.findall(r"(?:\b|_)client\.([a-z_]+)\(", path.read_text())


def _section(text: str, title: str) -> str:
    """The body of the markdown section ``## title``, up to the next ``## ``."""
    match = re.search(rf"^## {re.escape(title)}\n(.*?)(?=^## |\Z)", text, re.M | re.S)
    assert match, f"docs/deploy.md has no section '## {title}'"
    return match.group(1)


def _table_first_column(section: str) -> list[str]:
    names = re.findall(r"^\| `([^`]+)`", section, re.M)
    assert names, "the section has no table of `names`"
    return names


# -- cfn-lint -----------------------------------------------------------------------------------


def test_cfn_lint_passes_offline_and_would_catch_a_broken_template(tmp_path):
    broken = tmp_path / "broken.yaml"
    broken.write_text(
        TEMPLATE.read_text().replace(
            "      RetentionPeriodHours: !Ref RetentionHours\n",
            "      RetentionPeriodHours: !Ref RetentionHours\n      NoSuchProperty: true\n",
        )
    )
    assert broken.read_text() != TEMPLATE.read_text()
    cache = tmp_path / "cache"
    cache.mkdir()
    run = subprocess.run(
        [
            sys.executable,
            "-c",
            OFFLINE_CFN_LINT,
            "--format",
            "json",
            "--include-checks",
            "I",  # informational too: no finding of any level is accepted
            "--",
            str(TEMPLATE),
            str(broken),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "XDG_CACHE_HOME": str(cache)},
        cwd=tmp_path,
    )
    assert "network" not in run.stderr, run.stderr
    findings = json.loads(run.stdout)
    ours = [f for f in findings if Path(f["Filename"]).name == TEMPLATE.name]
    assert ours == [], json.dumps(ours, indent=2)
    assert any(
        Path(f["Filename"]).name == "broken.yaml" and f["Level"] == "Error" for f in findings
    ), f"cfn-lint did not flag the broken copy: {run.stdout}\n{run.stderr}"
    assert not list(cache.iterdir()), "cfn-lint wrote to its schema cache (it tried to update)"


# -- least privilege ----------------------------------------------------------------------------


def test_no_allow_statement_grants_a_whole_service(template):
    for name, policy in {
        **_resources(template, "AWS::IAM::ManagedPolicy"),
        **_resources(template, "AWS::IAM::Role"),
    }.items():
        document = policy["Properties"].get("PolicyDocument")
        for statement in document["Statement"] if document else []:
            if statement["Effect"] != "Allow":
                continue
            for action in _as_list(statement["Action"]):
                assert action != "*" and not action.endswith(":*"), f"{name} allows {action}"


# The project's two streams: the transactions and the fraud team's reports.
STREAM_ARNS = [
    {"Fn::GetAtt": ["TransactionStream", "Arn"]},
    {"Fn::GetAtt": ["FeedbackStream", "Arn"]},
]


def test_kinesis_read_policy_is_the_documented_read_set_on_this_stream(template):
    statements = _statements(template["Resources"]["KinesisReadPolicy"])
    assert _allowed_actions(statements) == {
        "kinesis:DescribeStreamSummary",
        "kinesis:GetShardIterator",
        "kinesis:GetRecords",
        "kinesis:ListShards",
        "kinesis:DescribeStream",
        "kinesis:ListStreams",
    }
    for statement in statements:
        if _as_list(statement["Action"]) == ["kinesis:ListStreams"]:
            assert statement["Resource"] == "*"  # ListStreams takes no resource
        else:
            assert statement["Resource"] == STREAM_ARNS
    assert template["Resources"]["KinesisReadPolicy"]["Properties"]["Roles"] == [
        {"Ref": "RedshiftRole"}
    ]


def test_redshift_role_is_trusted_by_redshift_and_sagemaker_only(template):
    trust = template["Resources"]["RedshiftRole"]["Properties"]["AssumeRolePolicyDocument"]
    principals = {
        service
        for statement in trust["Statement"]
        for service in _as_list(statement["Principal"]["Service"])
    }
    assert principals == {"redshift.amazonaws.com", "sagemaker.amazonaws.com"}
    assert [s["Action"] for s in trust["Statement"]] == ["sts:AssumeRole"]


def test_redshift_ml_policy_limits_s3_to_the_ml_bucket_and_passes_only_its_role(template):
    statements = _statements(template["Resources"]["RedshiftMlPolicy"])
    for statement in statements:
        actions = _as_list(statement["Action"])
        if any(action.startswith("s3:") for action in actions):
            resource = json.dumps(statement["Resource"])
            assert "RedshiftMlBucket" in resource, statement
        if "iam:PassRole" in actions:
            assert actions == ["iam:PassRole"]
            assert statement["Resource"] == {"Fn::GetAtt": ["RedshiftRole", "Arn"]}
    assert "sagemaker:*Job*" in _allowed_actions(statements)


def test_producer_policy_allows_every_kinesis_call_the_producer_makes(template):
    # Kinesis calls on the publishing path (stream, replay), e.g. self._client.put_records(.
    calls = set()
    for name in ("kinesis.py", "publish.py"):
        calls |= set(_client_calls(ROOT / "producer" / name))
    calls.discard("create_stream")  # only with --create-stream, never for the stack's stream
    assert {"put_records", "describe_stream_summary"} <= calls
    needed = {"kinesis:" + "".join(part.title() for part in call.split("_")) for call in calls}
    statements = _statements(template["Resources"]["ProducerPolicy"])
    assert needed <= _allowed_actions(statements)
    assert _allowed_actions(statements) <= {
        "kinesis:PutRecords",
        "kinesis:PutRecord",
        "kinesis:DescribeStreamSummary",
        "kinesis:ListShards",
    }
    assert {json.dumps(s["Resource"]) for s in statements} == {json.dumps(STREAM_ARNS)}


def test_alert_sink_policy_publishes_to_the_topic_only(template):
    statements = _statements(template["Resources"]["AlertSinkPolicy"])
    assert _allowed_actions(statements) == {"sns:Publish"}
    assert [s["Resource"] for s in statements] == [{"Ref": "AlertTopic"}]
    # IAM authorizes SNS Publish and PublishBatch both as sns:Publish (no sns:PublishBatch).
    calls = set(_client_calls(ROOT / "fraud_detection" / "alerts" / "sinks.py"))
    assert calls, "fraud_detection/alerts/sinks.py makes no SNS call any more: check the policy"
    assert calls <= {"publish", "publish_batch"}, f"the alert sink calls {calls}"


# -- the bucket, the stream, the warehouse -------------------------------------------------------


def test_ml_bucket_blocks_public_access_is_encrypted_and_collects_garbage(template):
    bucket = template["Resources"]["RedshiftMlBucket"]["Properties"]
    assert bucket["PublicAccessBlockConfiguration"] == {
        "BlockPublicAcls": True,
        "BlockPublicPolicy": True,
        "IgnorePublicAcls": True,
        "RestrictPublicBuckets": True,
    }
    rule = bucket["BucketEncryption"]["ServerSideEncryptionConfiguration"][0]
    assert rule["ServerSideEncryptionByDefault"]["SSEAlgorithm"] in {"AES256", "aws:kms"}
    (lifecycle,) = bucket["LifecycleConfiguration"]["Rules"]
    assert lifecycle["Status"] == "Enabled"
    assert lifecycle["ExpirationInDays"] == {"Ref": "MlArtifactRetentionDays"}
    assert lifecycle["AbortIncompleteMultipartUpload"]["DaysAfterInitiation"] >= 1
    deny = _statements(template["Resources"]["RedshiftMlBucketPolicy"])
    assert any(
        s["Effect"] == "Deny" and s["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
        for s in deny
    )


def test_stream_mode_shards_and_retention_come_from_parameters(template):
    stream = template["Resources"]["TransactionStream"]["Properties"]
    assert stream["StreamModeDetails"] == {"StreamMode": {"Ref": "StreamMode"}}
    assert template["Parameters"]["StreamMode"]["AllowedValues"] == ["PROVISIONED", "ON_DEMAND"]
    assert stream["ShardCount"] == {
        "Fn::If": ["IsProvisioned", {"Ref": "ShardCount"}, {"Ref": "AWS::NoValue"}]
    }
    assert stream["RetentionPeriodHours"] == {"Ref": "RetentionHours"}
    # The project's default stream names, so that no var needs changing.
    dbt_project = yaml.safe_load((ROOT / "dbt_project.yml").read_text())
    assert template["Parameters"]["StreamName"]["Default"] == dbt_project["vars"]["stream_name"]
    feedback = template["Resources"]["FeedbackStream"]["Properties"]
    assert feedback["Name"] == {"Ref": "FeedbackStreamName"}
    assert feedback["RetentionPeriodHours"] == {"Ref": "RetentionHours"}
    assert (
        template["Parameters"]["FeedbackStreamName"]["Default"]
        == dbt_project["vars"]["feedback_stream_name"]
    )


def test_namespace_manages_its_password_and_defaults_to_the_role(template):
    namespace = template["Resources"]["Namespace"]["Properties"]
    assert namespace["ManageAdminPassword"] is True
    assert "AdminUserPassword" not in namespace
    assert not any(p.get("NoEcho") for p in template["Parameters"].values())
    assert namespace["DefaultIamRoleArn"] == {"Fn::GetAtt": ["RedshiftRole", "Arn"]}
    workgroup = template["Resources"]["Workgroup"]["Properties"]
    assert workgroup["NamespaceName"] == {"Ref": "Namespace"}
    assert workgroup["BaseCapacity"] == {"Ref": "BaseCapacity"}


# -- the guide against the template and the project ----------------------------------------------


def test_every_output_in_the_guide_exists_and_every_output_is_in_the_guide(template, guide):
    documented = _table_first_column(_section(guide, "Stack outputs"))
    assert sorted(documented) == sorted(template["Outputs"])
    for name in re.findall(r"\bout ([A-Z][A-Za-z]+)\b", guide):
        assert name in template["Outputs"], (
            f"docs/deploy.md reads an output {name} that is not there"
        )


def test_parameters_in_the_guide_exist(template, guide):
    table = _section(guide, "Deploy the stack")
    for cell in re.findall(r"^\| ([^|]+) \|", table, re.M):
        for name in re.findall(r"`([A-Za-z]+)`", cell):
            assert name in template["Parameters"], name
    deploy = re.search(r"aws cloudformation deploy.*?```", guide, re.S)
    assert deploy, "docs/deploy.md has no aws cloudformation deploy command"
    overrides = deploy.group(0).split("--parameter-overrides", 1)[1]
    names = re.findall(r"\b([A-Za-z]+)=", overrides)
    assert names
    for name in names:
        assert name in template["Parameters"], name
    assert "--capabilities CAPABILITY_NAMED_IAM" in deploy.group(0)


def test_settings_the_guide_maps_outputs_to_exist_in_the_project(guide):
    section = _section(guide, "Stack outputs") + _section(guide, "Configure the `redshift` target")
    read_env = (ROOT / "profiles.example.yml").read_text() + (ROOT / "dbt_project.yml").read_text()
    env_vars = set(re.findall(r"^export ([A-Z_]+)=", section, re.M))
    env_vars |= set(re.findall(r"env `([A-Z_]+)`", section))
    assert {"REDSHIFT_HOST", "DBT_ENV_SECRET_REDSHIFT_PASSWORD"} <= env_vars
    for env_var in env_vars:
        assert re.search(rf"env_var\(\s*'{env_var}'", read_env), (
            f"docs/deploy.md sets {env_var}, which neither the profile nor dbt_project.yml reads"
        )
    project_sql = (
        "\n".join(
            path.read_text()
            for folder in ("models", "macros")
            for path in (ROOT / folder).rglob("*.sql")
        )
        + (ROOT / "dbt_project.yml").read_text()
    )
    for dbt_var in set(re.findall(r"var `([a-z0-9_]+)`", section)) | set(
        _table_first_column(_section(guide, "Configure the `redshift` target"))
    ):
        assert re.search(rf"var\(\s*['\"]{dbt_var}['\"]", project_sql) or re.search(
            rf"^  {dbt_var}:", project_sql, re.M
        ), f"docs/deploy.md names a dbt var {dbt_var} the project does not read"


def test_guide_uses_the_real_operation_and_producer_flags(guide):
    macro = (ROOT / "macros" / "operations" / "load_history_from_s3.sql").read_text()
    assert "{% macro load_history_from_s3(s3_path," in macro
    assert "dbt run-operation load_history_from_s3" in guide
    cli = (ROOT / "producer" / "cli.py").read_text()
    flags = set(re.findall(r'add_argument\(\s*"(--[a-z-]+)"', cli))
    for command in re.findall(
        r"python -m producer (?:stream|replay|generate)(?:[^\n`\\]|\\\n)*", guide
    ):
        for flag in re.findall(r"(?<![\w-])(--[a-z][a-z-]+)", command):
            assert flag in flags, f"docs/deploy.md uses {flag}, which python -m producer lacks"
