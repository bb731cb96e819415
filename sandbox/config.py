"""What the sandbox accepts and how it behaves: keys, latency, limits, storage place, faults."""

from __future__ import annotations

import json
import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path

from services.core.secret import Secret
from services.core.settings import Settings, SettingsError, parse_latency

from .faults import Faults, FaultSpecError

DEMO_CREDENTIALS_FILE = 'demo-credentials.json'


@dataclass
class SandboxConfig:
    data_dir: Path
    keys: dict[str, Secret] = field(default_factory=dict)  # api key -> secret
    # Seconds a cover generation takes, drawn uniformly from [low, high]; mutable at runtime.
    latency: tuple[float, float] = (0.0, 0.0)
    # Agent creation runs a language model on the real platform; this share of `latency` imitates it.
    create_latency_share: float = 0.25
    cover_ttl_seconds: float = 1800
    max_upload_bytes: int = 10 * 1024 * 1024
    # Pillow's own decompression-bomb limit is ~89 MP; a portrait reference never needs more than this.
    max_pixels: int = 40_000_000
    public_url: str | None = None  # prefix of previewUrl/coverUrl; None = the request's own base URL
    seed: int = 0
    allow_fault_control: bool = False
    faults: str = ''  # 'cover=10500,options=http502:2' applied at start
    stall_seconds: float = 3600.0  # a "stall" fault outlasts any client timeout
    max_clock_skew: float = 300.0
    replay_window: float = 600.0
    # Conversations: seconds between two pieces of a streamed reply, and a chat picture's latency (both ranges).
    chat_pace: tuple[float, float] = (0.0, 0.0)
    image_latency: tuple[float, float] = (0.0, 0.0)

    @classmethod
    def from_settings(cls, settings: Settings) -> SandboxConfig:
        """Raises SettingsError naming the variable for a bad SANDBOX_FAULTS or SANDBOX_SEED."""
        try:
            Faults().load_spec(settings.sandbox_faults)
        except FaultSpecError as error:
            raise SettingsError(f'SANDBOX_FAULTS: {error}') from None
        seed_text = os.environ.get('SANDBOX_SEED', '0').strip() or '0'
        try:
            seed = int(seed_text)
        except ValueError:
            raise SettingsError(f'SANDBOX_SEED must be a whole number, got {seed_text!r}') from None
        return cls(
            data_dir=Path(settings.data_dir) / 'sandbox',
            keys={key: secret for key, secret in settings.sandbox_keys},
            latency=parse_latency(settings.sandbox_latency, var='SANDBOX_LATENCY'),
            max_upload_bytes=settings.max_upload_bytes,
            faults=settings.sandbox_faults,
            # Fault control answers local programs only (routes/guard.py) and only ever hurts the sandbox;
            # SANDBOX_FAULT_CONTROL=0 turns it off.
            allow_fault_control=os.environ.get('SANDBOX_FAULT_CONTROL', '1').strip() not in ('0', 'false', 'no'),
            seed=seed,
            chat_pace=parse_latency(settings.chat.sandbox_pace, var='SANDBOX_CHAT_PACE'),
            image_latency=parse_latency(settings.chat.sandbox_image_latency, var='SANDBOX_CHAT_IMAGE_LATENCY'),
        )


def load_or_create_demo_key(data_dir: Path) -> tuple[str, Secret]:
    """The demo key pair, generated once and kept (mode 0600) so a restart keeps the same agents."""
    data_dir.mkdir(parents=True, exist_ok=True)
    path = data_dir / DEMO_CREDENTIALS_FILE
    try:
        stored = json.loads(path.read_text())
        key, secret = str(stored['apiKey']), str(stored['apiSecret'])
        if key and secret:
            return key, Secret(secret)
    except (OSError, ValueError, KeyError, TypeError):
        pass
    key = f'sbx_demo_{secrets.token_hex(8)}'
    secret = secrets.token_urlsafe(32)
    # Created with 0600 from the start, so the secret is never readable by others even briefly.
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, 'w') as handle:
        json.dump({'apiKey': key, 'apiSecret': secret}, handle)
    os.chmod(path, 0o600)
    return key, Secret(secret)
