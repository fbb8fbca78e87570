"""Shared fixtures, and the markers each test folder sets.

Tests are laid out by kind, and each folder marks its tests with its kind, so that
``pytest -m unit`` (or integration, redshift, e2e) runs one kind:
- unit/: pure Python and files, no server;
- integration/: real DuckDB, dbt and kinesalite;
- redshift/: the redshift target's code path (offline compiles and the rehearsal);
- e2e/: whole commands as a user runs them (the demo, a replayed month through the refresh
  loop, the docs site in a browser).

The suite runs on every core (pytest-xdist, ``--dist loadgroup``). A test that uses a
module-scoped fixture (a built world, a trained model) joins its module's group, and one that
uses a package-scoped fixture (the rehearsal's deployment) its package's, so the fixture is
built once, on one worker, and the group's tests run there in file order; every other test
goes to whichever worker is free. Each worker starts its own session fixtures (one
kinesalite), the rehearsal its own PostgreSQL, and every test makes its own stream, DuckDB
file or database, so no state crosses workers.
"""

from __future__ import annotations

import gc
import os
from pathlib import Path

import pytest

from fraud_detection import dbt_template_code
from fraud_detection.testing import dbt_flag_source
from fraud_detection.testing.kinesis import fresh_streams
from fraud_detection.testing.ports import free_port
from producer.kinesis import make_client
from producer.local_kinesis import LocalKinesis

TESTS_DIR = Path(__file__).resolve().parent
KINDS = ("unit", "integration", "redshift", "e2e")


def pytest_configure(config: pytest.Config) -> None:
    """dbt's Jinja parses are kept in memory from one dbt command to the next, as dbt's own
    test fixtures keep them (dbt.tests.fixtures.project, ``initialization``): a full parse, which
    every new set of vars needs, then takes about 0.7 s instead of 1.5 s. The cache is keyed by
    each template's text, so what dbt parses is unchanged."""
    from dbt_common.tests import enable_test_caching

    enable_test_caching()
    # Every in-process dbt command here, whoever starts it: dbt-common's inspect.stack() per
    # behavior flag costs most of a `dbt show` under a test worker's deep stack; and each Jinja
    # text is compiled once per worker, as the refresh loop compiles it once.
    dbt_flag_source.install()
    dbt_template_code.install()
    # Each worker's learners get their share of the cores (OpenMP reads this once, when XGBoost
    # loads): two workers' learners each asking for every core fight, and run several times
    # slower on this 2-core machine.
    workers = int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1"))
    os.environ.setdefault("OMP_NUM_THREADS", str(max(1, (os.cpu_count() or 1) // workers)))


@pytest.hookimpl(tryfirst=True)  # before pytest-xdist reads the groups
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        folder = Path(str(item.path)).resolve().relative_to(TESTS_DIR).parts[0]
        if folder in KINDS:
            item.add_marker(folder)
        if group := shared_state_group(item):
            item.add_marker(pytest.mark.xdist_group(group))


def pytest_collection_finish(session: pytest.Session) -> None:
    freeze_what_is_alive()
    check_groups(session)


def pytest_runtest_logfinish() -> None:
    freeze_what_is_alive()


def freeze_what_is_alive() -> None:
    """After collection and after each test, what is still alive is kept out of the garbage
    collector's full passes (``gc.collect``, then ``gc.freeze``): what collection loaded (dbt,
    pandas, XGBoost), and what the worker's dbt commands keep from one test to the next (the
    adapters and modules a first command loads, dbt's Jinja caches, the saved parses).

    A full pass walks every tracked object that is not frozen, and each full dbt parse leaves
    enough garbage to start one. Measured over the inner loop, in two interleaved pairs of
    runs: the collector took 54.2 and 50.8 s of the two workers' CPU when frozen after
    collection only, 21.1 and 23.4 s when frozen after each test too; the runs took 184 and
    166 s against 153 and 163 s. The price is memory: an object frozen here and dropped later
    in a reference cycle is never collected; a worker's peak went from 680-870 MB to
    860-1,000 MB. Garbage is collected before each freeze, so none is frozen. The refresh loop
    freezes once, after its first cycle (``settle_long_lived_objects``)."""
    gc.collect()
    gc.freeze()


def check_groups(session: pytest.Session) -> None:
    """On a worker, the grouped tests must carry their group in their id, or pytest-xdist
    would spread a module's tests (and rebuild its state) across workers: it did under
    pytest 9, which ignores the id pytest-xdist rewrites."""
    if not getattr(session.config.option, "loadgroup", False):
        return
    ungrouped = [
        item.nodeid
        for item in session.items
        if item.get_closest_marker("xdist_group") and "@" not in item.nodeid
    ]
    if ungrouped:
        raise pytest.UsageError(f"pytest-xdist did not group {ungrouped[0]}: check its version")


def shared_state_group(item: pytest.Item) -> str | None:
    """The group of a test that reads state built once: its package's for a package-scoped
    fixture (the rehearsal's deployment, shared by two modules), else its module's for a
    module-scoped one; None for a test with neither."""
    definitions = getattr(item, "_fixtureinfo", None)
    if definitions is None:
        return None
    scopes = {
        definition.scope for defs in definitions.name2fixturedefs.values() for definition in defs
    }
    if "package" in scopes:
        return item.module.__name__.rpartition(".")[0]
    if "module" in scopes:
        return item.module.__name__
    return None


@pytest.fixture(autouse=True)
def restore_umask():
    """The CLIs make what they write private (umask 077); other tests keep the usual one."""
    previous = os.umask(0o022)
    os.umask(previous)
    yield
    os.umask(previous)


@pytest.fixture(scope="session")
def kinesalite(tmp_path_factory) -> LocalKinesis:
    """One local Kinesis server for the session (tests use their own streams)."""
    server = LocalKinesis(port=free_port(), data_dir=tmp_path_factory.mktemp("kinesalite"))
    server.start()
    yield server
    server.stop()


@pytest.fixture
def kinesis_client(kinesalite):
    if kinesalite.process.poll() is not None:  # say why, rather than "connection refused"
        tail = kinesalite.log_path.read_text(errors="replace").strip().splitlines()[-20:]
        pytest.fail(
            f"the session's kinesalite exited with code {kinesalite.process.returncode}:\n"
            + "\n".join(tail)
        )
    return make_client(kinesalite.endpoint_url)


@pytest.fixture
def stream_name(kinesis_client, worker_id) -> str:
    """A fresh, empty two-shard stream and its feedback stream, under the same names for every
    test on this worker (dbt's vars name them, and the same vars let dbt reuse its parse from
    test to test)."""
    return fresh_streams(kinesis_client, f"test-{worker_id}")
