"""The Kinesis client (botocore's, as boto3 makes it) and stream checks, shared by the
producer, the tests and the demo."""

from __future__ import annotations

import functools
import ipaddress
import time
from urllib.parse import urlparse

import botocore.config
import botocore.loaders
import botocore.session
from botocore.exceptions import (
    ClientError,
    EndpointConnectionError,
    NoRegionError,
    ProfileNotFound,
)

from common.errors import UserError

# The stream the producer publishes to by default; the dbt var stream_name restates it
# (dbt_project.yml), and a test checks that the two agree.
DEFAULT_STREAM = "cust-payment-txn-stream"
# The stream the fraud team's reports go to (labels, days after the transactions): the dbt var
# feedback_stream_name restates it, checked by the same test.
DEFAULT_FEEDBACK_STREAM = "cust-payment-fraud-feedback"
LOCAL_REGION = "us-east-1"
LOCAL_CREDENTIALS = {"aws_access_key_id": "local", "aws_secret_access_key": "local"}


class KinesisSetupError(UserError):
    """The stream or its endpoint is not usable; the message is meant for the user."""


def is_loopback(endpoint_url: str | None) -> bool:
    """True for an endpoint on this machine (127.0.0.0/8, ::1, localhost)."""
    if not endpoint_url:
        return False
    host = urlparse(endpoint_url).hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@functools.cache
def service_descriptions() -> botocore.loaders.Loader:
    """botocore's reader of the service descriptions it ships (JSON files), one for every
    client this process makes. A new session reads and parses them again, about 50 ms a
    client: the refresh loop's reader made one every cycle, the tests hundreds. The files never
    change, and clients made from one session share them the same way."""
    return botocore.loaders.create_loader()


def make_client(
    endpoint_url: str | None = None, region: str | None = None, profile: str | None = None
):
    """A Kinesis client with standard retries; local endpoints need no AWS account."""
    local = is_loopback(endpoint_url)
    config = botocore.config.Config(
        retries={"mode": "standard", "max_attempts": 3 if local else 5},
        connect_timeout=2 if local else 10,
        read_timeout=30,
        tcp_keepalive=True,
    )
    session = botocore.session.get_session()
    session.register_component("data_loader", service_descriptions())
    if profile:
        session.set_config_variable("profile", profile)
    if region:
        session.set_config_variable("region", region)
    try:
        if local:
            credentials = {} if session.get_credentials() else LOCAL_CREDENTIALS
            return session.create_client(
                "kinesis",
                endpoint_url=endpoint_url,
                region_name=session.get_config_variable("region") or LOCAL_REGION,
                config=config,
                **credentials,
            )
        return session.create_client("kinesis", endpoint_url=endpoint_url, config=config)
    except NoRegionError:
        raise KinesisSetupError("no AWS region: pass --region or set AWS_REGION") from None
    except ProfileNotFound as error:  # --profile or AWS_PROFILE names none in the AWS config
        raise KinesisSetupError(f"{error}: check --profile or AWS_PROFILE") from None


def ensure_stream(client, name: str, *, shards: int, create: bool, timeout: float = 60.0) -> int:
    """Wait until stream ``name`` is ACTIVE, creating it when missing if ``create``.

    Returns its number of open shards.
    """
    try:
        summary = client.describe_stream_summary(StreamName=name)["StreamDescriptionSummary"]
    except EndpointConnectionError as error:
        raise KinesisSetupError(
            f"cannot reach the Kinesis endpoint {error.kwargs.get('endpoint_url')}"
        ) from None
    except ClientError as error:
        if error.response["Error"]["Code"] != "ResourceNotFoundException":
            raise KinesisSetupError(
                f"stream {name}: {error.response['Error'].get('Message', error)}"
            ) from None
        if not create:
            raise KinesisSetupError(
                f"stream {name} does not exist in {client.meta.region_name}: create it, or pass "
                "--create-stream"
            ) from None
        client.create_stream(StreamName=name, ShardCount=shards)
        summary = {"StreamStatus": "CREATING"}
    deadline = time.monotonic() + timeout
    while summary["StreamStatus"] != "ACTIVE":
        if time.monotonic() > deadline:
            raise KinesisSetupError(
                f"stream {name} is still {summary['StreamStatus']} after {timeout:.0f} s"
            )
        time.sleep(0.1)
        summary = client.describe_stream_summary(StreamName=name)["StreamDescriptionSummary"]
    return summary["OpenShardCount"]
