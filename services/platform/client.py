"""The async client for the character platform's open API.

One `httpx.AsyncClient` (one connection pool) serves every user; credentials travel with each call, so
a thousand signed-in people never mean a thousand pools. Signing happens in `PlatformAuth`, on the
request exactly as it is sent.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar
from urllib.parse import urlsplit

import httpx
from pydantic import BaseModel, ValidationError

from services.core.chat_settings import ChatSettings
from services.core.i18n import N_, _
from services.core.logs import log_fields
from services.core.secret import Secret, register_sensitive, scrub
from services.core.settings import EndpointPaths, Settings
from services.platform.chat_models import ChatImage, ChatImageRequest, ChatRequest, Conversation, ConversationRequest
from services.platform.errors import (
    AuthenticationError,
    BusinessError,
    PlatformError,
    ProtocolError,
    TransportError,
    UpstreamTimeout,
    UpstreamUnreachable,
)
from services.platform.exchange import Exchange, Result, SignedRequestInfo
from services.platform.models import (
    AgentListRequest,
    AgentPage,
    Cover,
    CoverRequest,
    CreateAgentRequest,
    CreatedAgent,
    Envelope,
    FaceCheck,
    Gender,
    Option,
    Options,
    OptionsRequest,
    RefImage,
    wire,
)
from services.platform.pools import Pools
from services.platform.signing import PlatformAuth
from services.platform.streaming import ReplyStream

log = logging.getLogger(__name__)
# The request records live in services/platform/exchange.py; importable from the client as before.
__all__ = ['Credentials', 'Exchange', 'PlatformClient', 'Result', 'SignedRequestInfo']

M = TypeVar('M', bound=BaseModel)

RETRY_TRIES = 3
RETRY_BACKOFF = (0.5, 1.5)
_TAG = re.compile(r'<[^>]*>?')
LARGE_BODY = 256 * 1024  # bytes of answer above which parsing leaves the event loop
SKEW_TOLERANCE = 30.0  # seconds of disagreement with the server clock before we correct ours


@dataclass(frozen=True)
class Credentials:
    """Who signs: the API key, its secret, and the end user the call is made for (X-User-ID)."""

    api_key: str
    api_secret: Secret
    user_id: str
    # Who in the studio the call is made for (Principal.owner_id), so the request log files it under that person.
    # Never sent: the platform knows the end user by user_id alone.
    owner: str = ''

    def __post_init__(self) -> None:
        register_sensitive(self.api_key)  # the log filter scrubs the key as well as the secret

    def __repr__(self) -> str:
        return f'Credentials(user_id={self.user_id!r})'


@dataclass
class PlatformClient:
    base_url: str
    paths: EndpointPaths = field(default_factory=EndpointPaths)
    timeout: float = 30.0
    slow_timeout: float = 360.0
    connect_timeout: float = 10.0
    transport: httpx.AsyncBaseTransport | None = None
    on_signed: Callable[[SignedRequestInfo], None] | None = None
    # Told of every request once it is answered or has failed; they run on the event loop, so they only queue work.
    observers: list[Callable[[Exchange], None]] = field(default_factory=list)
    clock_offset: float = 0.0  # server time minus our time, learnt from a 401's envelope
    chat: ChatSettings = field(default_factory=ChatSettings)  # conversation paths, stream shape and clocks
    _pools: Pools = field(init=False, repr=False)

    def __post_init__(self) -> None:
        # 'https://api.example.com/' + '/v1/...' would request and sign '//v1/...'.
        self.base_url = self.base_url.rstrip('/')
        self._pools = Pools(self.transport)

    @classmethod
    def from_settings(cls, settings: Settings, *, base_url: str | None = None,
                      transport: httpx.AsyncBaseTransport | None = None) -> PlatformClient:
        return cls(base_url=base_url or settings.base_url, paths=settings.paths, timeout=settings.timeout,
                   slow_timeout=settings.slow_timeout, connect_timeout=settings.connect_timeout,
                   transport=transport, chat=settings.chat)

    @property
    def http(self) -> httpx.AsyncClient:
        """The pool for quick calls and streams (services/platform/pools.py)."""
        return self._pools.quick

    async def aclose(self) -> None:
        await self._pools.aclose()

    # --- endpoints -------------------------------------------------------------------------------------

    async def options(self, creds: Credentials, *, namespace: str = 'custom_agent', gender: Gender | None = None,
                      language: str | None = 'en') -> Options:
        body = wire(OptionsRequest(namespace=namespace, gender=gender, language=language))
        result = await self._call(creds, self.paths.options, json=body, idempotent=True)
        if not isinstance(result.data, dict):
            raise self._shape_error(N_('options'), N_('a map of categories'))
        try:
            return {str(cat): [Option.model_validate(o) for o in items or []] for cat, items in result.data.items()}
        except (ValidationError, TypeError):
            raise self._shape_error(N_('options'), N_('lists of options with a code')) from None

    async def upload_ref_image(self, creds: Credentials, content: bytes, filename: str,
                               content_type: str) -> RefImage:
        result = await self._call(creds, self.paths.ref_image, files={'file': (filename, content, content_type)})
        return self._model(RefImage, result, N_('reference-image upload'))

    async def face_detect(self, creds: Credentials, content: bytes, filename: str, content_type: str) -> FaceCheck:
        result = await self._call(creds, self.paths.face_detect, files={'file': (filename, content, content_type)})
        return self._model(FaceCheck, result, N_('face check'))

    async def generate_cover(self, creds: Credentials, request: CoverRequest) -> tuple[Cover, str | None]:
        # Never retried: generation is slow, not idempotent and costs money.
        result = await self._call(creds, self.paths.cover, json=wire(request), slow=True)
        return self._model(Cover, result, N_('cover generation')), result.trace_id

    async def create_agent(self, creds: Credentials, request: CreateAgentRequest) -> tuple[CreatedAgent, str | None]:
        result = await self._call(creds, self.paths.create, json=wire(request), slow=True)
        return self._model(CreatedAgent, result, N_('agent creation')), result.trace_id

    async def list_agents(self, creds: Credentials, request: AgentListRequest | None = None) -> AgentPage:
        body = wire(request or AgentListRequest())
        result = await self._call(creds, self.paths.list, json=body, idempotent=True)
        return self._model(AgentPage, result, N_('agent list'))

    # --- conversations (docs/platform-api.md: conversation, stream, image) --------------------------------

    async def create_conversation(self, creds: Credentials, agent_id: str) -> tuple[Conversation, str | None]:
        # Not retried: each call makes a conversation, and a second one would orphan the first.
        result = await self._call(creds, self.chat.conversation_path, json=wire(ConversationRequest(agentId=agent_id)))
        return self._model(Conversation, result, N_('conversation start')), result.trace_id

    def chat_stream(self, creds: Credentials, request: ChatRequest) -> ReplyStream:
        """The streamed reply to one message: `async with client.chat_stream(...) as reply: async for piece in reply`.
        See services/platform/streaming.py for its clocks and why it is never retried once sent."""
        return ReplyStream(self, creds, request)

    async def chat_image(self, creds: Credentials, request: ChatImageRequest) -> tuple[ChatImage, str | None]:
        # Never retried: 30-90 s of paid generation.
        result = await self._call(creds, self.chat.image_path, json=wire(request), budget=self.chat.image_timeout)
        return self._model(ChatImage, result, N_('chat picture')), result.trace_id

    def signer(self, creds: Credentials, exchange: Exchange | None = None) -> PlatformAuth:
        """The request signature for `creds`, with the corrected clock; every call, streamed or not, uses it.
        `exchange`, when given, is the request log's record of this request, which learns the signed string."""
        return PlatformAuth(creds.api_key, creds.api_secret, creds.user_id, path_prefix=self._prefix,
                            clock=lambda: time.time() + self.clock_offset,
                            on_signed=lambda request, base: self._report_signed(request, base, exchange))

    # --- the envelope, retries and clock skew -----------------------------------------------------------

    async def _call(self, creds: Credentials, path: str, *, json: dict[str, Any] | None = None,
                    files: dict[str, Any] | None = None, slow: bool = False, idempotent: bool = False,
                    budget: float | None = None) -> Result:
        # Every log line of the call (retries, clock skew) names the endpoint and the person it was for.
        with log_fields(endpoint=path, person=creds.owner or creds.user_id):
            return await self._call_with_retries(creds, path, json=json, files=files, slow=slow, idempotent=idempotent,
                                                 budget=budget)

    async def _call_with_retries(self, creds: Credentials, path: str, *, json: dict[str, Any] | None,
                                 files: dict[str, Any] | None, slow: bool, idempotent: bool,
                                 budget: float | None) -> Result:
        tries = RETRY_TRIES if idempotent else 1
        skew_retry_left = True
        attempt = 0
        call_id = uuid.uuid4().hex
        while True:
            attempt += 1
            try:
                return await self._observed(creds, path, call_id, attempt, not skew_retry_left, json=json,
                                            files=files, slow=slow, budget=budget)
            except AuthenticationError as error:
                # The only safe automatic retry for every endpoint: the platform refused before doing work.
                if skew_retry_left and self._learn_clock_skew(error):
                    skew_retry_left = False
                    attempt -= 1
                    continue
                raise
            except PlatformError as error:
                if not (error.retryable and attempt < tries):
                    raise
                delay = RETRY_BACKOFF[min(attempt - 1, len(RETRY_BACKOFF) - 1)]
                log.warning('%s failed (%s); retry %d of %d in %.1fs', path, error, attempt, tries - 1, delay)
                await asyncio.sleep(delay)

    async def _observed(self, creds: Credentials, path: str, call_id: str, attempt: int, resigned: bool, *,
                        json: dict[str, Any] | None, files: dict[str, Any] | None, slow: bool,
                        budget: float | None) -> Result:
        """One request, and every observer told what came of it."""
        exchange = self.exchange(creds, path, call_id, attempt, resigned)
        try:
            exchange.result = await self._send_once(creds, path, json=json, files=files, slow=slow, budget=budget,
                                                    exchange=exchange)
            return exchange.result
        except BaseException as error:
            exchange.error = error
            raise
        finally:
            self.report(exchange)

    def exchange(self, creds: Credentials, path: str, call_id: str, attempt: int = 1,
                 resigned: bool = False) -> Exchange:
        """The record of one request about to be signed and sent (streamed replies make theirs too)."""
        return Exchange(call_id, path, creds.user_id, creds.owner, attempt, resigned, self.clock_offset, time.time())

    def report(self, exchange: Exchange) -> None:
        """Tell every observer what came of a request: the one place each request's outcome is reported."""
        exchange.duration = time.perf_counter() - exchange.began
        for observer in self.observers:
            try:  # the request log or the metrics failing must never fail the call itself
                observer(exchange)
            except Exception:
                log.exception('request observer %r failed', observer)

    async def _send_once(self, creds: Credentials, path: str, *, json: dict[str, Any] | None,
                         files: dict[str, Any] | None, slow: bool, budget: float | None = None,
                         exchange: Exchange | None = None) -> Result:
        auth = self.signer(creds, exchange)
        budget = budget or (self.slow_timeout if slow else self.timeout)
        timeout = httpx.Timeout(budget, connect=min(self.connect_timeout, budget))
        url = self.base_url + path
        try:
            http = self._pools.slow() if slow else self.http
            request = http.build_request('POST', url, json=json, files=files, timeout=timeout)
            response = await http.send(request, auth=auth)
            if exchange is not None:
                exchange.response = response
        except httpx.TimeoutException:
            raise UpstreamTimeout(_('The platform did not answer within {seconds} seconds. It may be busy; try again '
                                    'in a minute.').format(seconds=f'{budget:g}')) from None
        except (httpx.ConnectError, httpx.UnsupportedProtocol):
            raise UpstreamUnreachable(_('The platform at {host} could not be reached. Check the network or the '
                                        'configured address, or try again in a minute.').format(host=self._host)) \
                from None
        except (httpx.RemoteProtocolError, httpx.ReadError, httpx.WriteError):
            raise UpstreamUnreachable(_('The connection to the platform was dropped before it answered. '
                                        'Try again.')) from None
        except httpx.HTTPError as error:
            raise TransportError(_('Talking to the platform failed ({error}). Try again.')
                                 .format(error=type(error).__name__)) from None
        if len(response.content) > LARGE_BODY:
            # A cover's data URL is megabytes of JSON; parsing it on the loop would stall every other user.
            return await asyncio.to_thread(self._read_envelope, response)
        return self._read_envelope(response)

    def _report_signed(self, request: httpx.Request, signed_string: str, exchange: Exchange | None = None) -> None:
        if exchange is not None:
            exchange.request, exchange.signed_string = request, signed_string
        if self.on_signed is not None:
            self.on_signed(SignedRequestInfo(request.method, str(request.url), dict(request.headers), signed_string,
                                             request.content))

    def _read_envelope(self, response: httpx.Response) -> Result:
        status = response.status_code
        # Scrubbed: a misbehaving proxy may echo the request, Authorization header included.
        snippet = scrub(response.content[:200].decode('utf-8', 'replace'))
        try:
            envelope = Envelope.model_validate_json(response.content)
        except ValidationError:
            envelope = None
        if status == 401:
            detail = envelope.message if envelope and envelope.message else _('authentication failed')
            refused = AuthenticationError(_('The platform refused the credentials: {detail}. Check the API key, '
                                            'secret and user id.') \
                                                .format(detail=detail), code=envelope.code if envelope else None,
                                          trace_id=envelope.traceId if envelope else None, status=401)
            refused.server_timestamp = envelope.timestamp if envelope else None
            raise refused
        if envelope is None:
            if not _is_json(response.content):
                text = _('The platform answered with something that is not JSON (HTTP {status}): {snippet}.')
            else:
                text = _('The platform answered with something that is not the documented envelope (HTTP {status}): '
                         '{snippet}.')
            text = text.format(status=status, snippet=repr(_readable(snippet)))
            if status >= 500:
                text += ' ' + _('The platform seems to be having problems; try again in a minute.')
            raise ProtocolError(text, status=status, snippet=snippet)
        if not envelope.success:
            failed = BusinessError(envelope.message or _('The platform reported error {code}.')
                                   .format(code=envelope.code),
                                   code=envelope.code, trace_id=envelope.traceId, status=status)
            failed.retryable = status >= 500  # an envelope on HTTP 5xx is a server fault, like a bare 5xx
            raise failed
        if status >= 400:
            raise ProtocolError(_('The platform answered HTTP {status} with a success envelope.').format(status=status),
                                status=status,
                                snippet=snippet, trace_id=envelope.traceId)
        return Result(envelope.data, envelope.traceId)

    def _learn_clock_skew(self, error: AuthenticationError) -> bool:
        """When the server's clock disagrees with ours, adopt its offset; True means: retry once."""
        raw = error.server_timestamp
        try:
            server_now = int(str(raw)) / 1000.0
        except (TypeError, ValueError):
            return False
        offset = server_now - time.time()
        if abs(offset - self.clock_offset) <= SKEW_TOLERANCE:
            return False
        log.warning('Platform clock differs from ours by %.0f s; signing with the corrected time', offset)
        self.clock_offset = offset
        return True

    def _model(self, model: type[M], result: Result, what: str) -> M:
        try:
            return model.model_validate(result.data)
        except ValidationError as error:
            fields = ', '.join(sorted({str(e['loc'][0]) for e in error.errors() if e['loc']})) or 'data'
            raise ProtocolError(_("The platform's answer to the {what} was missing or had malformed fields: "
                                  '{fields}.').format(what=_(what), fields=fields), trace_id=result.trace_id) from None

    def _shape_error(self, what: str, expected: str) -> ProtocolError:
        return ProtocolError(_("The platform's answer to {what} was not {expected}.").format(what=_(what),
                                                                                               expected=_(expected)))

    @property
    def _prefix(self) -> str:
        return urlsplit(self.base_url).path.rstrip('/')

    @property
    def _host(self) -> str:
        return urlsplit(self.base_url).netloc or self.base_url


def _readable(snippet: str) -> str:
    """What a person would read on that page: an nginx error page becomes "502 Bad Gateway nginx", not markup."""
    text = ' '.join(_TAG.sub(' ', snippet).split())
    return text or snippet.strip()


def _is_json(content: bytes) -> bool:
    try:
        json.loads(content)
    except ValueError:
        return False
    return True
