"""NiceGUI's Redis storage (NICEGUI_REDIS_URL), checked once at start-up.

NiceGUI keeps `app.storage.user` (the browser's session id, here) in Redis when NICEGUI_REDIS_URL is set, so every
instance behind the proxy sees the same one. When Redis does not answer, NiceGUI only logs a warning and carries on
with an empty storage: every person would look signed out, on every instance, with nothing telling the operator
why. So an instance does not start until Redis answers, and says which address it tried (never the password).
"""

from __future__ import annotations

import time
from urllib.parse import urlsplit

from services.core.secret import Secret
from services.core.settings import SettingsError


def redacted(url: str) -> str:
    """The address without any user name or password, for messages and logs."""
    parts = urlsplit(url)
    if parts.scheme == 'unix':
        return f'unix://{parts.path}'
    host = parts.hostname or '?'
    host = f'[{host}]' if ':' in host else host
    return f'{parts.scheme}://{host}{f":{parts.port}" if parts.port else ""}{parts.path}'


def wait_for_redis(url: Secret, *, timeout: float = 15.0) -> None:
    """Return once Redis at `url` answers PING; raise SettingsError after `timeout` seconds of trying.

    A few seconds of patience, because a deployment may start Redis and the instances at the same moment."""
    import redis  # only needed when NICEGUI_REDIS_URL is set

    deadline = time.monotonic() + timeout
    last_error = ''
    while True:
        client = redis.Redis.from_url(url.get(), socket_connect_timeout=2, socket_timeout=2)
        try:
            if client.ping():
                return
        except redis.RedisError as error:
            # redis-py's messages name the host and port, never the password.
            last_error = f'{type(error).__name__}: {error}'
        finally:
            client.close()
        if time.monotonic() >= deadline:
            raise SettingsError(f'NICEGUI_REDIS_URL: Redis at {redacted(url.get())} does not answer after '
                                f'{timeout:g} s ({last_error}); start it, or unset NICEGUI_REDIS_URL to keep '
                                f"NiceGUI's storage in files (one instance only)")
        time.sleep(0.5)
