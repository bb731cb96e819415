"""The streamed-reply decoder on every shape the contract leaves open: SSE events split anywhere, several in one
chunk, spread over several data lines, among comments and keep-alives; newline-delimited JSON; one plain
envelope; an abrupt end; garbage."""

from __future__ import annotations

import itertools
import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.platform.stream_decoder import End, Failure, Piece, ReplyDecoder, StreamEvent

SSE = 'text/event-stream'
REPLY = ['Hel', 'lo, ', '你好', ' — ', 'ça va? ', '😄']
SSE_BODY = (': connected\n\n' + ''.join(f'data: {json.dumps({"text": p}, ensure_ascii=False)}\n\n' for p in REPLY)
            + 'event: end\ndata: {"done": true}\n\n').encode()


def decode(chunks: list[bytes], **kwargs: str) -> tuple[list[StreamEvent], ReplyDecoder]:
    decoder = ReplyDecoder(**kwargs)
    events: list[StreamEvent] = []
    for chunk in chunks:
        events += decoder.feed(chunk)
    return events + decoder.close(), decoder


def texts(events: list[StreamEvent]) -> list[str]:
    return [e.text for e in events if isinstance(e, Piece)]


def test_a_reply_in_one_chunk() -> None:
    events, decoder = decode([SSE_BODY], content_type=SSE)
    assert texts(events) == REPLY and events[-1] == End()
    assert decoder.ended and not decoder.truncated and decoder.garbage == 0


def test_split_at_every_byte_even_inside_a_character() -> None:
    events, decoder = decode([SSE_BODY[i:i + 1] for i in range(len(SSE_BODY))], content_type=SSE)
    assert texts(events) == REPLY and decoder.ended


@given(st.lists(st.integers(min_value=0, max_value=len(SSE_BODY)), max_size=12))
def test_any_chunking_gives_the_same_events(cuts: list[int]) -> None:
    bounds = [0, *sorted(cuts), len(SSE_BODY)]
    chunks = [SSE_BODY[a:b] for a, b in itertools.pairwise(bounds)]
    assert decode(chunks, content_type=SSE)[0] == decode([SSE_BODY], content_type=SSE)[0]


def test_several_events_merged_into_one_chunk_and_crlf_and_cr_line_ends() -> None:
    body = b'data: {"text": "a"}\r\n\r\ndata: {"text": "b"}\r\rdata: {"text": "c"}\n\n'
    assert texts(decode([body], content_type=SSE)[0]) == ['a', 'b', 'c']
    # A CRLF cut between its two halves is still one line end, not an empty line that would dispatch early.
    events, _ = decode([b'data: {"text":\r', b'\ndata: "x"}\r', b'\n\r\n'], content_type=SSE)
    assert texts(events) == ['x']


def test_an_event_over_several_data_lines_is_joined_with_newlines() -> None:
    body = b'data: {"text":\ndata:  "two\\nlines"}\n\ndata: plain\ndata: text\n\n'
    assert texts(decode([body], content_type=SSE)[0]) == ['two\nlines', 'plain\ntext']


def test_comments_keep_alives_ids_and_retry_are_ignored() -> None:
    body = b': keep-alive\n\nid: 7\nretry: 3000\n:ping\ndata: {"text": "ok"}\n\n: keep-alive\n\n\n\n'
    events, decoder = decode([body], content_type=SSE)
    assert events == [Piece('ok')] and decoder.garbage == 0


def test_end_events_in_their_usual_spellings() -> None:
    for ending in (b'event: end\ndata: {}\n\n', b'event: done\n\n', b'data: [DONE]\n\n', b'data: {"done": true}\n\n',
                   b'data: {"type": "finish"}\n\n', b'data: {"text": "!", "finishReason": "stop"}\n\n'):
        events, decoder = decode([b'data: {"text": "hi"}\n\n' + ending + b'data: {"text": "after"}\n\n'],
                                 content_type=SSE)
        assert decoder.ended and isinstance(events[-1], End), ending
        assert 'after' not in texts(events)  # what follows an end is not part of the reply


def test_text_in_other_fields_and_one_level_down() -> None:
    body = b'\n'.join([b'{"content": "a"}', b'{"delta": {"content": "b"}}',
                       b'{"choices": [{"delta": {"content": "c"}}]}',
                       b'{"code": 10200, "success": true, "data": {"answer": "d"}}', b'"e"', b'{"other": 1}'])
    events, decoder = decode([body + b'\n'], content_type='application/x-ndjson')
    assert texts(events) == ['a', 'b', 'c', 'd', 'e'] and decoder.garbage == 0
    assert texts(decode([b'data: {"msg": "x"}\n\n'], content_type=SSE, text_fields=('msg',))[0]) == ['x']


def test_an_abrupt_end_keeps_what_came_and_says_it_was_cut() -> None:
    events, decoder = decode([b'data: {"text": "Hello, "}\n\ndata: {"text": "wor'], content_type=SSE)
    assert texts(events) == ['Hello, '] and not decoder.ended and decoder.truncated
    # An event whose data is complete but whose blank line never came is still read (leniently).
    events, decoder = decode([b'data: {"text": "a"}\n\ndata: {"text": "b"}\n'], content_type=SSE)
    assert texts(events) == ['a', 'b'] and decoder.truncated


def test_a_garbage_line_is_counted_and_skipped() -> None:
    body = b'data: {"text": "a"}\n\n<html>oops</html>\ndata: {"text": \n\ndata: {"text": "b"}\n\n'
    events, decoder = decode([body], content_type=SSE)
    assert texts(events) == ['a', 'b'] and decoder.garbage == 2 and decoder.garbage_sample == '<html>oops</html>'
    events, decoder = decode([b'{"text": "a"}\nnot json at all\n{"text": "b"}\n'], mode='ndjson')
    assert texts(events) == ['a', 'b'] and decoder.garbage == 1


def test_an_error_page_is_nothing_but_garbage() -> None:
    events, decoder = decode([b'<!DOCTYPE html><html><body>Service temporarily unavailable</body></html>'],
                             content_type='text/html')
    assert events == [] and decoder.garbage == 1 and 'Service temporarily' in decoder.garbage_sample


@pytest.mark.parametrize('content_type', ['application/json', '', 'text/plain'])
def test_a_plain_envelope_even_over_several_lines(content_type: str) -> None:
    error = {'code': 10400, 'success': False, 'message': 'Too many requests, please try again later',
             'data': None, 'traceId': 't' * 32}
    for body in (json.dumps(error), json.dumps(error, indent=2)):
        events, _ = decode([body.encode()], content_type=content_type)
        assert events == [Failure('Too many requests, please try again later', 10400, 't' * 32)]
    reply = {'code': 10200, 'success': True, 'message': 'OK', 'data': {'text': 'The whole reply.'}}
    assert texts(decode([json.dumps(reply, indent=1).encode()], content_type=content_type)[0]) == ['The whole reply.']


def test_errors_inside_a_stream() -> None:
    events, _ = decode([b'data: {"text": "a"}\n\nevent: error\ndata: {"code": 10500, "success": false, '
                        b'"message": "backend failed"}\n\n'], content_type=SSE)
    assert events == [Piece('a'), Failure('backend failed', 10500, None)]
    events, _ = decode([b'event: error\ndata: upstream went away\n\n'], content_type=SSE)
    assert events == [Failure('upstream went away')]
    events, _ = decode([b'{"error": {"message": "quota"}, "code": 10400}\n'], mode='ndjson')
    assert events == [Failure('quota', 10400)]


def test_auto_mode_tells_sse_from_json_lines_by_the_first_line() -> None:
    assert texts(decode([b'\n\ndata: {"text": "sse"}\n\n'])[0]) == ['sse']
    assert texts(decode([b'{"text": "nd"}\n{"text": "json"}'])[0]) == ['nd', 'json']


def test_line_separators_inside_json_strings_are_not_line_ends() -> None:
    body = '{"text": "a\u2028b\u0085c"}\n'.encode()
    assert texts(decode([body], mode='ndjson')[0]) == ['a\u2028b\u0085c']


def test_a_line_that_never_ends_does_not_grow_without_bound() -> None:
    decoder = ReplyDecoder(content_type=SSE)
    for _ in range(40):
        decoder.feed(b'x' * 64 * 1024)
    assert decoder.garbage >= 1 and len(decoder._partial) < 1024 * 1024
