"""Configuration from environment variables, validated once at start-up.

Every setting has a documented default (see README, "Configuration"). A bad value stops the app with a
message that names the variable and says what it accepts, instead of failing later mid-request.
"""

from __future__ import annotations

import math
import os
import re
import socket
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from urllib.parse import urlsplit

from services.core.budget_settings import BudgetSettings, load_budget_settings
from services.core.chat_settings import ChatSettings, load_chat_settings
from services.core.config_values import SettingsError, parse_latency
from services.core.db.url import DatabaseUrlError, database_url
from services.core.secret import Secret

# SettingsError and parse_latency live in services/core/config_values.py; importable from here as before.
__all__ = ['EndpointPaths', 'Settings', 'SettingsError', 'get_settings', 'load_settings', 'parse_key_pairs',
           'parse_latency']


@dataclass(frozen=True)
class EndpointPaths:
    """Platform paths. The two image endpoints are assumptions in the contract, hence overridable."""

    options: str = '/v1/config/options'
    ref_image: str = '/v1/agent/ref-image'
    face_detect: str = '/v1/agent/face-detect'
    cover: str = '/v1/agent/cover'
    create: str = '/v1/agent/create'
    list: str = '/v1/agent/list'


@dataclass(frozen=True)
class Settings:
    # Upstream. An empty base URL means "use the embedded sandbox at /sandbox".
    base_url: str = ''
    api_key: str = ''
    api_secret: Secret = field(default_factory=lambda: Secret(''))
    user_id: str = 'studio-user'
    paths: EndpointPaths = field(default_factory=EndpointPaths)
    timeout: float = 30.0
    slow_timeout: float = 360.0
    connect_timeout: float = 10.0

    # The app itself.
    host: str = '0.0.0.0'
    port: int = 8080
    data_dir: Path = Path('data')
    # Where everything the app keeps lives: SQLite in the data directory unless STUDIO_DATABASE_URL says otherwise.
    database_url: str = ''
    # STUDIO_DATABASE_URL was set: the database may be shared by several instances, so nothing that must be the same
    # on all of them may be generated per instance (see services/core/shared_config.py).
    database_configured: bool = False
    # Names this process among the instances sharing the database (which instance runs which job). Stable across
    # restarts (host:port by default), so a restarted instance knows the jobs it was running are gone.
    instance_id: str = ''
    # On SIGTERM: how long running generations may take to finish before the process exits anyway.
    drain_seconds: float = 360.0
    storage_secret: Secret = field(default_factory=lambda: Secret(''))
    auth_modes: tuple[str, ...] = ()
    max_covers_per_user: int = 2
    max_covers_total: int = 50
    max_upload_bytes: int = 10 * 1024 * 1024
    options_cache_seconds: float = 300.0
    preview_url_seconds: int = 3600
    # A demo visitor's work (draft, photo, covers, agents, conversations) is deleted when they sign out or after
    # this many seconds without activity: a demo identity cannot be entered again, so nothing of it is of use.
    demo_idle_seconds: float = 7200.0
    # Operators (issue 16): request-log retention (rows 0 = no log), who may read /metrics, the log line format.
    request_log_days: float = 7.0
    request_log_rows: int = 50_000
    metrics_token: Secret = field(default_factory=lambda: Secret(''))
    log_format: str = 'text'

    # A standalone sandbox (`python -m sandbox`) to run on instead of mounting one in this process: several
    # instances behind one address must share one sandbox, or a cover made on one is unknown to the next.
    demo_sandbox_url: str = ''
    demo_sandbox_key: str = ''
    demo_sandbox_secret: Secret = field(default_factory=lambda: Secret(''))
    # NiceGUI's own setting (it reads NICEGUI_REDIS_URL itself, at import): app.storage in Redis, shared by every
    # instance. Kept here so a malformed value stops start-up like any other, and in a Secret (it may hold a password).
    redis_url: Secret = field(default_factory=lambda: Secret(''))

    # The embedded sandbox.
    sandbox_latency: str = '5-12'
    sandbox_keys: tuple[tuple[str, Secret], ...] = ()
    sandbox_faults: str = ''
    # The embedded sandbox's demo key pair; empty: generated once into the data directory.
    sandbox_demo_key: tuple[tuple[str, Secret], ...] = ()

    # Conversations: endpoint paths, stream timeouts and the stream's assumed shape (services/core/chat_settings.py).
    chat: ChatSettings = field(default_factory=ChatSettings)
    # Covers per person per hour and per day, and the demo's own (services/core/budget_settings.py).
    budgets: BudgetSettings = field(default_factory=BudgetSettings)

    @property
    def uses_sandbox(self) -> bool:
        return not self.base_url

    @property
    def embeds_sandbox(self) -> bool:
        """On the sandbox, mounted in this process (not a standalone one at STUDIO_DEMO_SANDBOX_URL)."""
        return self.uses_sandbox and not self.demo_sandbox_url

    @property
    def has_operator_credentials(self) -> bool:
        return bool(self.api_key and self.api_secret.get())


AUTH_MODES = ('accounts', 'byok', 'demo')
INSTANCE_ID = re.compile(r'^[A-Za-z0-9][A-Za-z0-9._:@-]{0,99}$')


def load_settings(env: Mapping[str, str] | None = None) -> Settings:
    """Read and validate every setting; raise SettingsError naming the first bad variable."""
    env = os.environ if env is None else env

    def text(name: str, default: str) -> str:
        return env.get(name, default).strip()

    def number(name: str, default: float, *, minimum: float = 0.0, integer: bool = False) -> float:
        raw = text(name, str(default))
        try:
            value = int(raw) if integer else float(raw)
        except ValueError:
            kind = 'a whole number' if integer else 'a number'
            raise SettingsError(f'{name} must be {kind}, got {raw!r}') from None
        if not math.isfinite(value):  # float() accepts 'nan' and 'inf', which no timeout or limit means
            raise SettingsError(f'{name} must be a finite number, got {raw!r}')
        if value < minimum:
            raise SettingsError(f'{name} must be at least {minimum:g}, got {raw!r}')
        return value

    base_url = http_url(text('PLATFORM_BASE_URL', ''), var='PLATFORM_BASE_URL', example='https://api.example.com')
    demo_sandbox_url = http_url(text('STUDIO_DEMO_SANDBOX_URL', ''), var='STUDIO_DEMO_SANDBOX_URL',
                                example='http://127.0.0.1:8601')
    demo_sandbox_key = text('STUDIO_DEMO_SANDBOX_KEY', '')
    demo_sandbox_secret = Secret(text('STUDIO_DEMO_SANDBOX_SECRET', ''))
    if demo_sandbox_url and base_url:
        raise SettingsError('STUDIO_DEMO_SANDBOX_URL runs the studio on a standalone sandbox instead of a platform; '
                            'leave PLATFORM_BASE_URL empty with it')
    if demo_sandbox_url and not (demo_sandbox_key and demo_sandbox_secret.get()):
        raise SettingsError('STUDIO_DEMO_SANDBOX_URL needs the key pair the sandbox accepts, in '
                            'STUDIO_DEMO_SANDBOX_KEY and STUDIO_DEMO_SANDBOX_SECRET')
    if (demo_sandbox_key or demo_sandbox_secret.get()) and not demo_sandbox_url:
        raise SettingsError('STUDIO_DEMO_SANDBOX_KEY and STUDIO_DEMO_SANDBOX_SECRET are only used with '
                            'STUDIO_DEMO_SANDBOX_URL')
    redis_url = Secret(redis_storage_url(text('NICEGUI_REDIS_URL', '')))

    defaults = EndpointPaths()
    paths = {}
    for name in ('options', 'ref_image', 'face_detect', 'cover', 'create', 'list'):
        var = f'PLATFORM_PATH_{name.upper()}'
        value = text(var, getattr(defaults, name))
        if not value.startswith('/v1/'):
            raise SettingsError(f'{var} must be a platform path starting with /v1/, got {value!r}')
        paths[name] = value

    modes_raw = text('STUDIO_AUTH_MODES', '')
    modes = tuple(m.strip() for m in modes_raw.split(',') if m.strip())
    for mode in modes:
        if mode not in AUTH_MODES:
            raise SettingsError(f'STUDIO_AUTH_MODES takes a comma-separated list of {", ".join(AUTH_MODES)}; '
                                f'got {mode!r}')
    if not modes:
        # Sensible defaults: a demo needs no sign-up; a real deployment uses tool accounts when the operator
        # configured a key, otherwise each person brings their own.
        has_key = bool(text('PLATFORM_API_KEY', ''))
        modes = ('demo', 'accounts') if not base_url else (('accounts',) if has_key else ('byok',))
    if 'demo' in modes and base_url:
        raise SettingsError('STUDIO_AUTH_MODES: "demo" is only available on the embedded sandbox or a standalone one '
                            '(STUDIO_DEMO_SANDBOX_URL); unset PLATFORM_BASE_URL')

    api_key = text('PLATFORM_API_KEY', '')
    api_secret = Secret(text('PLATFORM_API_SECRET', ''))
    if bool(api_key) != bool(api_secret.get()):
        raise SettingsError('PLATFORM_API_KEY and PLATFORM_API_SECRET must be set together')
    if 'accounts' in modes and base_url and not api_key:
        raise SettingsError('STUDIO_AUTH_MODES includes "accounts", which needs the operator credentials '
                            'PLATFORM_API_KEY and PLATFORM_API_SECRET')

    latency = text('SANDBOX_LATENCY', '5-12')
    parse_latency(latency, var='SANDBOX_LATENCY')

    sandbox_keys = parse_key_pairs(text('SANDBOX_KEYS', ''), var='SANDBOX_KEYS')

    port = int(number('STUDIO_PORT', 8080, minimum=1, integer=True))
    if port > 65535:
        raise SettingsError(f'STUDIO_PORT must be at most 65535, got {port}')

    log_format = text('STUDIO_LOG_FORMAT', 'text').lower() or 'text'
    if log_format not in ('text', 'json'):
        raise SettingsError(f'STUDIO_LOG_FORMAT must be text or json, got {log_format!r}')
    metrics_token = Secret(text('STUDIO_METRICS_TOKEN', ''))
    if metrics_token and len(metrics_token.get()) < 16:
        raise SettingsError('STUDIO_METRICS_TOKEN must have at least 16 characters (it guards /metrics)')

    data_dir = Path(text('STUDIO_DATA_DIR', 'data')).expanduser()
    try:
        database = database_url(text('STUDIO_DATABASE_URL', ''), data_dir)
    except DatabaseUrlError as error:
        raise SettingsError(str(error)) from None

    instance_id = text('STUDIO_INSTANCE_ID', '') or f'{socket.gethostname()}:{port}'
    if not INSTANCE_ID.match(instance_id):
        raise SettingsError('STUDIO_INSTANCE_ID is 1-100 characters: letters, digits and . _ : @ -, starting with a '
                            f'letter or digit; got {instance_id[:120]!r}')
    slow_timeout = number('PLATFORM_SLOW_TIMEOUT', 360.0, minimum=1)
    demo_key = parse_key_pairs(text('SANDBOX_DEMO_KEY', ''), var='SANDBOX_DEMO_KEY')
    if len(demo_key) > 1:
        raise SettingsError('SANDBOX_DEMO_KEY takes one KEY:SECRET pair')
    return Settings(
        base_url=base_url,
        api_key=api_key,
        api_secret=api_secret,
        user_id=text('PLATFORM_USER_ID', 'studio-user') or 'studio-user',
        paths=EndpointPaths(**paths),
        timeout=number('PLATFORM_TIMEOUT', 30.0, minimum=1),
        slow_timeout=slow_timeout,
        connect_timeout=number('PLATFORM_CONNECT_TIMEOUT', 10.0, minimum=0.1),
        host=text('STUDIO_HOST', '0.0.0.0'),
        port=port,
        data_dir=data_dir,
        database_url=database,
        database_configured=bool(text('STUDIO_DATABASE_URL', '')),
        instance_id=instance_id,
        drain_seconds=number('STUDIO_DRAIN_SECONDS', slow_timeout, minimum=0),
        storage_secret=Secret(text('STUDIO_STORAGE_SECRET', '')),
        auth_modes=modes,
        max_covers_per_user=int(number('STUDIO_MAX_COVERS_PER_USER', 2, minimum=1, integer=True)),
        max_covers_total=int(number('STUDIO_MAX_COVERS_TOTAL', 50, minimum=1, integer=True)),
        max_upload_bytes=int(number('STUDIO_MAX_UPLOAD_MB', 10, minimum=0.001) * 1024 * 1024),
        options_cache_seconds=number('STUDIO_OPTIONS_CACHE_SECONDS', 300.0),
        preview_url_seconds=int(number('STUDIO_PREVIEW_URL_SECONDS', 3600, minimum=10, integer=True)),
        demo_idle_seconds=number('STUDIO_DEMO_IDLE_MINUTES', 120, minimum=5) * 60,
        demo_sandbox_url=demo_sandbox_url,
        demo_sandbox_key=demo_sandbox_key,
        demo_sandbox_secret=demo_sandbox_secret,
        redis_url=redis_url,
        request_log_days=number('STUDIO_REQUEST_LOG_DAYS', 7.0, minimum=0.01),
        request_log_rows=int(number('STUDIO_REQUEST_LOG_ROWS', 50_000, integer=True)),
        metrics_token=metrics_token,
        log_format=log_format,
        sandbox_latency=latency,
        sandbox_keys=sandbox_keys,
        sandbox_faults=text('SANDBOX_FAULTS', ''),
        chat=load_chat_settings(env),
        budgets=load_budget_settings(env),
        sandbox_demo_key=demo_key,
    )


def http_url(raw: str, *, var: str, example: str) -> str:
    """An http(s) base URL without query or fragment, trailing '/' dropped; '' stays ''."""
    url = raw.strip().rstrip('/')
    if not url:
        return ''
    parts = urlsplit(url)
    if parts.scheme not in ('http', 'https') or not parts.netloc:
        raise SettingsError(f'{var} must be an http(s) URL such as {example}, got {url!r}')
    if parts.query or parts.fragment:
        raise SettingsError(f'{var} must not carry a query or fragment')
    return url


REDIS_SCHEMES = ('redis', 'rediss', 'unix')


def redis_storage_url(raw: str) -> str:
    """NICEGUI_REDIS_URL as redis-py's from_url takes it; the value itself never appears in a message."""
    if not raw:
        return ''
    parts = urlsplit(raw)
    if parts.scheme not in REDIS_SCHEMES or not (parts.netloc or parts.path):
        raise SettingsError('NICEGUI_REDIS_URL must be a Redis URL such as redis://127.0.0.1:6379/0 '
                            '(schemes: redis, rediss, unix)')
    try:
        parts.port  # noqa: B018 - raises ValueError for a port out of range or not a number
    except ValueError:
        raise SettingsError('NICEGUI_REDIS_URL has a port that is not a number from 1 to 65535') from None
    return raw


def parse_key_pairs(raw: str, *, var: str = 'keys') -> tuple[tuple[str, Secret], ...]:
    """'key1:secret1,key2:secret2' -> ((key, Secret), ...)."""
    pairs = []
    for item in filter(None, (part.strip() for part in raw.split(','))):
        key, sep, secret = item.partition(':')
        if not sep or not key.strip() or not secret.strip():
            raise SettingsError(f'{var} takes KEY:SECRET pairs separated by commas; one entry is malformed')
        pairs.append((key.strip(), Secret(secret.strip())))
    return tuple(pairs)


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return load_settings()
