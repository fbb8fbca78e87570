"""Shared fixtures: a real kinesalite on 127.0.0.1 and boto3 clients pointed at it."""

from __future__ import annotations

import socket
import uuid

import pytest

from producer.kinesis import ensure_stream, make_client
from producer.local_kinesis import LocalKinesis

# Fixtures for offline compiles against the redshift target.
pytest_plugins = ["tests.redshift_sql"]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="session")
def kinesalite(tmp_path_factory) -> LocalKinesis:
    """One local Kinesis server for the session (tests use their own streams)."""
    server = LocalKinesis(port=free_port(), data_dir=tmp_path_factory.mktemp("kinesalite"))
    server.start()
    yield server
    server.stop()


@pytest.fixture
def kinesis_client(kinesalite):
    return make_client(kinesalite.endpoint_url)


@pytest.fixture
def stream_name(kinesis_client) -> str:
    """A fresh two-shard stream."""
    name = f"test-{uuid.uuid4().hex[:10]}"
    ensure_stream(kinesis_client, name, shards=2, create=True)
    return name
