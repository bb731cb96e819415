"""The whole deployment on one machine: PostgreSQL, Redis, one standalone sandbox, N studio instances and nginx.

What `make cluster` runs for a person to try, and what tests/cluster and bench/fig9-10 run to measure it: the same
processes an operator runs on several machines (docs/deploy.md), here all on loopback. Started in dependency order,
stopped in reverse; every log lands in <root>/logs/.
"""

from __future__ import annotations

import json
import os
import secrets
import time
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from deploy.nginx import NginxConfig, NginxProcess
from deploy.postgres import LocalPostgres
from deploy.process import LOOPBACK, free_port
from deploy.servers import Instance, RedisServer, SandboxServer


@dataclass(frozen=True)
class Ports:
    nginx: int = 8090
    instances: tuple[int, ...] = (8091, 8092)
    sandbox: int = 8601
    redis: int = 6390
    postgres: int = 5442

    @classmethod
    def free(cls, instances: int) -> Ports:
        """Ports nobody uses right now, for tests and benchmarks that run beside a person's own cluster."""
        return cls(nginx=free_port(), instances=tuple(free_port() for _ in range(instances)),
                   sandbox=free_port(), redis=free_port(), postgres=free_port())

    @classmethod
    def defaults(cls, instances: int, base: int = 8090) -> Ports:
        return cls(nginx=base, instances=tuple(base + 1 + i for i in range(instances)))


@dataclass
class ClusterConfig:
    root: Path
    ports: Ports = field(default_factory=Ports)
    sandbox_latency: str = '5-12'
    max_upload_mb: float = 10.0
    instance_env: Mapping[str, str] = field(default_factory=dict)  # extra STUDIO_* settings for every instance
    redis: bool = True  # NiceGUI's app.storage in Redis (without it, the instances share no browser storage)
    durable: bool = True  # fsync in PostgreSQL; tests turn it off
    debug_header: bool = True  # X-Studio-Upstream names the instance that served each answer
    nginx_workers: str = '1'
    instance_argv: tuple[str, ...] = ('main.py',)


def _load_secrets(path: Path) -> dict[str, str]:
    """The deployment's shared secrets, made once and kept 0600 so a restart keeps sessions and agents."""
    if path.exists():
        return dict(json.loads(path.read_text()))
    values = {
        # Every instance must sign the browser-id cookie with the same secret, or a browser moving to another
        # instance is a stranger there.
        'storage_secret': secrets.token_urlsafe(48),
        'sandbox_key': f'sbx_cluster_{secrets.token_hex(6)}',
        'sandbox_secret': secrets.token_urlsafe(32),
        'redis_password': secrets.token_hex(16),
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, 'w') as handle:
        json.dump(values, handle)
    return values


class Cluster:
    def __init__(self, config: ClusterConfig) -> None:
        self.config = config
        root = config.root
        self.logs = root / 'logs'
        self.secrets = _load_secrets(root / 'secrets.json')
        self.postgres = LocalPostgres(root / 'postgres', config.ports.postgres, durable=config.durable)
        self.redis = RedisServer(root / 'redis', config.ports.redis, self.secrets['redis_password'], self.logs)
        self.sandbox = SandboxServer(root / 'sandbox', config.ports.sandbox, self.secrets['sandbox_key'],
                                     self.secrets['sandbox_secret'], self.logs, latency=config.sandbox_latency,
                                     max_upload_mb=config.max_upload_mb)
        self.instances = [Instance(i, port, root / f'instance-{i}', {}, self.logs, argv=config.instance_argv)
                          for i, port in enumerate(config.ports.instances)]
        self.nginx = NginxProcess(NginxConfig(
            instances=tuple(instance.address for instance in self.instances),
            listen=f'{LOOPBACK}:{config.ports.nginx}', prefix=root / 'nginx', max_upload_mb=config.max_upload_mb,
            sandbox=f'{LOOPBACK}:{config.ports.sandbox}', foreground=True, debug_header=config.debug_header,
            worker_processes=config.nginx_workers,
            # As root, nginx's workers would otherwise run as `nobody`; the temp directories are made for them.
            user='nobody nogroup' if os.geteuid() == 0 else None,
        ), self.logs)
        self._started = False

    @property
    def url(self) -> str:
        """Where a person (or a test's simulated browser) goes: nginx."""
        return f'http://{LOOPBACK}:{self.config.ports.nginx}'

    def instance_env(self) -> dict[str, str]:
        env = {
            'STUDIO_DATABASE_URL': self.postgres.url(),
            'STUDIO_STORAGE_SECRET': self.secrets['storage_secret'],
            'STUDIO_DEMO_SANDBOX_URL': self.sandbox.base_url,
            'STUDIO_DEMO_SANDBOX_KEY': self.secrets['sandbox_key'],
            'STUDIO_DEMO_SANDBOX_SECRET': self.secrets['sandbox_secret'],
            'STUDIO_MAX_UPLOAD_MB': f'{self.config.max_upload_mb:g}',
            **({'NICEGUI_REDIS_URL': self.redis.url} if self.config.redis else {}),
        }
        env.update(self.config.instance_env)
        return env

    def start(self) -> None:
        self.logs.mkdir(parents=True, exist_ok=True)
        try:
            self.postgres.init()
            self.postgres.start()
            if self.config.redis:
                self.redis.start()
            self.sandbox.start()
            env = self.instance_env()
            for instance in self.instances:
                instance.env = {**env, **instance.env}  # what a caller set for one instance wins
            # The first instance migrates the schema alone, the others start together once it is ready.
            self.instances[0].start()
            with ThreadPoolExecutor(max_workers=max(1, len(self.instances) - 1)) as pool:
                list(pool.map(lambda instance: instance.start(), self.instances[1:]))
            self.nginx.start()
        except BaseException:
            self.stop()
            raise
        self._started = True

    def stop(self) -> None:
        """Reverse order: nginx stops taking browsers, instances drain, then what they depended on."""
        self.nginx.stop(10)
        with ThreadPoolExecutor(max_workers=max(1, len(self.instances))) as pool:
            list(pool.map(lambda instance: instance.stop(), self.instances))
        self.sandbox.stop(10)
        self.redis.stop(10)
        self.postgres.stop()
        self._started = False

    def instance_at(self, address: str) -> Instance:
        """The instance behind an `X-Studio-Upstream` value ('127.0.0.1:8091'); when nginx tried several
        ('127.0.0.1:8091, 127.0.0.1:8092'), the last one, which answered."""
        answered = address.split(',')[-1].strip()
        for instance in self.instances:
            if instance.address == answered:
                return instance
        raise LookupError(f'no instance at {address!r}')

    def wait_balanced(self, timeout: float = 30.0) -> None:
        """Return once nginx sends browsers to every instance again (after one was down, nginx skips it for
        fail_timeout); fresh route cookies each try, as new browsers would bring."""
        deadline = time.monotonic() + timeout
        seen: set[str] = set()
        with httpx.Client(base_url=self.url, timeout=5) as client:
            while True:
                route = secrets.token_hex(16)
                answer = client.get('/favicon.ico', cookies={self.nginx.config.cookie: route})
                if upstream := answer.headers.get('x-studio-upstream'):
                    seen.add(self.instance_at(upstream).address)
                if seen >= {instance.address for instance in self.instances}:
                    return
                if time.monotonic() >= deadline:
                    raise TimeoutError(f'nginx sent no browser to {sorted({i.address for i in self.instances} - seen)} '
                                       f'within {timeout:g} s')
                time.sleep(0.2)

    def other_than(self, instance: Instance) -> Instance:
        return next(other for other in self.instances if other is not instance)

    def describe(self) -> str:
        lines = [f'Agent Studio cluster: open {self.url} (nginx, sticky by the {self.nginx.config.cookie} cookie)']
        lines += [f'  {instance.name}: {instance.base_url} (data {instance.data_dir})' for instance in self.instances]
        lines += [f'  sandbox: {self.sandbox.base_url} (latency {self.config.sandbox_latency} s)',
                  f'  PostgreSQL: 127.0.0.1:{self.config.ports.postgres} (data {self.postgres.data_dir})',
                  f'  Redis: 127.0.0.1:{self.config.ports.redis}' if self.config.redis else '  Redis: off',
                  f'  logs: {self.logs}']
        return '\n'.join(lines)

    def __enter__(self) -> Cluster:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
