"""Run a sandbox on a free loopback port in a background thread, for tests that need the real thing."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import httpx
import uvicorn

from sandbox.app import SandboxController, create_sandbox_app
from sandbox.config import SandboxConfig
from services.platform.client import Credentials


@dataclass
class RunningSandbox:
    base_url: str
    credentials: Credentials
    controller: SandboxController


@contextmanager
def run_asgi_server(app: Any, *, startup_timeout: float = 10.0) -> Iterator[str]:
    """Serve `app` with uvicorn on 127.0.0.1:<free port>; yields the base URL once it accepts connections."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(('127.0.0.1', 0))
    port = sock.getsockname()[1]
    # A short graceful-shutdown bound: a test may leave a stalled request behind on purpose.
    config = uvicorn.Config(app, log_level='warning', lifespan='off', timeout_graceful_shutdown=1)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={'sockets': [sock]}, daemon=True, name=f'sandbox-{port}')
    thread.start()
    deadline = time.monotonic() + startup_timeout
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            server.should_exit = True
            raise RuntimeError('the sandbox server did not start')
        time.sleep(0.01)
    try:
        yield f'http://127.0.0.1:{port}'
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()


@contextmanager
def run_sandbox_server(config: SandboxConfig) -> Iterator[str]:
    """A sandbox for `config` on a free loopback port; yields its base URL after it answered once."""
    app = create_sandbox_app(config)
    try:
        with run_asgi_server(app) as base_url:
            httpx.get(base_url + '/', timeout=5).raise_for_status()
            yield base_url
    finally:
        app.state.sandbox.close()


@contextmanager
def running_sandbox(config: SandboxConfig, *, user_id: str = 'tester') -> Iterator[RunningSandbox]:
    """Like run_sandbox_server, with the first configured key's credentials and the controller."""
    app = create_sandbox_app(config)
    key, secret = next(iter(config.keys.items()))
    try:
        with run_asgi_server(app) as base_url:
            httpx.get(base_url + '/', timeout=5).raise_for_status()
            yield RunningSandbox(base_url, Credentials(key, secret, user_id), app.state.sandbox)
    finally:
        app.state.sandbox.close()
