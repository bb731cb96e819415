"""The embedded sandbox platform: a faithful local stand-in for the character platform's open API.

Same paths, envelope, signature check, errors and slowness as the real platform (see
docs/sandbox.md), so the app, its tests and demos exercise the real code paths.
"""
