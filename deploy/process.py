"""One process the local deployment runs (PostgreSQL aside, which pg_ctl runs): started in its own process group
with its output in a log file, stopped with SIGTERM as a supervisor would, or killed as a crash would."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import time
from collections.abc import Mapping, Sequence
from pathlib import Path

import httpx

LOOPBACK = '127.0.0.1'


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((LOOPBACK, 0))
        return int(sock.getsockname()[1])


def port_is_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((LOOPBACK, port))
        except OSError:
            return False
        return True


class Managed:
    """A child process with a name, a log file and the three ways it can end."""

    def __init__(self, name: str, log_dir: Path) -> None:
        self.name = name
        self.log_path = log_dir / f'{name}.log'
        self.process: subprocess.Popen[bytes] | None = None
        self.starts = 0
        self.terminated = False  # SIGTERM sent to the current process (it may still be draining)

    def spawn(self, argv: Sequence[str], *, env: Mapping[str, str] | None = None, cwd: Path | None = None) -> None:
        if self.running:
            raise RuntimeError(f'{self.name} is already running')
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        self.starts += 1
        self.terminated = False
        with self.log_path.open('ab') as log:
            log.write(f'\n===== start #{self.starts}: {" ".join(argv[:3])} ... =====\n'.encode())
            log.flush()
            # Its own session: stop() and kill() reach the process and its children, and nothing else; and a
            # Ctrl-C in the launcher's terminal is the launcher's to handle (it stops everything in order).
            self.process = subprocess.Popen(list(argv), env=dict(env) if env is not None else None, cwd=cwd,
                                            stdout=log, stderr=subprocess.STDOUT, start_new_session=True)

    @property
    def pid(self) -> int | None:
        return self.process.pid if self.process is not None else None

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    @property
    def exit_code(self) -> int | None:
        return None if self.process is None else self.process.poll()

    def _signal(self, sig: signal.Signals) -> None:
        if self.process is not None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, sig)

    def send_hangup(self) -> None:
        self._signal(signal.SIGHUP)

    def terminate(self) -> None:
        """SIGTERM and return at once (the caller watches what happens meanwhile, e.g. a drain)."""
        self.terminated = True
        self._signal(signal.SIGTERM)

    def wait(self, timeout: float) -> int | None:
        if self.process is None:
            return None
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(timeout)
        return self.exit_code

    def stop(self, timeout: float = 40.0) -> int | None:
        """Graceful stop (SIGTERM); SIGKILL when it has not ended within `timeout` seconds. One already sent SIGTERM
        is only waited for: a second SIGTERM tells a draining instance to stop at once."""
        if not self.running:
            return self.exit_code
        if not self.terminated:
            self.terminate()
        if self.wait(timeout) is None:
            self.kill()
        return self.exit_code

    def kill(self) -> None:
        """A crash or a power cut: nothing of the process runs after this."""
        if self.process is None:
            return
        if self.process.poll() is None:
            self._signal(signal.SIGKILL)
        self.process.wait(10)

    def log_text(self) -> str:
        return self.log_path.read_text(errors='replace') if self.log_path.exists() else ''

    def log_tail(self, lines: int = 40) -> str:
        return '\n'.join(self.log_text().splitlines()[-lines:])


def wait_for_http(url: str, process: Managed | None, timeout: float, *, ok: tuple[int, ...] = ()) -> httpx.Response:
    """Poll `url` until it answers (with one of `ok`, when given); fail early if `process` exits meanwhile."""
    deadline = time.monotonic() + timeout
    last = 'no answer'
    while True:
        if process is not None and process.process is not None and not process.running:
            raise RuntimeError(f'{process.name} exited (code {process.exit_code}) while starting:\n'
                               f'{process.log_tail()}')
        try:
            response = httpx.get(url, timeout=2.0, follow_redirects=False)
            if not ok or response.status_code in ok:
                return response
            last = f'HTTP {response.status_code}'
        except httpx.HTTPError as error:
            last = f'{type(error).__name__}'
        if time.monotonic() >= deadline:
            tail = f':\n{process.log_tail()}' if process is not None else ''
            raise TimeoutError(f'{url} did not answer within {timeout:g} s ({last}){tail}')
        time.sleep(0.2)
