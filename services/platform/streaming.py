"""A streamed reply (POST /v1/chat/stream), read with httpx's streaming API on the client's one connection pool.

    async with client.chat_stream(creds, ChatRequest(...)) as reply:
        async for piece in reply:      # each piece of text as it arrives
            ...
    reply.text                          # everything received

Signed exactly like every other call (the same `PlatformAuth`, from the bytes sent). Three clocks: until the first
byte, between two chunks (a keep-alive comment counts: it proves the platform is there), and the whole reply.
Leaving the `async with` block for any reason, a cancelled task included (Stop pressed, the page closed), closes
the upstream response, so the platform sees the connection go and can stop writing.

Retries: only while nothing can have reached the platform's model: a connection that could not be opened, and the
one clock-skew retry of a 401. Once the request went out, and certainly once a byte came back, never: the
platform may have recorded the message, and a person would get the reply twice.
"""

from __future__ import annotations

import asyncio
import re
import time
import uuid
from collections.abc import AsyncIterator
from types import TracebackType
from typing import TYPE_CHECKING

import httpx

from services.core.i18n import _
from services.platform.chat_models import ChatRequest
from services.platform.errors import (
    AuthenticationError,
    BusinessError,
    ProtocolError,
    TransportError,
    UpstreamTimeout,
    UpstreamUnreachable,
)
from services.platform.exchange import Exchange, Result
from services.platform.models import wire
from services.platform.stream_decoder import End, Failure, Piece, ReplyDecoder

if TYPE_CHECKING:
    from services.platform.client import Credentials, PlatformClient

ACCEPT = 'text/event-stream, application/x-ndjson;q=0.9, application/json;q=0.8'
CONNECT_TRIES = 3
CONNECT_BACKOFF = 0.5
MAX_REPLY = 512 * 1024  # characters; a chat reply is never near this, a runaway stream would be
ERROR_BODY_LIMIT = 64 * 1024
LOGGED_BODY = 64 * 1024  # bytes of the answer kept for the request log (it keeps less still)
_TAG = re.compile(r'<[^>]*>?')


class StreamInterrupted(TransportError):
    """The reply broke off after it had begun; `partial` is what arrived before."""

    retryable = False

    def __init__(self, user_message: str, partial: str) -> None:
        super().__init__(user_message)
        self.partial = partial


class ReplyFailed(BusinessError):
    """A business error the platform reported in the stream (or as its whole answer); `partial` is what came
    before it."""

    def __init__(self, user_message: str, *, code: int | None, trace_id: str | None, partial: str) -> None:
        super().__init__(user_message, code=code, trace_id=trace_id, status=200)
        self.partial = partial


class ReplyStream:
    """One streamed reply. Use as `async with`; iterate for the pieces; `text` is the reply so far."""

    def __init__(self, client: PlatformClient, creds: Credentials, request: ChatRequest) -> None:
        self._client = client
        self._creds = creds
        self._body = wire(request)
        self._settings = client.chat
        self._response: httpx.Response | None = None
        self._chunks: AsyncIterator[bytes] | None = None
        self._decoder: ReplyDecoder | None = None
        self._started = 0.0
        self._got_byte = False
        self._queue: list[str] = []
        self._finished = False
        self.text = ''
        self.trace_id: str | None = None
        self.first_byte_at: float | None = None  # time.monotonic() of the first body byte (for the benchmark)
        # The request log's record of the request in flight: every attempt is reported to the client's observers
        # once, when it is refused or retried, or when the reply ends (finished, failed, or abandoned).
        self._call_id = uuid.uuid4().hex
        self._attempts = 0
        self._resigned = False
        self._exchange: Exchange | None = None
        self._raw = bytearray()

    # --- opening and closing --------------------------------------------------------------------------

    async def __aenter__(self) -> ReplyStream:
        try:
            return await self._open()
        except BaseException as error:
            self._observed(error)
            raise

    async def _open(self) -> ReplyStream:
        self._started = time.monotonic()
        connect_tries = CONNECT_TRIES
        skew_retry_left = True
        while True:
            try:
                self._response = await self._send()
            except httpx.ConnectError:
                self._observed(UpstreamUnreachable(_('The connection to the platform could not be opened.')))
                connect_tries -= 1
                if connect_tries <= 0 or self._left(self._settings.first_byte_timeout) <= CONNECT_BACKOFF:
                    raise UpstreamUnreachable(_('The platform at {host} could not be reached. Check the network or '
                                                'try again in a minute.').format(host=self._client._host)) from None
                await asyncio.sleep(CONNECT_BACKOFF)  # refused before anything was sent: safe to try again
                continue
            try:
                await self._check_status(self._response)
            except AuthenticationError as refused:
                await self._close_response()
                if skew_retry_left and self._client._learn_clock_skew(refused):
                    skew_retry_left = False
                    self._observed(refused)
                    self._resigned = True
                    continue
                raise
            except BaseException:
                await self._close_response()
                raise
            break
        response = self._response
        self._decoder = ReplyDecoder(mode=self._settings.stream_format,
                                     content_type=response.headers.get('content-type', ''),
                                     text_fields=self._settings.text_fields)
        self.trace_id = response.headers.get('x-trace-id') or None
        self._chunks = response.aiter_bytes()
        return self

    async def __aexit__(self, kind: type[BaseException] | None, error: BaseException | None,
                        trace: TracebackType | None) -> None:
        try:
            await self._close_response()
        finally:
            # Left before the reply ended, without an error: the reader stopped reading.
            self._observed(error if error is not None or self._finished else asyncio.CancelledError())

    def _observed(self, error: BaseException | None) -> None:
        """Report the request in flight to the client's observers (request log, metrics), once."""
        exchange, self._exchange = self._exchange, None
        if exchange is None:
            return
        exchange.error = error
        exchange.result = Result(None, self.trace_id) if error is None else None
        exchange.streamed = bytes(self._raw)
        self._client.report(exchange)

    async def _close_response(self) -> None:
        response, self._response = self._response, None
        if response is not None:
            # Shielded: a cancelled task (Stop, a closed page) must still close the upstream connection.
            await asyncio.shield(response.aclose())

    async def _send(self) -> httpx.Response:
        client = self._client
        self._attempts += 1
        self._raw.clear()
        self._exchange = client.exchange(self._creds, self._settings.stream_path, self._call_id, self._attempts,
                                         self._resigned)
        timeout = httpx.Timeout(self._settings.total_timeout, connect=min(client.connect_timeout,
                                                                          self._settings.first_byte_timeout))
        request = client.http.build_request(
            'POST', client.base_url + self._settings.stream_path, json=self._body, timeout=timeout,
            headers={'Accept': ACCEPT, 'Accept-Encoding': 'identity'})  # compression would hold pieces back
        try:
            response = await asyncio.wait_for(
                client.http.send(request, auth=client.signer(self._creds, self._exchange), stream=True),
                self._left(self._settings.first_byte_timeout))
            self._exchange.response = response
            return response
        except (TimeoutError, httpx.TimeoutException) as error:
            if isinstance(error, httpx.ConnectTimeout):
                raise httpx.ConnectError('connect timeout') from None
            raise self._first_byte_timeout() from None
        except (httpx.RemoteProtocolError, httpx.ReadError, httpx.WriteError):
            raise UpstreamUnreachable(_('The connection to the platform was dropped before it answered. '
                                        'Try again.')) from None
        except httpx.UnsupportedProtocol:
            raise UpstreamUnreachable(_('The platform address {address} is not usable.')
                                      .format(address=repr(client.base_url))) from None
        except httpx.ConnectError:
            raise
        except httpx.HTTPError as error:
            raise TransportError(_('Talking to the platform failed ({error}). Try again.')
                                 .format(error=type(error).__name__)) from None

    async def _check_status(self, response: httpx.Response) -> None:
        """An error status carries an envelope (or an error page): read it whole, as any other call would."""
        if response.status_code < 300:
            return
        body = b''
        async for chunk in response.aiter_bytes():
            body += chunk
            if len(body) > ERROR_BODY_LIMIT:
                break
        self._raw[:] = body[:LOGGED_BODY]
        buffered = httpx.Response(response.status_code, headers=response.headers, content=body[:ERROR_BODY_LIMIT],
                                  request=response.request)
        self._client._read_envelope(buffered)  # raises for every status >= 400
        raise ProtocolError(_('The platform answered the reply with HTTP {status}.')
            .format(status=response.status_code),
                            status=response.status_code)

    # --- reading --------------------------------------------------------------------------------------

    def __aiter__(self) -> ReplyStream:
        return self

    async def __anext__(self) -> str:
        while not self._queue:
            if self._finished:
                raise StopAsyncIteration
            await self._read_more()
        return self._queue.pop(0)

    async def collect(self) -> str:
        async for _piece in self:
            pass
        return self.text

    async def _read_more(self) -> None:
        assert self._chunks is not None and self._decoder is not None, 'use `async with` first'
        if self._got_byte:
            wait = min(self._settings.gap_timeout, self._left(self._settings.total_timeout))
        else:
            wait = min(self._left(self._settings.first_byte_timeout), self._left(self._settings.total_timeout))
        try:
            # asyncio.timeout, not wait_for: no task per chunk (a reply is hundreds of chunks, 50 replies at once).
            async with asyncio.timeout(max(wait, 0.001)):
                chunk = await self._chunks.__anext__()
        except StopAsyncIteration:
            self._take(self._decoder.close())
            self._finish()
            return
        except (TimeoutError, httpx.TimeoutException):
            raise self._timeout() from None
        except (httpx.RemoteProtocolError, httpx.ReadError):
            if not self._got_byte:
                raise UpstreamUnreachable(_('The connection to the platform was dropped before it answered. '
                                            'Try again.')) from None
            raise StreamInterrupted(_('The connection to the platform broke off in the middle of the reply.'),
                                    self.text) from None
        except httpx.HTTPError as error:
            raise StreamInterrupted(_('Reading the reply failed ({error}).').format(error=type(error).__name__),
                                    self.text) from None
        if len(self._raw) < LOGGED_BODY:
            self._raw += chunk[:LOGGED_BODY - len(self._raw)]
        if chunk and not self._got_byte:
            self._got_byte = True
            self.first_byte_at = time.monotonic()
        self._take(self._decoder.feed(chunk))

    def _take(self, events: list[Piece | End | Failure]) -> None:
        assert self._decoder is not None
        self.trace_id = self._decoder.trace_id or self.trace_id
        for event in events:
            if self._finished:
                return
            if isinstance(event, Piece):
                self.text += event.text
                if len(self.text) > MAX_REPLY:
                    raise ProtocolError(_('The reply went on past {count} characters; it was cut off there.')
                                        .format(count=MAX_REPLY))
                self._queue.append(event.text)
            elif isinstance(event, Failure):
                raise ReplyFailed(event.message, code=event.code, trace_id=event.trace_id or self.trace_id,
                                  partial=self.text)
            else:
                self._finished = True

    def _finish(self) -> None:
        """The stream closed. Without a single piece that is an answer nobody can use."""
        self._finished = True
        decoder = self._decoder
        assert decoder is not None
        if self.text or decoder.ended:
            return
        if decoder.garbage:
            raise ProtocolError(_('The platform answered with something that is not JSON (HTTP {status}): {snippet}.')
                                .format(status=200, snippet=repr(_readable(decoder.garbage_sample))) + ' ' +
                                _('Try again in a minute.'),
                                status=200, snippet=decoder.garbage_sample)
        raise ProtocolError(_('The platform ended the reply without a word. Try again.'), status=200)

    # --- clocks ---------------------------------------------------------------------------------------

    def _left(self, budget: float) -> float:
        return budget - (time.monotonic() - self._started)

    def _first_byte_timeout(self) -> UpstreamTimeout:
        return UpstreamTimeout(_('The platform did not start to answer within {seconds} seconds. It may be busy; '
                                 'try again in a minute.').format(seconds=f'{self._settings.first_byte_timeout:g}'))

    def _timeout(self) -> TransportError:
        if not self._got_byte:
            return self._first_byte_timeout()
        if self._left(self._settings.total_timeout) <= 0.01:
            return StreamInterrupted(_('The reply took longer than {seconds} seconds and was cut off there.')
                                     .format(seconds=f'{self._settings.total_timeout:g}'), self.text)
        return StreamInterrupted(_('The platform went silent in the middle of the reply (nothing for {seconds} '
                                   'seconds).').format(seconds=f'{self._settings.gap_timeout:g}'), self.text)


def _readable(snippet: str) -> str:
    """What a person would read on an error page: its words, not its markup."""
    return ' '.join(_TAG.sub(' ', snippet).split()) or snippet.strip()
