"""The deployment on this machine for the tests: PostgreSQL, Redis, the standalone sandbox, two instances, nginx.

One cluster for the whole session (starting it takes about 12 s); tests that stop, kill or cut something bring it
back before they end. Everything is Debian's: postgresql, redis-server and nginx, installed by .ci/run. Without them
the tests skip and say what to install, unless STUDIO_REQUIRE_CLUSTER=1 (CI), where that is a failure.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from deploy.cluster import Cluster, ClusterConfig, Ports
from tests.support.app_fixtures import ARTIFACTS

REQUIRE = 'STUDIO_REQUIRE_CLUSTER'
LATENCY = '3'  # seconds per cover: long enough to see it generating, short enough for the suite's budget
# Small on purpose, so the server-wide cap is reached by a test with a handful of people.
MAX_COVERS_TOTAL = 3


def missing_engines() -> list[str]:
    missing = [name for name, binary in (('nginx', 'nginx'), ('redis-server', 'redis-server'))
               if not (shutil.which(binary) or Path(f'/usr/sbin/{binary}').exists()
                       or Path(f'/usr/bin/{binary}').exists())]
    if not list(Path('/usr/lib/postgresql').glob('*/bin/initdb')) and not shutil.which('initdb'):
        missing.append('postgresql')
    return missing


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    here = Path(__file__).parent
    for item in items:
        if here in Path(str(item.path)).parents:
            item.add_marker(pytest.mark.cluster)


@pytest.fixture(scope='session')
def cluster() -> Iterator[Cluster]:
    missing = missing_engines()
    if missing:
        reason = f'{", ".join(missing)} not installed; on Debian: sudo apt-get install -y {" ".join(missing)}'
        if os.environ.get(REQUIRE, '').strip() == '1':
            pytest.fail(f'{reason} ({REQUIRE}=1: the cluster tests must run here)', pytrace=False)
        pytest.skip(reason)
    # Not under pytest's tmp_path (0700): PostgreSQL runs as `postgres` when the tests run as root.
    root = Path(tempfile.mkdtemp(prefix='studio-cluster-'))
    root.chmod(0o711)
    config = ClusterConfig(root=root, ports=Ports.free(2), sandbox_latency=LATENCY, durable=False,
                           instance_env={'STUDIO_MAX_COVERS_TOTAL': str(MAX_COVERS_TOTAL),
                                         'STUDIO_MAX_COVERS_PER_USER': '2'})
    running = Cluster(config)
    running.start()
    try:
        yield running
    finally:
        running.stop()
        # The logs are the evidence when something failed; everything else goes.
        kept = ARTIFACTS / 'cluster' / 'logs'
        shutil.rmtree(kept, ignore_errors=True)
        kept.parent.mkdir(parents=True, exist_ok=True)
        shutil.copytree(running.logs, kept, dirs_exist_ok=True)
        for extra in (running.nginx.access_log, running.nginx.error_log, running.postgres.log_path):
            if extra.exists():
                shutil.copy(extra, kept / extra.name)
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture
def healthy(cluster: Cluster) -> Iterator[Cluster]:
    """The cluster as it was, after a test that killed, stopped or cut something: the database up, every instance
    running (one still draining is let finish first) and getting its share of browsers from nginx again."""
    yield cluster
    if not cluster.postgres.is_running():
        cluster.postgres.start()
    for instance in cluster.instances:
        if instance.terminated:
            instance.stop()  # waits for the drain to end
        if not instance.running:
            instance.start()
    cluster.wait_balanced()
