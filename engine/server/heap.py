"""Shorter full garbage collections in a long-running server: what lives as long as the process is frozen out of them.

CPython's full collection walks every object the process tracks. In a warm server (about 130 000 objects: modules,
compiled definitions, connection pools, kept workflows) one took 60-110 ms on the 2-core machine, a few times per
thousand completions, and every request in flight waited for it: under 50 concurrent clients those pauses were the
99th-percentile latency. `gc.freeze()` at start-up, once the modules a request needs are imported, moves the objects
alive then (about 55 000) to a generation the collector never walks; a full collection then took 20-60 ms. Everything
created afterwards is collected as before. Cost: a reference cycle among the frozen objects is never freed, and they
live as long as the process anyway.
"""

from __future__ import annotations

import gc


def settle() -> None:
    """Import what every request needs, collect what is garbage now, freeze the rest."""
    import engine.runtime  # noqa: F401  (the workflow engine: the bulk of the objects a first request would add)
    import engine.service  # noqa: F401
    import engine.usecases.complete  # noqa: F401
    import engine.usecases.read  # noqa: F401
    import engine.usecases.start  # noqa: F401

    gc.collect()
    gc.freeze()
