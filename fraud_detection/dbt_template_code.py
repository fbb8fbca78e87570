"""dbt's Jinja templates compiled once per process, not once per dbt command.

For each model, test, hook and description it renders, dbt builds a Jinja template from its text
(``get_template``: a new environment, then ``Environment.compile``: the template's text parsed,
turned into Python source and compiled by Python). A process that runs dbt again and again (the
refresh loop, the test suite) compiles the same texts every time: measured here, 174 compiles
and about 18% of a warm `dbt compile` of the project, and about a fifth of a full parse.

``install`` keeps the Python code object of each text dbt compiles, and gives it back when the
same text comes again to the same kind of environment. A code object is immutable, and each
template still runs it in a namespace, and with globals, of its own, as Jinja's own bytecode
cache does for templates loaded from files. dbt's environments differ only by class (text or
native rendering: different filters), which is in the key; their extensions and settings are
fixed (``dbt_common.clients.jinja.get_environment``). What a template renders is unchanged.

The cache holds at most ``MAX_TEMPLATES`` texts, the least recently used dropped first, so a
process that runs for months keeps it bounded even if some text changes every command.
"""

from __future__ import annotations

import threading
from collections import OrderedDict

MAX_TEMPLATES = 4096

_CODE: OrderedDict[tuple, object] = OrderedDict()
_LOCK = threading.Lock()  # dbt renders models on several threads


def install() -> None:
    """Compile each text once for dbt's Jinja environments in this process (once; dbt-common's
    own method stays reachable as ``_dbt_compile``). A dbt-common without that class (a later
    version) is left as it is, and the loop still runs, at dbt's own speed; the unit tests
    import the class, so they say so first."""
    try:
        from dbt_common.clients.jinja import MacroFuzzEnvironment
    except ImportError:
        return
    if hasattr(MacroFuzzEnvironment, "_dbt_compile"):
        return
    MacroFuzzEnvironment._dbt_compile = MacroFuzzEnvironment.compile
    MacroFuzzEnvironment.compile = _compile_once


def _compile_once(self, source, name=None, filename=None, raw=False, defer_init=False):
    if not isinstance(source, str):  # an already parsed template: nothing to key it by
        return self._dbt_compile(source, name, filename, raw, defer_init)
    key = (type(self), source, name, filename, raw, defer_init)
    with _LOCK:
        code = _CODE.get(key)
        if code is not None:
            _CODE.move_to_end(key)
            return code
    code = self._dbt_compile(source, name, filename, raw, defer_init)
    with _LOCK:
        _CODE[key] = code
        if len(_CODE) > MAX_TEMPLATES:
            _CODE.popitem(last=False)
    return code
