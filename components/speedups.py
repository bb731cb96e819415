"""NiceGUI under load: a cache for `helpers.expects_arguments` (the hottest function of a busy studio instance),
and the page build timeout the busy pages use.

NiceGUI 3.18 calls `expects_arguments(on_change)` (an `inspect.signature` of the handler) three times for every
element it creates (its classes, style and props are observable collections with a bound-method change handler),
and again for each tab's storage. A studio page is a few hundred elements, so py-spy on an instance during the
capacity figure (bench/fig10_capacity.py, docs/deploy.md "Capacity") found 22 % of the event loop's busy time in
`inspect.signature`, all of it recomputing the same answer for the same few methods.

The answer for a bound method depends only on its function (the signature of `obj.method` is that of
`type(obj).method` without its first parameter), so it is cached per function; plain functions are cached too.
Anything else (partials, callable objects, functions whose signature is overridden by `__signature__` or
`__wrapped__`) goes to NiceGUI's own code every time, as before.
"""

from __future__ import annotations

import types
import weakref
from collections.abc import Callable
from typing import Any

import nicegui.helpers

_original: Callable[[Callable[..., Any]], bool] = nicegui.helpers.expects_arguments
_bound: weakref.WeakKeyDictionary[types.FunctionType, bool] = weakref.WeakKeyDictionary()
_plain: weakref.WeakKeyDictionary[types.FunctionType, bool] = weakref.WeakKeyDictionary()


def _cacheable(function: object) -> bool:
    # A decorator may override what inspect.signature reports; such functions are not cached.
    return type(function) is types.FunctionType and not hasattr(function, '__signature__') \
        and not hasattr(function, '__wrapped__')


def expects_arguments(func: Callable[..., Any]) -> bool:
    """`nicegui.helpers.expects_arguments`, remembered per function."""
    if type(func) is types.MethodType and _cacheable(func.__func__):
        cache, key = _bound, func.__func__
    elif _cacheable(func):
        cache, key = _plain, func
    else:
        return _original(func)
    try:
        return cache[key]  # type: ignore[index]  # key is a FunctionType: _cacheable checked it
    except KeyError:
        answer = cache[key] = _original(func)  # type: ignore[index]
        return answer


def install() -> None:
    """Replace NiceGUI's helper; its modules look it up as `helpers.expects_arguments` on every call, so they all
    use the cached one from now on. Idempotent."""
    nicegui.helpers.expects_arguments = expects_arguments


# How long a page's build may await (its database reads) before NiceGUI gives up. NiceGUI's 3 s default answers
# 500 "the page took longer than the response_timeout" when a busy instance is slow, which in the capacity figure
# lost the person's page (12 of them in one run of 200 flows): a page that comes late is better than an error.
PAGE_BUILD_TIMEOUT = 20.0
