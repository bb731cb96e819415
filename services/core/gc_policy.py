"""The garbage collector's settings for a server process that holds many open pages.

Every open page is tens of thousands of Python objects (NiceGUI elements with their props, classes, style,
slots and listeners), and CPython's full collection walks every tracked object in the process. At a hundred
open studio pages an instance paused for up to 4 s per full collection (bench figure 10, gc pauses recorded by
bench/fig10_instance.py): longer than socket.io's ping timeout, so open pages lost their sockets.

What is done here is standard for long-running CPython servers:
- once start-up is over, `gc.freeze()` moves what start-up made (modules, the translation catalogues, the schema,
  NiceGUI itself: ~170,000 objects) out of every later collection. They live as long as the process does, so no
  collection could free them anyway;
- the collector runs less often (THRESHOLDS): CPython's defaults (700, 10, 10) suit a script, not a process
  that builds pages of several hundred elements for a hundred people; with them an instance of figure 10 ran
  16-18 full collections in three minutes, 11-13 s of pauses, and 4 s of young ones. Young collections stay
  short (a generation of 10,000 objects), a full one is considered after a hundred of the middle ones instead of
  ten. Cyclic garbage (a closed page's elements) is still collected, later.
"""

from __future__ import annotations

import gc
import logging

log = logging.getLogger(__name__)
THRESHOLDS = (10_000, 10, 100)


def after_start_up() -> None:
    """Called once the app has started (NiceGUI's on_startup), in the server process only."""
    gc.collect()  # what start-up left as garbage goes now, not frozen with the rest
    gc.freeze()
    gc.set_threshold(*THRESHOLDS)
    log.info('garbage collector: %d start-up objects frozen out of later collections', gc.get_freeze_count())
