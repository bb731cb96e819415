"""The conversation commands of `python -m services.cli` (docs/platform-api.md, from "start a conversation"):

    python -m services.cli conversation --agent-id AGENT
    python -m services.cli chat --agent-id AGENT --conversation-id CONV --text 'Hello!'
    python -m services.cli chat-image --agent-id AGENT --conversation-id CONV --text 'at the beach' --out pic.png

`chat` prints the reply on stdout as it streams, piece by piece (so a terminal shows it growing), then a newline;
the others print JSON like every command. Exit codes are the same as for every command (services/cli/api.py); a
reply cut off in the middle keeps what was printed and exits 15.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any, TextIO

from services.cli.common import EXIT_USAGE, CliError, check_writable, decode_data_url, write_image
from services.platform.chat_models import ChatImageRequest, ChatRequest
from services.platform.client import Credentials, PlatformClient

COMMANDS = ('conversation', 'chat', 'chat-image')


def add_commands(commands: Any, common: argparse.ArgumentParser) -> None:
    """Add the three sub-commands to the CLI's sub-parsers."""
    conversation = commands.add_parser('conversation', parents=[common],
                                       help='start a conversation with an agent; prints its conversationId')
    conversation.add_argument('--agent-id', required=True, help='agentId (from the create or list command)')

    chat = commands.add_parser('chat', parents=[common], help='send a message; prints the reply as it streams',
                               description='Send one message in a conversation and print the reply as it arrives. '
                                           'Never retried once sent.')
    image = commands.add_parser('chat-image', parents=[common],
                                help='ask for a picture in a conversation (slow: 30-90 s)')
    for sub in (chat, image):
        sub.add_argument('--agent-id', required=True, help='agentId')
        sub.add_argument('--conversation-id', required=True, help='conversationId (from the conversation command)')
        sub.add_argument('--text', required=True, help='the message' if sub is chat else 'what to draw')
    image.add_argument('--language', default='en', help='language (default en)')
    image.add_argument('--metadata', default='{}', help='a JSON object, echoed back (default {})')
    image.add_argument('--out', type=Path, metavar='FILE', required=True, help='write the picture to FILE')
    image.add_argument('--full', action='store_true', help='also print base64Image in full')


async def run(args: argparse.Namespace, client: PlatformClient, creds: Credentials, stdout: TextIO) -> Any:
    """The command's JSON result, or None when it printed its own output (chat)."""
    if args.command == 'conversation':
        conversation, trace_id = await client.create_conversation(creds, args.agent_id)
        return {**conversation.model_dump(mode='json'), 'traceId': trace_id}
    if args.command == 'chat':
        request = ChatRequest(agentId=args.agent_id, conversationId=args.conversation_id, text=args.text)
        try:
            async with client.chat_stream(creds, request) as reply:
                async for piece in reply:
                    stdout.write(piece)
                    stdout.flush()
        finally:
            stdout.write('\n')  # also after a reply that broke off: the error starts on a line of its own
            stdout.flush()
        return None
    try:
        metadata = json.loads(args.metadata)
    except ValueError:
        metadata = None
    if not isinstance(metadata, dict):
        raise CliError('--metadata must be a JSON object, e.g. {} or {"note": "x"}', EXIT_USAGE)
    check_writable(args.out)  # before the slow, paid generation, not after it
    request_image = ChatImageRequest(agentId=args.agent_id, conversationId=args.conversation_id, text=args.text,
                                     language=args.language, metadata=metadata)
    picture, trace_id = await client.chat_image(creds, request_image)
    image, image_type = decode_data_url(picture.base64Image)
    write_image(args.out, image, 'the picture is lost: ask for it again')
    output: dict[str, Any] = {'metadata': picture.metadata, 'traceId': trace_id, 'imageFile': str(args.out),
                              'imageType': image_type, 'imageBytes': len(image)}
    output['base64Image'] = picture.base64Image if args.full else \
        f'<{len(picture.base64Image)} characters; --full prints them>'
    return output
