"""The real app as a subprocess: `python main.py` on a free loopback port and a data directory of the test's.

Browser, restart and upstream-down tests need the app exactly as an operator runs it — its own process, its own
event loop, its own embedded sandbox — and they need to stop it (gracefully or by killing it) and start it again
on the same data directory and port, which an in-process server cannot do honestly.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from pathlib import Path

import httpx

from sandbox.routes.guard import CONTROL_HEADERS

ROOT = Path(__file__).resolve().parents[2]

# Anything the developer's shell exports for the app must not leak into a test's app: each test says what it runs.
# PYTEST_CURRENT_TEST would make NiceGUI think it runs inside its own test harness and ignore STUDIO_PORT.
_OWN_PREFIXES = ('PLATFORM_', 'STUDIO_', 'SANDBOX_', 'NICEGUI_', 'PYTEST_')
_KEEP = {'STUDIO_REQUIRE_BROWSER'}

# Lines in the app's log that mean something went wrong (a test asserts there are none unless it expects them).
ERROR_LINE = re.compile(r'^\S+ \S+ (ERROR|CRITICAL) |^Traceback \(most recent call last\)', re.MULTILINE)


_RECORD_START = re.compile(r'^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d')


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(('127.0.0.1', 0))
        return int(sock.getsockname()[1])


def clean_env(extra: Mapping[str, str]) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(_OWN_PREFIXES) or k in _KEEP}
    env['PYTHONUNBUFFERED'] = '1'  # the log file must be current when a test reads it
    env.update(extra)
    return env


class AppProcess:
    """One `python main.py` process; `restart()` brings it back on the same port and data directory."""

    def __init__(self, data_dir: Path, *, env: Mapping[str, str] | None = None, port: int | None = None,
                 log_path: Path | None = None, argv: tuple[str, ...] = ('main.py',)) -> None:
        self.data_dir = Path(data_dir)
        self.port = port or free_port()
        self.extra_env = dict(env or {})
        self.log_path = log_path or self.data_dir.parent / f'app-{self.port}.log'
        self.argv = argv
        self.process: subprocess.Popen[bytes] | None = None
        self.starts = 0

    @property
    def base_url(self) -> str:
        return f'http://127.0.0.1:{self.port}'

    def url(self, path: str = '/') -> str:
        return self.base_url + path

    @property
    def env(self) -> dict[str, str]:
        return clean_env({
            'STUDIO_HOST': '127.0.0.1',
            'STUDIO_PORT': str(self.port),
            'STUDIO_DATA_DIR': str(self.data_dir),
            **self.extra_env,
        })

    def start(self, timeout: float = 40.0) -> None:
        if self.running:
            raise RuntimeError('the app is already running')
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.starts += 1
        with self.log_path.open('ab') as log:
            log.write(f'\n===== start #{self.starts} =====\n'.encode())
            log.flush()
            self.process = subprocess.Popen(
                [sys.executable, *self.argv], cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT,
                start_new_session=True,  # so stop() can end the app and anything it spawned, and nothing else
            )
        self._wait_ready(timeout)

    def _wait_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process is None or self.process.poll() is not None:
                raise RuntimeError(f'the app exited during start-up (code {self.exit_code}):\n{self.log_tail()}')
            try:
                # Any HTTP answer (a redirect to sign-in included) means the server is up and routing.
                httpx.get(self.url('/'), timeout=2.0, follow_redirects=False)
                return
            except httpx.HTTPError:
                time.sleep(0.2)
        self.kill()
        raise RuntimeError(f'the app did not answer within {timeout:g}s:\n{self.log_tail()}')

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    @property
    def exit_code(self) -> int | None:
        return None if self.process is None else self.process.poll()

    def stop(self, timeout: float = 15.0) -> int | None:
        """Graceful stop (SIGTERM, as systemd or Docker would); SIGKILL when it does not finish in time."""
        if not self.running:
            return self.exit_code
        assert self.process is not None
        self._signal(signal.SIGTERM)
        try:
            self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.kill()
        return self.exit_code

    def kill(self) -> None:
        """A crash or power cut: no shutdown hooks run."""
        if self.process is None:
            return
        if self.process.poll() is None:
            self._signal(signal.SIGKILL)
        self.process.wait(10)

    def _signal(self, sig: signal.Signals) -> None:
        assert self.process is not None
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, sig)

    def restart(self, *, graceful: bool = True, timeout: float = 40.0) -> None:
        self.stop() if graceful else self.kill()
        self._wait_port_free()
        self.start(timeout)

    def _wait_port_free(self, timeout: float = 10.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                try:
                    sock.bind(('127.0.0.1', self.port))
                    return
                except OSError:
                    time.sleep(0.2)
        raise RuntimeError(f'port {self.port} is still taken after the app stopped')

    def log_text(self) -> str:
        return self.log_path.read_text(errors='replace') if self.log_path.exists() else ''

    def log_tail(self, lines: int = 60) -> str:
        return '\n'.join(self.log_text().splitlines()[-lines:])

    def error_lines(self) -> list[str]:
        text = self.log_text()
        return [text[m.start():text.find('\n', m.start())] for m in ERROR_LINE.finditer(text)]

    def unexpected_errors(self, *, allow: tuple[str, ...] = ('sandbox fault injection',)) -> list[str]:
        """ERROR records and tracebacks in the log, except those that mention an `allow` phrase (faults a test
        injected on purpose, which the sandbox itself reports when it cuts a connection)."""
        records: list[str] = []
        for line in self.log_text().splitlines():
            if _RECORD_START.match(line) or line.startswith('====='):
                records.append(line)
            elif records:
                records[-1] += '\n' + line
            else:
                records.append(line)
        return [record for record in records
                if ERROR_LINE.search(record) and not any(phrase in record for phrase in allow)]

    def wait_for_log(self, pattern: str | re.Pattern[str], timeout: float = 20.0) -> re.Match[str]:
        regex = re.compile(pattern) if isinstance(pattern, str) else pattern
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if match := regex.search(self.log_text()):
                return match
            time.sleep(0.1)
        raise AssertionError(f'{regex.pattern!r} did not appear in the app log within {timeout:g}s:\n'
                             f'{self.log_tail()}')

    # ----- the embedded sandbox's controls (loopback only, enabled by SANDBOX_FAULT_CONTROL=1) -----

    @property
    def sandbox_url(self) -> str:
        return self.url('/sandbox')

    def set_fault(self, endpoint: str, kind: str, times: int | None = None) -> None:
        """Make the sandbox fail `endpoint` ('options', 'face_detect', 'cover', 'create', ...) with `kind`."""
        set_fault(self.sandbox_url, endpoint, kind, times)

    def clear_faults(self) -> None:
        clear_faults(self.sandbox_url)

    def set_latency(self, latency: str) -> None:
        response = httpx.post(self.sandbox_url + '/_sandbox/latency', json={'latency': latency}, timeout=5,
                              headers=CONTROL_HEADERS)
        response.raise_for_status()

    def demo_credentials(self) -> tuple[str, str]:
        """The embedded sandbox's demo key and secret, which must never reach a browser."""
        stored = json.loads((self.data_dir / 'sandbox' / 'demo-credentials.json').read_text())
        return str(stored['apiKey']), str(stored['apiSecret'])

    def add_user(self, name: str, password: str, *, admin: bool = False) -> None:
        """`python main.py users add NAME --password-stdin` on this app's data directory."""
        argv = [sys.executable, 'main.py', 'users', 'add', name, '--password-stdin', *(['--admin'] if admin else [])]
        result = subprocess.run(argv, cwd=ROOT, env=self.env, input=password + '\n', capture_output=True,
                                text=True, timeout=60, check=False)
        if result.returncode != 0:
            raise RuntimeError(f'users add failed ({result.returncode}): {result.stderr or result.stdout}')

    def __enter__(self) -> AppProcess:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


@contextlib.contextmanager
def running_app(data_dir: Path, **kwargs: object) -> Iterator[AppProcess]:
    app = AppProcess(data_dir, **kwargs)  # type: ignore[arg-type]
    app.start()
    try:
        yield app
    finally:
        app.stop()


def set_fault(sandbox_url: str, endpoint: str, kind: str, times: int | None = None) -> None:
    body: dict[str, object] = {'endpoint': endpoint, 'kind': kind}
    if times is not None:
        body['times'] = times
    response = httpx.post(sandbox_url.rstrip('/') + '/_sandbox/faults', json=body, timeout=5, headers=CONTROL_HEADERS)
    if response.status_code != 200:
        raise RuntimeError(f'the sandbox refused the fault {body}: {response.status_code} {response.text}')


def clear_faults(sandbox_url: str) -> None:
    httpx.delete(sandbox_url.rstrip('/') + '/_sandbox/faults', timeout=5, headers=CONTROL_HEADERS).raise_for_status()


class SandboxProcess(AppProcess):
    """`python -m sandbox` on its own port: an upstream a test can take down and bring back."""

    def __init__(self, data_dir: Path, *, key: str, secret: str, latency: str = '0', port: int | None = None,
                 log_path: Path | None = None) -> None:
        port = port or free_port()
        super().__init__(data_dir, port=port, log_path=log_path or Path(data_dir).parent / f'sandbox-{port}.log',
                         argv=('-m', 'sandbox', '--port', str(port), '--data-dir', str(data_dir),
                               '--latency', latency, '--key', f'{key}:{secret}'))
        self.key, self.secret = key, secret

    @property
    def sandbox_url(self) -> str:
        return self.base_url
