"""A cheaper way for dbt to name the module that declared a behavior flag.

Every dbt command builds its adapter, and with it the adapter's behavior flags. For each flag,
dbt-common (``BehaviorFlagRendered._default_source``) calls ``inspect.stack()`` to find the
first caller outside its own module, only to name it in a warning that fires if the flag is
ever read while off. ``inspect.stack()`` reads the source lines of every frame, and for each
frame of a Jinja template (no file on disk) ``inspect.getmodule`` scans every loaded module
(python/cpython#92041: slower as the stack deepens and sys.modules grows). Measured here, a
`dbt show` against an already parsed project: 0.1 s in a fresh process, 0.4-1.3 s under a test
worker whose stack and sys.modules are deep, most of it in that call. In a plain process (the
refresh loop's) the stack is shallow and the call costs nothing measurable (a show's median
0.09 s either way), so only the tests install this.

The replacement walks the frames and reads each one's module name, which is what
``inspect.getmodule`` resolves for a frame of a module's code, and skips template frames as
it does (their globals have no module name). dbt's behavior is otherwise unchanged.
"""

from __future__ import annotations

import sys


def first_caller_module() -> str:
    """The module of the first frame outside dbt-common's behavior_flags, as
    ``BehaviorFlagRendered._default_source`` finds it."""
    from dbt_common import behavior_flags

    frame = sys._getframe(1)
    while frame is not None:
        name = frame.f_globals.get("__name__")
        if name and name != behavior_flags.__name__ and name in sys.modules:
            return name
        frame = frame.f_back
    return "Unknown"


def install() -> None:
    """Use ``first_caller_module`` for every behavior flag dbt builds in this process (once;
    dbt-common's own function stays reachable as ``_dbt_default_source``)."""
    from dbt_common.behavior_flags import BehaviorFlagRendered

    if not hasattr(BehaviorFlagRendered, "_dbt_default_source"):
        BehaviorFlagRendered._dbt_default_source = BehaviorFlagRendered._default_source
        BehaviorFlagRendered._default_source = staticmethod(first_caller_module)
