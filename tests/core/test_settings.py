"""Settings from the environment: documented defaults, a message naming the variable for every bad value, and
secrets that never show in repr/str/format/f-strings/logging."""

from __future__ import annotations

import io
import logging
import pickle
import socket
from pathlib import Path

import pytest

from services.core.secret import (
    RedactingFilter,
    Secret,
    forget_sensitive,
    install_log_redaction,
    mask,
    register_sensitive,
    scrub,
)
from services.core.settings import EndpointPaths, Settings, SettingsError, load_settings, parse_key_pairs, parse_latency
from services.platform.client import Credentials

UPSTREAM = {'PLATFORM_BASE_URL': 'https://api.example.com', 'PLATFORM_API_KEY': 'key-123456',
            'PLATFORM_API_SECRET': 'settings-secret-9f8e7d6c'}


def test_database_url_defaults_to_sqlite_in_the_data_dir_and_is_validated(tmp_path: Path) -> None:
    assert load_settings({'STUDIO_DATA_DIR': str(tmp_path)}).database_url == f'sqlite:///{tmp_path}/studio.sqlite3'
    url = 'postgresql+psycopg://studio:pw-123456@db.internal:5432/studio'
    assert load_settings({'STUDIO_DATABASE_URL': url}).database_url == url
    with pytest.raises(SettingsError) as refused:
        load_settings({'STUDIO_DATABASE_URL': 'mysql://studio:hunter2-secret@db/studio'})
    assert 'STUDIO_DATABASE_URL' in str(refused.value) and 'hunter2-secret' not in str(refused.value)


def test_instance_id_drain_time_and_demo_key(tmp_path: Path) -> None:
    settings = load_settings({'STUDIO_INSTANCE_ID': 'web-2', 'STUDIO_DRAIN_SECONDS': '45', 'STUDIO_PORT': '9000',
                              'SANDBOX_DEMO_KEY': 'sbx_demo_shared:demo-secret-abcdef'})
    assert (settings.instance_id, settings.drain_seconds) == ('web-2', 45.0)
    assert [(key, secret.get()) for key, secret in settings.sandbox_demo_key] == \
        [('sbx_demo_shared', 'demo-secret-abcdef')]
    assert load_settings({'STUDIO_PORT': '9000'}).instance_id.endswith(':9000')  # host:port, stable across restarts
    for bad in ('has space', '-leading', 'x' * 101):
        with pytest.raises(SettingsError, match='STUDIO_INSTANCE_ID'):
            load_settings({'STUDIO_INSTANCE_ID': bad})
    with pytest.raises(SettingsError, match='SANDBOX_DEMO_KEY takes one'):
        load_settings({'SANDBOX_DEMO_KEY': 'a:secret-1,b:secret-2'})
    assert load_settings({'STUDIO_DATABASE_URL': f'sqlite:///{tmp_path}/x.sqlite3'}).database_configured


def test_defaults() -> None:
    settings = load_settings({})
    assert settings == Settings(auth_modes=('demo', 'accounts'), api_secret=settings.api_secret,
                                database_url=f'sqlite:///{Path("data").resolve()}/studio.sqlite3',
                                instance_id=f'{socket.gethostname()}:8080')
    assert not settings.database_configured and settings.drain_seconds == settings.slow_timeout
    assert settings.base_url == '' and settings.uses_sandbox and not settings.has_operator_credentials
    assert settings.user_id == 'studio-user'
    assert settings.paths == EndpointPaths()
    assert (settings.paths.options, settings.paths.ref_image, settings.paths.face_detect, settings.paths.cover,
            settings.paths.create, settings.paths.list) == (
        '/v1/config/options', '/v1/agent/ref-image', '/v1/agent/face-detect', '/v1/agent/cover', '/v1/agent/create',
        '/v1/agent/list')
    assert (settings.timeout, settings.slow_timeout, settings.connect_timeout) == (30.0, 360.0, 10.0)
    assert settings.slow_timeout >= 350  # the contract: covers take up to 300 s, allow at least 350
    assert (settings.host, settings.port, settings.data_dir) == ('0.0.0.0', 8080, Path('data'))
    assert (settings.max_covers_per_user, settings.max_covers_total) == (2, 50)
    assert settings.max_upload_bytes == 10 * 1024 * 1024
    assert (settings.options_cache_seconds, settings.preview_url_seconds) == (300.0, 3600)
    assert (settings.sandbox_latency, settings.sandbox_keys, settings.sandbox_faults) == ('5-12', (), '')
    assert settings.storage_secret.get() == ''


def test_values_are_read_and_trimmed() -> None:
    settings = load_settings({
        **UPSTREAM, 'PLATFORM_BASE_URL': '  https://api.example.com/gateway/  ', 'PLATFORM_USER_ID': ' u-7 ',
        'PLATFORM_PATH_REF_IMAGE': '/v1/agent/upload', 'PLATFORM_PATH_FACE_DETECT': '/v1/face/check',
        'PLATFORM_TIMEOUT': '12.5', 'PLATFORM_SLOW_TIMEOUT': '400', 'PLATFORM_CONNECT_TIMEOUT': '2',
        'STUDIO_HOST': '127.0.0.1', 'STUDIO_PORT': '9000', 'STUDIO_DATA_DIR': '/tmp/studio-data',
        'STUDIO_MAX_COVERS_PER_USER': '3', 'STUDIO_MAX_COVERS_TOTAL': '9', 'STUDIO_MAX_UPLOAD_MB': '0.5',
        'STUDIO_OPTIONS_CACHE_SECONDS': '0', 'STUDIO_PREVIEW_URL_SECONDS': '60', 'SANDBOX_LATENCY': '0',
        'SANDBOX_KEYS': 'k1:s1, k2:s2', 'SANDBOX_FAULTS': 'cover=10500',
    })
    assert settings.base_url == 'https://api.example.com/gateway'
    assert settings.user_id == 'u-7' and settings.has_operator_credentials and not settings.uses_sandbox
    assert settings.paths.ref_image == '/v1/agent/upload' and settings.paths.face_detect == '/v1/face/check'
    assert (settings.timeout, settings.slow_timeout, settings.connect_timeout) == (12.5, 400.0, 2.0)
    assert (settings.host, settings.port, settings.data_dir) == ('127.0.0.1', 9000, Path('/tmp/studio-data'))
    assert (settings.max_covers_per_user, settings.max_covers_total) == (3, 9)
    assert settings.max_upload_bytes == 512 * 1024
    assert settings.options_cache_seconds == 0 and settings.preview_url_seconds == 60
    assert [(key, secret.get()) for key, secret in settings.sandbox_keys] == [('k1', 's1'), ('k2', 's2')]
    assert settings.sandbox_faults == 'cover=10500' and settings.api_secret.get() == UPSTREAM['PLATFORM_API_SECRET']


@pytest.mark.parametrize(('env', 'modes'), [
    ({}, ('demo', 'accounts')),
    (UPSTREAM, ('accounts',)),
    ({'PLATFORM_BASE_URL': 'https://api.example.com'}, ('byok',)),
    ({**UPSTREAM, 'STUDIO_AUTH_MODES': ' byok , accounts '}, ('byok', 'accounts')),
])
def test_auth_mode_defaults_follow_the_deployment(env: dict[str, str], modes: tuple[str, ...]) -> None:
    assert load_settings(env).auth_modes == modes


BAD_VALUES = [
    ('PLATFORM_BASE_URL', 'ftp://api.example.com'),
    ('PLATFORM_BASE_URL', 'api.example.com'),
    ('PLATFORM_BASE_URL', 'https://api.example.com/?x=1'),
    *[(f'PLATFORM_PATH_{name}', '/v2/elsewhere')
      for name in ('OPTIONS', 'REF_IMAGE', 'FACE_DETECT', 'COVER', 'CREATE', 'LIST')],
    ('PLATFORM_PATH_COVER', 'v1/agent/cover'),
    ('PLATFORM_TIMEOUT', 'soon'), ('PLATFORM_TIMEOUT', '0'), ('PLATFORM_TIMEOUT', 'nan'), ('PLATFORM_TIMEOUT', 'inf'),
    ('PLATFORM_SLOW_TIMEOUT', '-5'), ('PLATFORM_SLOW_TIMEOUT', 'Infinity'),
    ('PLATFORM_CONNECT_TIMEOUT', '0'), ('PLATFORM_CONNECT_TIMEOUT', 'x'),
    ('STUDIO_PORT', 'http'), ('STUDIO_PORT', '0'), ('STUDIO_PORT', '70000'), ('STUDIO_PORT', '80.5'),
    ('STUDIO_AUTH_MODES', 'everyone'),
    ('STUDIO_MAX_COVERS_PER_USER', '0'), ('STUDIO_MAX_COVERS_PER_USER', '1.5'),
    ('STUDIO_MAX_COVERS_TOTAL', 'many'),
    ('STUDIO_MAX_UPLOAD_MB', '0'), ('STUDIO_MAX_UPLOAD_MB', 'NaN'),
    ('STUDIO_OPTIONS_CACHE_SECONDS', '-1'),
    ('STUDIO_PREVIEW_URL_SECONDS', '5'),
    ('SANDBOX_LATENCY', 'fast'), ('SANDBOX_LATENCY', '9-2'), ('SANDBOX_LATENCY', '-1'),
    ('SANDBOX_KEYS', 'key-without-secret'), ('SANDBOX_KEYS', 'k1:s1,:s2'),
]


@pytest.mark.parametrize(('name', 'value'), BAD_VALUES, ids=[f'{n}={v}' for n, v in BAD_VALUES])
def test_every_bad_value_names_its_variable(name: str, value: str) -> None:
    with pytest.raises(SettingsError) as caught:
        load_settings({name: value})
    assert name in str(caught.value)


@pytest.mark.parametrize(('env', 'names'), [
    ({'PLATFORM_API_KEY': 'key-only'}, ('PLATFORM_API_KEY', 'PLATFORM_API_SECRET')),
    ({'PLATFORM_API_SECRET': 'secret-only-value'}, ('PLATFORM_API_KEY', 'PLATFORM_API_SECRET')),
    ({'PLATFORM_BASE_URL': 'https://api.example.com', 'STUDIO_AUTH_MODES': 'accounts'},
     ('STUDIO_AUTH_MODES', 'PLATFORM_API_KEY')),
    ({**UPSTREAM, 'STUDIO_AUTH_MODES': 'demo'}, ('STUDIO_AUTH_MODES', 'PLATFORM_BASE_URL')),
])
def test_combinations_name_their_variables(env: dict[str, str], names: tuple[str, ...]) -> None:
    with pytest.raises(SettingsError) as caught:
        load_settings(env)
    for name in names:
        assert name in str(caught.value)


def test_error_messages_never_echo_a_secret() -> None:
    for env in ({'PLATFORM_API_SECRET': 'lonely-secret-value'}, {'SANDBOX_KEYS': 'k1:sandbox-secret-1,broken'}):
        with pytest.raises(SettingsError) as caught:
            load_settings(env)
        assert 'lonely-secret-value' not in str(caught.value) and 'sandbox-secret-1' not in str(caught.value)


def test_parsers_take_a_variable_name() -> None:
    assert parse_latency('2.5') == (2.5, 2.5) and parse_latency('5-12') == (5.0, 12.0)
    with pytest.raises(SettingsError, match='--latency'):
        parse_latency('x', var='--latency')
    with pytest.raises(SettingsError, match='--key'):
        parse_key_pairs('nope', var='--key')


# --- Secret ------------------------------------------------------------------------------------------------

SECRET_VALUE = 'hunter2-but-longer-0123'


def test_secret_never_shows_when_formatted() -> None:
    secret = Secret(SECRET_VALUE)
    shown = [repr(secret), str(secret), format(secret), f'{secret}', f'{secret!r}', f'{secret!s}', f'{secret:>40}',
             '%s' % secret, '%r' % (secret,), '{}'.format(secret), str([secret]), str({'s': secret})]  # noqa: UP031, UP032
    for text in shown:
        assert SECRET_VALUE not in text and '****' in text
    assert secret.get() == SECRET_VALUE and bool(secret) and not Secret('')
    assert repr(Secret('')) == "Secret('')"
    assert Secret(SECRET_VALUE) == secret and Secret('other-value') != secret


def test_settings_and_credentials_repr_hide_the_secret() -> None:
    settings = load_settings({**UPSTREAM, 'STUDIO_STORAGE_SECRET': 'storage-secret-abcdefgh',
                              'SANDBOX_KEYS': 'sk:sandbox-secret-xyz'})
    text = repr(settings) + str(settings) + f'{settings}'
    for value in (UPSTREAM['PLATFORM_API_SECRET'], 'storage-secret-abcdefgh', 'sandbox-secret-xyz'):
        assert value not in text
    creds = Credentials('api-key-visible-nowhere', Secret(SECRET_VALUE), 'u')
    assert SECRET_VALUE not in repr(creds) and 'api-key-visible-nowhere' not in repr(creds)


def test_secret_cannot_be_pickled() -> None:
    with pytest.raises(TypeError, match='not picklable'):
        pickle.dumps(Secret(SECRET_VALUE))


def test_secret_in_log_arguments_is_masked(caplog: pytest.LogCaptureFixture) -> None:
    secret = Secret(SECRET_VALUE)
    with caplog.at_level(logging.INFO):
        logging.getLogger('test.settings').info('using %s and %r', secret, secret)
        logging.getLogger('test.settings').info('settings: %s', load_settings({**UPSTREAM}))
    assert caplog.records and all(SECRET_VALUE not in r.getMessage() for r in caplog.records)
    assert all(UPSTREAM['PLATFORM_API_SECRET'] not in r.getMessage() for r in caplog.records)


def test_mask_keeps_keys_apart_but_unusable() -> None:
    assert mask('sk_live_abcdef123') == 'sk_l…(17)'
    assert mask('short') == '…' * 3 and mask('') == ''
    assert 'abcdef123' not in mask('sk_live_abcdef123')


# --- the redaction filter ------------------------------------------------------------------------------------


def redacting_logger(name: str) -> tuple[logging.Logger, io.StringIO]:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(RedactingFilter())
    logger = logging.getLogger(name)
    logger.handlers = [handler]
    logger.propagate = False
    logger.setLevel(logging.DEBUG)
    return logger, stream


def test_redaction_filter_scrubs_registered_values_from_messages_and_tracebacks() -> None:
    Secret('filter-secret-value-42')
    Credentials('filter-api-key-77', Secret('another-filter-secret'), 'u')
    logger, stream = redacting_logger('test.redaction')
    logger.warning('raw %s and Bearer %s', 'filter-secret-value-42', 'filter-api-key-77')
    try:
        raise RuntimeError('boom with another-filter-secret inside')
    except RuntimeError:
        logger.exception('failed')
    logger.error('where am I', stack_info=True)
    output = stream.getvalue()
    assert 'filter-secret-value-42' not in output and 'filter-api-key-77' not in output
    assert 'another-filter-secret' not in output
    assert output.count('[redacted]') >= 3 and 'Bearer [redacted]' in output


def test_registered_values_are_scrubbed_longest_first_and_short_ones_ignored() -> None:
    values = ('qwzxvk-token', 'qwzxvk-token-longer', 'qwz')
    for value in values:
        register_sensitive(value)  # 'qwz' is too short to register: it would scrub ordinary words
    try:
        assert scrub('x qwzxvk-token-longer y qwzxvk-token z qwz') == 'x [redacted] y [redacted] z qwz'
    finally:
        for value in values:
            forget_sensitive(value)
    assert scrub('qwzxvk-token') == 'qwzxvk-token'


def test_install_log_redaction_attaches_once_to_root_handlers() -> None:
    root = logging.getLogger()
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    root.addHandler(handler)
    try:
        install_log_redaction()
        install_log_redaction()
        assert sum(isinstance(f, RedactingFilter) for f in handler.filters) == 1
        Secret('root-secret-value-1234')
        root.error('leak root-secret-value-1234?')
        assert 'root-secret-value-1234' not in stream.getvalue() and '[redacted]' in stream.getvalue()
    finally:
        root.removeHandler(handler)
