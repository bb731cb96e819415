"""Redis, the standalone sandbox and the studio instances of the local deployment, each a `Managed` process."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from collections.abc import Mapping
from pathlib import Path

import httpx

from deploy.process import LOOPBACK, Managed, wait_for_http
from sandbox.routes.guard import CONTROL_HEADERS

ROOT = Path(__file__).resolve().parent.parent
# What the developer's shell exports for the studio must not leak into a deployment's instances: each is told
# exactly what it runs with (PYTEST_CURRENT_TEST would make NiceGUI think it runs inside its own test harness).
_OWN_PREFIXES = ('PLATFORM_', 'STUDIO_', 'SANDBOX_', 'NICEGUI_', 'PYTEST_')


def clean_env(extra: Mapping[str, str]) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(_OWN_PREFIXES)}
    env['PYTHONUNBUFFERED'] = '1'  # logs current when someone (or a test) reads them
    env.update(extra)
    return env


class RedisServer(Managed):
    """redis-server on loopback, nothing written to disk (app.storage holds session ids, which are re-made by
    signing in again; the sessions themselves are in PostgreSQL), a password from its config file, not argv."""

    def __init__(self, root: Path, port: int, password: str, log_dir: Path) -> None:
        super().__init__('redis', log_dir)
        self.root, self.port, self.password = root, port, password

    @property
    def url(self) -> str:
        return f'redis://:{self.password}@{LOOPBACK}:{self.port}/0'

    def start(self, timeout: float = 20.0) -> None:
        binary = shutil.which('redis-server') or '/usr/bin/redis-server'
        if not Path(binary).exists():
            raise FileNotFoundError('redis-server is not installed; on Debian: sudo apt-get install -y redis-server')
        self.root.mkdir(parents=True, exist_ok=True)
        conf = self.root / 'redis.conf'
        fd = os.open(conf, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, 'w') as handle:
            handle.write('\n'.join([
                f'port {self.port}', f'bind {LOOPBACK}', 'protected-mode yes', 'daemonize no', "save ''",
                'appendonly no', f'dir {self.root}', f'requirepass {self.password}',
                # NiceGUI's advice: close idle connections (each user storage holds one); pub/sub ones are exempt.
                'timeout 60', 'maxclients 10000', '',
            ]))
        self.spawn([binary, str(conf)])
        self.wait_ready(timeout)

    def wait_ready(self, timeout: float) -> None:
        import redis

        deadline = time.monotonic() + timeout
        while True:
            if not self.running:
                raise RuntimeError(f'redis-server exited (code {self.exit_code}):\n{self.log_tail()}')
            client = redis.Redis.from_url(self.url, socket_connect_timeout=1)
            try:
                if client.ping():
                    return
            except redis.RedisError:
                if time.monotonic() >= deadline:
                    raise
                time.sleep(0.2)
            finally:
                client.close()


class SandboxServer(Managed):
    """`python -m sandbox`: the one platform stand-in every instance's demo talks to."""

    def __init__(self, data_dir: Path, port: int, key: str, secret: str, log_dir: Path, *,
                 latency: str = '5-12', max_upload_mb: float = 10.0) -> None:
        super().__init__('sandbox', log_dir)
        self.data_dir, self.port, self.key, self.secret = data_dir, port, key, secret
        self.latency, self.max_upload_mb = latency, max_upload_mb

    @property
    def base_url(self) -> str:
        return f'http://{LOOPBACK}:{self.port}'

    def start(self, timeout: float = 60.0) -> None:
        # The key goes in argv because that is the sandbox's interface; on a shared host, use a machine of its own.
        self.spawn([sys.executable, '-m', 'sandbox', '--host', LOOPBACK, '--port', str(self.port),
                    '--data-dir', str(self.data_dir), '--latency', self.latency, '--key', f'{self.key}:{self.secret}',
                    '--max-upload-mb', f'{self.max_upload_mb:g}', '--public-url', '/sandbox'],
                   env=clean_env({}), cwd=ROOT)
        # Any answer from /v1/... (an unsigned request is refused with 401) means it is up and routing.
        wait_for_http(self.base_url + '/v1/config/options', self, timeout)

    def set_latency(self, latency: str) -> None:
        self._control('/_sandbox/latency', {'latency': latency})

    def set_fault(self, endpoint: str, kind: str, times: int | None = None) -> None:
        self._control('/_sandbox/faults', {'endpoint': endpoint, 'kind': kind, **({'times': times} if times else {})})

    def _control(self, path: str, body: dict[str, object]) -> None:
        # The sandbox takes control requests from programs on this machine only, which say so with this header.
        httpx.post(self.base_url + path, json=body, headers=CONTROL_HEADERS, timeout=5).raise_for_status()


class Instance(Managed):
    """One `python main.py` of the deployment, on its own port and data directory (as if on its own machine)."""

    def __init__(self, index: int, port: int, data_dir: Path, env: Mapping[str, str], log_dir: Path, *,
                 argv: tuple[str, ...] = ('main.py',)) -> None:
        super().__init__(f'instance-{index}', log_dir)
        self.index, self.port, self.data_dir = index, port, data_dir
        self.env = dict(env)
        self.argv = argv  # what python runs: main.py, or a benchmark's instrumented wrapper of it

    @property
    def address(self) -> str:
        return f'{LOOPBACK}:{self.port}'

    @property
    def base_url(self) -> str:
        return f'http://{self.address}'

    def url(self, path: str = '/') -> str:
        return self.base_url + path

    def full_env(self) -> dict[str, str]:
        return clean_env({
            'STUDIO_HOST': LOOPBACK,
            'STUDIO_PORT': str(self.port),
            'STUDIO_DATA_DIR': str(self.data_dir),
            # NiceGUI's file storage (used only without Redis) must never be shared by two instances.
            'NICEGUI_STORAGE_PATH': str(self.data_dir / '.nicegui'),
            **self.env,
        })

    def spawn_app(self) -> None:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.spawn([sys.executable, *self.argv], env=self.full_env(), cwd=ROOT)

    def start(self, timeout: float = 60.0) -> None:
        self.spawn_app()
        self.wait_ready(timeout)

    def wait_ready(self, timeout: float = 60.0) -> None:
        """Ready when /readyz says so; an app without /readyz is ready once its sign-in page answers."""
        deadline = time.monotonic() + timeout
        response = wait_for_http(self.url('/readyz'), self, timeout)
        while response.status_code == 503 and time.monotonic() < deadline:
            time.sleep(0.2)
            response = wait_for_http(self.url('/readyz'), self, max(1.0, deadline - time.monotonic()))
        if response.status_code == 200:
            return
        if response.status_code == 503:
            raise TimeoutError(f'{self.name} was not ready within {timeout:g} s: {response.text[:300]}')
        wait_for_http(self.url('/login'), self, max(1.0, deadline - time.monotonic()), ok=(200,))

    def run_cli(self, *argv: str, stdin: str = '') -> str:
        """`python main.py ARGV...` with this instance's configuration (e.g. `users add NAME --password-stdin`)."""
        result = subprocess.run([sys.executable, 'main.py', *argv], cwd=ROOT, env=self.full_env(), input=stdin,
                                capture_output=True, text=True, timeout=120, check=False)
        if result.returncode != 0:
            raise RuntimeError(f'main.py {" ".join(argv[:2])} failed ({result.returncode}): '
                               f'{result.stderr or result.stdout}')
        return result.stdout
