"""The secret that signs NiceGUI's browser-id cookie: configured, or generated once and kept 0600."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from services.core.settings import SettingsError, load_settings
from services.core.storage_secret import MIN_LENGTH, resolve_storage_secret

STRONG = 'k' * 10 + os.urandom(24).hex()


def settings(tmp_path: Path, **env: str):  # type: ignore[no-untyped-def]
    return load_settings({'STUDIO_DATA_DIR': str(tmp_path), **env})


REAL = {'PLATFORM_BASE_URL': 'https://api.example.com', 'PLATFORM_API_KEY': 'k-123456',
        'PLATFORM_API_SECRET': 's-123456'}


def test_a_configured_strong_secret_is_used_as_is(tmp_path: Path) -> None:
    assert resolve_storage_secret(settings(tmp_path, STUDIO_STORAGE_SECRET=STRONG, **REAL)) == STRONG
    assert not (tmp_path / 'storage-secret').exists()


@pytest.mark.parametrize('weak', ['changeme', 'secret', 'nicegui', 'short-but-random-7f3a'])
def test_a_weak_or_default_secret_is_refused_outside_the_sandbox(tmp_path: Path, weak: str) -> None:
    with pytest.raises(SettingsError, match='STUDIO_STORAGE_SECRET is too weak'):
        resolve_storage_secret(settings(tmp_path, STUDIO_STORAGE_SECRET=weak, **REAL))


def test_the_sandbox_tolerates_a_weak_secret(tmp_path: Path) -> None:
    assert resolve_storage_secret(settings(tmp_path, STUDIO_STORAGE_SECRET='changeme')) == 'changeme'


def test_without_configuration_one_is_generated_once_with_mode_0600(tmp_path: Path) -> None:
    first = resolve_storage_secret(settings(tmp_path, **REAL))
    path = tmp_path / 'storage-secret'
    assert len(first) >= MIN_LENGTH
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert resolve_storage_secret(settings(tmp_path, **REAL)) == first  # kept across restarts


def test_a_generated_file_readable_by_others_is_tightened(tmp_path: Path) -> None:
    resolve_storage_secret(settings(tmp_path, **REAL))
    path = tmp_path / 'storage-secret'
    path.chmod(0o644)
    resolve_storage_secret(settings(tmp_path, **REAL))
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_an_emptied_file_is_refused_rather_than_signing_with_nothing(tmp_path: Path) -> None:
    path = tmp_path / 'storage-secret'
    path.write_text('')
    path.chmod(0o600)
    with pytest.raises(SettingsError, match='no usable storage secret'):
        resolve_storage_secret(settings(tmp_path, **REAL))


# --- several instances on one database (STUDIO_DATABASE_URL set) ---------------------------------------------------

SHARED = {'STUDIO_DATABASE_URL': 'postgresql+psycopg://studio:pw-abcdef@db.internal:5432/studio'}


def test_with_a_database_url_a_generated_secret_is_refused_naming_the_variable(tmp_path: Path) -> None:
    with pytest.raises(SettingsError) as refused:
        resolve_storage_secret(settings(tmp_path, **REAL, **SHARED))
    message = str(refused.value)
    assert 'STUDIO_DATABASE_URL is set' in message and 'set STUDIO_STORAGE_SECRET' in message.replace('Set ', 'set ')
    assert 'same value on every instance' in message and 'pw-abcdef' not in message
    assert not (tmp_path / 'storage-secret').exists()  # nothing generated
    assert resolve_storage_secret(settings(tmp_path, **REAL, **SHARED, STUDIO_STORAGE_SECRET=STRONG)) == STRONG


def test_with_a_database_url_the_sandbox_needs_its_demo_key_pair_configured(tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match='SANDBOX_DEMO_KEY') as refused:
        resolve_storage_secret(settings(tmp_path, **SHARED, STUDIO_STORAGE_SECRET=STRONG))
    assert 'STUDIO_STORAGE_SECRET' not in str(refused.value)  # only what is missing is named
    configured = settings(tmp_path, **SHARED, STUDIO_STORAGE_SECRET=STRONG, SANDBOX_DEMO_KEY='sbx_k:sbx-secret-1234')
    assert resolve_storage_secret(configured) == STRONG


def test_the_app_refuses_to_start_and_says_which_variable_to_set(tmp_path: Path) -> None:
    import subprocess
    import sys

    from tests.support.app_process import ROOT, clean_env

    env = clean_env({'STUDIO_DATA_DIR': str(tmp_path), **REAL,
                     'STUDIO_DATABASE_URL': f'sqlite:///{tmp_path}/shared.sqlite3'})
    result = subprocess.run([sys.executable, 'main.py'], cwd=ROOT, env=env, capture_output=True, text=True,
                            timeout=60, check=False)
    assert result.returncode != 0
    assert 'Configuration error: STUDIO_DATABASE_URL is set' in result.stderr
    assert 'STUDIO_STORAGE_SECRET' in result.stderr
    assert not (tmp_path / 'storage-secret').exists()
