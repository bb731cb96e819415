"""Shared fixtures: a real sandbox platform over HTTP on a free loopback port.

- `sandbox_config`: a SandboxConfig on a temporary directory, key 'test-key', no latency, fault control on.
- `sandbox`: a running sandbox for that config (`.base_url`, `.credentials`, `.controller`); function-scoped.
- `shared_sandbox`: the same, module-scoped, for tests that only read (faults are cleared after each use).
- `sandbox_client`: a PlatformClient pointed at `sandbox`, closed afterwards.
- `db_url` / `any_kit`: the app's database on SQLite and on PostgreSQL (tests/support/databases.py), and the
  PostgreSQL servers behind them (tests/support/postgres.py).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from sandbox.config import SandboxConfig
from services.core.secret import Secret
from services.platform.client import PlatformClient
from tests.support.databases import any_kit, close_test_databases, db_url  # noqa: F401  (fixtures for every test)
from tests.support.postgres import postgres_server, postgres_url, private_postgres  # noqa: F401
from tests.support.sandbox_server import RunningSandbox, running_sandbox

# Tests that start processes of their own (the app, Chromium, the whole cluster, fifty simulated people): under
# `make test`'s two workers they run one at a time, on one worker, so two of them never share the two cores and
# their timings keep the margins they were written with.
PROCESS_HEAVY = ('tests/browser/', 'tests/cluster/', 'tests/reliability/', 'tests/inspector/')

TEST_KEY = 'test-key'
TEST_SECRET = 'test-secret-0123456789'
FIXTURES = Path(__file__).parent / 'fixtures'


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    root = Path(str(config.rootpath))
    for item in items:
        where = Path(str(item.path)).relative_to(root).as_posix()
        if where.startswith(PROCESS_HEAVY):
            item.add_marker(pytest.mark.xdist_group('processes'))


def make_sandbox_config(data_dir: Path) -> SandboxConfig:
    return SandboxConfig(data_dir=data_dir, keys={TEST_KEY: Secret(TEST_SECRET)}, latency=(0.0, 0.0),
                         allow_fault_control=True)


@pytest.fixture
def sandbox_config(tmp_path: Path) -> SandboxConfig:
    return make_sandbox_config(tmp_path / 'sandbox')


@pytest.fixture
def sandbox(sandbox_config: SandboxConfig) -> Iterator[RunningSandbox]:
    with running_sandbox(sandbox_config) as running:
        yield running


@pytest.fixture(scope='module')
def shared_sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningSandbox]:
    with running_sandbox(make_sandbox_config(tmp_path_factory.mktemp('shared-sandbox'))) as running:
        yield running


@pytest.fixture
async def sandbox_client(sandbox: RunningSandbox) -> AsyncIterator[PlatformClient]:
    client = PlatformClient(base_url=sandbox.base_url, timeout=10, slow_timeout=30, connect_timeout=5)
    try:
        yield client
    finally:
        await client.aclose()
