"""The sandbox platform as the benchmarks' upstream, in its own process, with the knobs the figures need.

`python -m bench.sandbox_server --port P --latency 20 --create-share 0 --cover-bytes 2000000`

It is the project's own sandbox (sandbox.create_sandbox_app: same signature check, envelope,
latency and storage); two knobs exist only here:
- `--create-share`: agent creation time as a share of the cover latency (the sandbox's default is 0.25).
- `--cover-bytes`: every generated cover becomes a PNG of about this many bytes (random pixels barely
  compress), for the preview-latency figure, which needs a 2 MB image.

It runs in a process of its own because the real platform is another machine: its drawing and
encoding must not be counted against the app being measured.
"""

from __future__ import annotations

import argparse
import io
import json
import tempfile
import time
from pathlib import Path
from typing import Any

import uvicorn

BENCH_KEY = 'bench_key_0001'
BENCH_SECRET = 'bench-secret-not-for-production-0001'


def big_png(size: int) -> bytes:
    """A PNG of roughly `size` bytes: random RGB pixels, which zlib cannot shrink."""
    import numpy as np
    from PIL import Image

    side = int((size / 3) ** 0.5)
    pixels = np.random.default_rng(7).integers(0, 256, (side, side, 3), dtype=np.uint8)
    out = io.BytesIO()
    Image.fromarray(pixels, 'RGB').save(out, 'PNG', compress_level=1)
    return out.getvalue()


class Recorder:
    """Wraps the sandbox: counts requests per path and notes when each cover answer starts to leave.

    GET /_bench/events returns {"counts": {path: n}, "cover_answers": [epoch seconds, ...], "covers": [{"user",
    "received", "answered"}, ...], "chat_streams": [{"received", "first_piece", "first_piece_sent"}, ...]} so a
    figure can tell how many calls reached the upstream, when it answered, how long each cover really took and
    when each streamed reply's first piece left (same machine, same clock).
    """

    def __init__(self, app: Any) -> None:
        self.app = app
        self.counts: dict[str, int] = {}
        self.cover_answers: list[float] = []
        self.covers: list[dict[str, Any]] = []  # per cover call: user id, received and answered (epoch s)
        self.chat_streams: list[dict[str, Any]] = []  # per streamed reply: received, first piece out (epoch s)

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope['type'] != 'http':
            await self.app(scope, receive, send)
            return
        path = scope['path']
        if path == '/_bench/events':
            body = json.dumps({'counts': self.counts, 'cover_answers': self.cover_answers,
                               'covers': self.covers, 'chat_streams': self.chat_streams}).encode()
            await send({'type': 'http.response.start', 'status': 200,
                        'headers': [(b'content-type', b'application/json')]})
            await send({'type': 'http.response.body', 'body': body})
            return
        self.counts[path] = self.counts.get(path, 0) + 1
        if path == '/v1/chat/stream':
            await self._chat_stream(scope, receive, send)
            return
        if path != '/v1/agent/cover':
            await self.app(scope, receive, send)
            return

        headers = dict(scope.get('headers') or [])
        call = {'user': headers.get(b'x-user-id', b'').decode(errors='replace'), 'received': time.time()}

        async def timed_send(message: dict[str, Any]) -> None:
            if message['type'] == 'http.response.start' and message.get('status') == 200:
                call['answered'] = time.time()
                self.cover_answers.append(call['answered'])
                self.covers.append(call)
            await send(message)

        await self.app(scope, receive, timed_send)


    async def _chat_stream(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        """Note when the first piece of each streamed reply leaves (epoch seconds), for figure 7."""
        call: dict[str, Any] = {'received': time.time()}
        self.chat_streams.append(call)

        async def timed_send(message: dict[str, Any]) -> None:
            if message['type'] == 'http.response.body' and 'first_piece' not in call \
                    and b'data: {' in message.get('body', b''):
                call['first_piece'] = time.time()
            await send(message)
            if message['type'] == 'http.response.body' and 'first_piece' in call and 'first_piece_sent' not in call:
                call['first_piece_sent'] = time.time()

        await self.app(scope, receive, timed_send)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument('--port', type=int, required=True)
    parser.add_argument('--latency', default='0')
    parser.add_argument('--create-share', type=float, default=None)
    parser.add_argument('--cover-bytes', type=int, default=0)
    parser.add_argument('--data-dir', type=Path, default=None)
    args = parser.parse_args()

    from sandbox import cover_art

    if args.cover_bytes:
        png = big_png(args.cover_bytes)
        cover_art.png_bytes = lambda img: png  # the drawing still happens; only its encoding is replaced

    with tempfile.TemporaryDirectory(prefix='bench-sandbox-') as tmp:  # removed when uvicorn stops on SIGTERM
        serve(args, args.data_dir or Path(tmp))


def serve(args: argparse.Namespace, data_dir: Path) -> None:
    from sandbox.app import create_sandbox_app
    from sandbox.config import SandboxConfig
    from services.core.secret import Secret
    from services.core.settings import parse_latency

    config = SandboxConfig(data_dir=data_dir, keys={BENCH_KEY: Secret(BENCH_SECRET)},
                           latency=parse_latency(args.latency), allow_fault_control=True)
    if args.create_share is not None:
        config.create_latency_share = args.create_share
    app = Recorder(create_sandbox_app(config))
    uvicorn.run(app, host='127.0.0.1', port=args.port, log_level='warning', access_log=False,
                backlog=2048, timeout_keep_alive=30)


if __name__ == '__main__':
    main()
