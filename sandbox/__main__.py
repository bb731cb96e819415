"""`python -m sandbox`: run the sandbox platform on its own, for integrators and demos.

    python -m sandbox --port 8601 --latency 5-12 --key KEY:SECRET --key OTHER:SECRET2
"""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

import uvicorn

from services.core.secret import Secret, install_log_redaction
from services.core.settings import SettingsError, parse_key_pairs, parse_latency

from .app import create_sandbox_app
from .config import SandboxConfig, load_or_create_demo_key
from .faults import FaultSpecError


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog='python -m sandbox',
                                     description='Run the sandbox character platform (same API as the real one).')
    parser.add_argument('--port', type=int, default=8601, help='port to listen on (default 8601)')
    parser.add_argument('--host', default='127.0.0.1', help='address to bind (default 127.0.0.1)')
    parser.add_argument('--latency', default='0',
                        help='seconds a cover takes: fixed ("3") or a range ("5-12"); default 0')
    parser.add_argument('--key', action='append', default=[], metavar='KEY:SECRET',
                        help='an accepted API key and its secret; repeat for more. Without it a demo pair is '
                             'generated once and kept in the data directory')
    parser.add_argument('--data-dir', type=Path, default=Path('data/sandbox'),
                        help='where agents, images and covers are kept (default data/sandbox)')
    parser.add_argument('--faults', default='',
                        help='inject failures, e.g. "cover=10500,options=http502:2" (kinds: 10500, http500, '
                             'http502, garbage, stall, drop, 401, busy, quota, badkey, imageconfig, cut)')
    parser.add_argument('--seed', type=int, default=0, help='seed for cover drawings and replies (default 0)')
    parser.add_argument('--chat-pace', default='0.08',
                        help='seconds between two pieces of a streamed reply, fixed or a range; default 0.08')
    parser.add_argument('--image-latency', default='0',
                        help='seconds a chat picture takes, fixed or a range (the platform: 30-90); default 0')
    parser.add_argument('--cover-ttl', type=float, default=1800, help='seconds a coverId stays valid (default 1800)')
    parser.add_argument('--max-upload-mb', type=float, default=10, help='largest accepted image in MB (default 10)')
    parser.add_argument('--public-url', default=None, metavar='PREFIX',
                        help='prefix of the image URLs it hands out (previewUrl, coverUrl), e.g. "/sandbox" behind a '
                             'proxy that serves /sandbox/cdn/ from here; default: the address each request came to')
    parser.add_argument('--no-fault-control', action='store_true',
                        help='refuse /_sandbox/... control (it is otherwise accepted from local programs only)')
    return parser.parse_args(argv)


def build_config(args: argparse.Namespace) -> SandboxConfig:
    keys: dict[str, Secret] = {}
    for entry in args.key:
        for key, secret in parse_key_pairs(entry, var='--key'):
            keys[key] = secret
    if not keys:
        key, secret = load_or_create_demo_key(args.data_dir)
        keys[key] = secret
    return SandboxConfig(data_dir=args.data_dir, keys=keys, latency=parse_latency(args.latency, var='--latency'),
                         cover_ttl_seconds=args.cover_ttl, seed=args.seed, faults=args.faults,
                         max_upload_bytes=int(args.max_upload_mb * 1024 * 1024),
                         allow_fault_control=not args.no_fault_control,
                         public_url=args.public_url.rstrip('/') if args.public_url else None,
                         chat_pace=parse_latency(args.chat_pace, var='--chat-pace'),
                         image_latency=parse_latency(args.image_latency, var='--image-latency'))


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        config = build_config(args)
        app = create_sandbox_app(config)
    except (SettingsError, FaultSpecError) as error:
        print(f'sandbox: {error}', file=sys.stderr)
        return 2
    base = f'http://{"127.0.0.1" if args.host in ("0.0.0.0", "::") else args.host}:{args.port}'
    # The operator asked for these: printed once on the terminal, never logged.
    print(f'Sandbox platform on {base}  (data: {config.data_dir}, latency: {args.latency}s)')
    print('Accepted API keys:')
    for key, secret in config.keys.items():
        print(f'  PLATFORM_API_KEY={key}  PLATFORM_API_SECRET={secret.get()}')
    print(f'Use with: PLATFORM_BASE_URL={base}', flush=True)
    logging.basicConfig(level=logging.INFO, format='%(asctime)s %(levelname)s %(name)s: %(message)s')
    install_log_redaction()
    uvicorn.run(app, host=args.host, port=args.port, log_level='info', timeout_graceful_shutdown=3)
    app.state.sandbox.close()
    return 0


if __name__ == '__main__':
    sys.exit(main())
