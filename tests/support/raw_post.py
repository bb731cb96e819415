"""A large multipart POST over a bare socket, sending and reading at once, as a browser mid-upload does.

httpx (like most clients) reads the answer only once it has sent the whole body, so it cannot show when a server
refuses a 400 MB body: it would measure its own sending. Here one thread sends while the caller reads, and the
time is taken when the status line arrives.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

BOUNDARY = 'agent-studio-limit-test'
CHUNK = 1024 * 1024


@dataclass
class RawAnswer:
    status: int
    headers: dict[str, str]
    body: bytes
    seconds: float  # from the first byte sent to the status line received
    sent: int  # bytes of the file sent when the answer arrived

    def json(self) -> Any:
        return json.loads(self.body)


def post_file(base_url: str, path: str, size: int, *, cookie: str = '', declare_length: bool = True,
              filename: str = 'huge.jpg', timeout: float = 30.0) -> RawAnswer:
    """POST `size` bytes as the multipart field `file`; with `declare_length` False the body goes chunked."""
    url = urlsplit(base_url)
    host, port = url.hostname or '127.0.0.1', url.port or 80
    head = (f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="{filename}"\r\n'
            f'Content-Type: image/jpeg\r\n\r\n').encode()
    tail = f'\r\n--{BOUNDARY}--\r\n'.encode()
    lines = [f'POST {path} HTTP/1.1', f'Host: {host}:{port}',
             f'Content-Type: multipart/form-data; boundary={BOUNDARY}']
    lines.append(f'Content-Length: {len(head) + size + len(tail)}' if declare_length else 'Transfer-Encoding: chunked')
    if cookie:
        lines.append(f'Cookie: {cookie}')
    request_head = ('\r\n'.join(lines) + '\r\n\r\n').encode()

    sock = socket.create_connection((host, port), timeout=timeout)
    stop = threading.Event()
    sent = [0]

    def frame(data: bytes) -> bytes:
        return data if declare_length else b'%x\r\n' % len(data) + data + b'\r\n'

    def send_all() -> None:
        zeros = bytes(CHUNK)
        try:
            sock.sendall(request_head)
            sock.sendall(frame(head))
            remaining = size
            while remaining > 0 and not stop.is_set():
                piece = zeros if remaining >= CHUNK else zeros[:remaining]
                sock.sendall(frame(piece))
                remaining -= len(piece)
                sent[0] += len(piece)
            if not stop.is_set():
                sock.sendall(frame(tail) + (b'' if declare_length else b'0\r\n\r\n'))
        except OSError:
            pass  # the server closed the connection: it has stopped reading, which is the point

    sender = threading.Thread(target=send_all, daemon=True)
    started = time.monotonic()
    sender.start()
    try:
        received = b''
        seconds, sent_then = 0.0, 0
        while b'\r\n\r\n' not in received:
            data = sock.recv(65536)
            if not data:
                raise ConnectionError(f'closed without an answer after {sent[0]} bytes: {received!r}')
            if not seconds:
                seconds, sent_then = time.monotonic() - started, sent[0]
            received += data
        header_block, _, body = received.partition(b'\r\n\r\n')
        status_line, *header_lines = header_block.decode('latin-1').split('\r\n')
        headers = {name.strip().lower(): value.strip()
                   for name, _, value in (line.partition(':') for line in header_lines)}
        length = int(headers.get('content-length', '0'))
        while len(body) < length:
            data = sock.recv(65536)
            if not data:
                break
            body += data
        return RawAnswer(int(status_line.split()[1]), headers, body, seconds, sent_then)
    finally:
        stop.set()
        sock.close()
        sender.join(timeout)
