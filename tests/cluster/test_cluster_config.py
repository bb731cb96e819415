"""The deployment's configuration without running it: the nginx file, the new settings, the Redis check."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from deploy.nginx import NginxConfig, render
from deploy.process import free_port
from runtime import Runtime
from services.core.redis_check import redacted, wait_for_redis
from services.core.secret import Secret
from services.core.settings import SettingsError, load_settings

DEMO = {'STUDIO_DEMO_SANDBOX_URL': 'http://127.0.0.1:8601/', 'STUDIO_DEMO_SANDBOX_KEY': 'sbx-key',
        'STUDIO_DEMO_SANDBOX_SECRET': 'sbx-secret-0123456789'}


def test_nginx_config_is_sticky_by_cookie_with_consistent_hashing() -> None:
    text = render(NginxConfig(instances=('10.0.0.5:8080', '10.0.0.6:8080'), listen='80', max_upload_mb=10))
    assert 'hash $studio_route consistent;' in text
    assert 'server 10.0.0.5:8080 max_fails=2 fail_timeout=10s;' in text
    assert 'server 10.0.0.6:8080 max_fails=2 fail_timeout=10s;' in text
    assert "'' $request_id;" in text and 'studio_route=$request_id; Path=/;' in text
    assert 'proxy_set_header Upgrade $http_upgrade;' in text
    assert 'client_max_body_size 11m;' in text
    assert '@' not in text.replace('@NAME@', ''), 'a placeholder was left unfilled'
    # What an operator deploys names no internal address to browsers, and exposes no sandbox.
    assert 'X-Studio-Upstream' not in text and '/sandbox/' not in text


def test_nginx_config_with_the_demo_sandbox_serves_only_its_images() -> None:
    text = render(NginxConfig(instances=('127.0.0.1:8091',), sandbox='127.0.0.1:8601', max_upload_mb=2.5,
                              debug_header=True, foreground=True))
    assert 'location /sandbox/cdn/ {\n            proxy_pass http://sandbox/cdn/;' in text
    assert 'location /sandbox/ {\n            return 404;' in text
    assert 'client_max_body_size 4m;' in text
    assert 'SameSite=Lax\';' in text, 'no Secure flag unless asked for'
    assert 'SameSite=Lax; Secure\';' in render(NginxConfig(instances=('127.0.0.1:8091',), secure_cookie=True))
    assert 'daemon off;' in text and 'add_header X-Studio-Upstream $upstream_addr always;' in text


def test_nginx_accepts_the_operator_config(tmp_path: Path) -> None:
    nginx = shutil.which('nginx') or '/usr/sbin/nginx'
    if not Path(nginx).exists():
        pytest.skip('nginx not installed; on Debian: sudo apt-get install -y nginx')
    conf = tmp_path / 'nginx.conf'
    conf.write_text(render(NginxConfig(instances=('10.0.0.5:8080', '10.0.0.6:8080'), sandbox='10.0.0.7:8601',
                                       listen=f'127.0.0.1:{free_port()}', prefix=tmp_path)))
    result = subprocess.run([nginx, '-t', '-p', str(tmp_path), '-c', str(conf)], capture_output=True, text=True,
                            timeout=30, check=False)
    assert result.returncode == 0, result.stderr


def test_render_needs_an_instance() -> None:
    with pytest.raises(ValueError, match='at least one instance'):
        render(NginxConfig(instances=()))


def test_demo_sandbox_settings() -> None:
    settings = load_settings(DEMO)
    assert settings.demo_sandbox_url == 'http://127.0.0.1:8601'
    assert settings.uses_sandbox and not settings.embeds_sandbox
    assert 'demo' in settings.auth_modes
    assert load_settings({}).embeds_sandbox


@pytest.mark.parametrize(('env', 'message'), [
    ({'STUDIO_DEMO_SANDBOX_URL': 'http://127.0.0.1:8601'}, 'needs the key pair'),
    ({**DEMO, 'STUDIO_DEMO_SANDBOX_URL': 'ftp://sandbox'}, 'must be an http'),
    ({'STUDIO_DEMO_SANDBOX_KEY': 'k', 'STUDIO_DEMO_SANDBOX_SECRET': 's'}, 'only used with'),
    ({**DEMO, 'PLATFORM_BASE_URL': 'https://api.example.com', 'PLATFORM_API_KEY': 'k', 'PLATFORM_API_SECRET': 's'},
     'leave PLATFORM_BASE_URL empty'),
])
def test_demo_sandbox_settings_refused(env: dict[str, str], message: str) -> None:
    with pytest.raises(SettingsError, match=message):
        load_settings(env)


def test_redis_url_is_validated_without_echoing_it() -> None:
    assert load_settings({'NICEGUI_REDIS_URL': 'redis://:pw@127.0.0.1:6390/0'}).redis_url.get().endswith('/0')
    for bad in ('http://:hunter2@127.0.0.1:6390', 'redis://:hunter2@127.0.0.1:99999', 'hunter2'):
        with pytest.raises(SettingsError, match='NICEGUI_REDIS_URL') as error:
            load_settings({'NICEGUI_REDIS_URL': bad})
        assert 'hunter2' not in str(error.value)


def test_redis_address_is_named_without_its_password() -> None:
    assert redacted('redis://:hunter2@127.0.0.1:6390/0') == 'redis://127.0.0.1:6390/0'
    assert redacted('rediss://user:hunter2@cache.internal/1') == 'rediss://cache.internal/1'
    assert redacted('unix:///run/redis.sock') == 'unix:///run/redis.sock'


def test_an_instance_does_not_start_without_its_redis() -> None:
    url = f'redis://:hunter2@127.0.0.1:{free_port()}/0'  # nothing listens there
    with pytest.raises(SettingsError, match='does not answer after 1 s') as error:
        wait_for_redis(Secret(url), timeout=1)
    assert 'hunter2' not in str(error.value) and '127.0.0.1' in str(error.value)


def test_runtime_on_a_standalone_sandbox_signs_with_its_key_pair(tmp_path: Path) -> None:
    runtime = Runtime()
    runtime.configure(load_settings({**DEMO, 'STUDIO_DATA_DIR': str(tmp_path)}), storage_secret='x' * 40)
    try:
        assert runtime.sandbox is None, 'nothing is mounted in this process'
        assert runtime.operator_credentials is not None
        assert runtime.operator_credentials.api_key == 'sbx-key'
        assert runtime.platform.base_url == 'http://127.0.0.1:8601'
        assert runtime.sandbox_label() == 'the sandbox'
        # Each demo visitor gets a key of their own from that sandbox (over its /_sandbox/keys).
        assert runtime.sandbox_keys is not None
        assert runtime.sandbox_keys.url == 'http://127.0.0.1:8601/_sandbox/keys'
        assert runtime.auth.demo_keys == runtime.sandbox_keys.issue_key
    finally:
        runtime.close()
