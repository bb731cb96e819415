"""The sandbox's HTTP routes, one module per concern; app.py maps the paths onto them.

options.py   POST /v1/config/options
uploads.py   POST /v1/agent/ref-image, POST /v1/agent/face-detect
agents.py    POST /v1/agent/cover, POST /v1/agent/create, POST /v1/agent/list
chat.py      POST /v1/chat/conversation, POST /v1/chat/stream, POST /v1/chat/image
cdn.py       GET  /cdn/options/..., /cdn/covers/..., /cdn/official/... (image URLs, unauthenticated)
control.py   GET/POST/DELETE /_sandbox/faults, GET/POST /_sandbox/latency and /_sandbox/chat, GET/POST/DELETE
             /_sandbox/keys (a local program only: guard.py)
"""
