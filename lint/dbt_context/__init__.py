"""Offline stand-ins for dbt's Jinja context, so that sqlfluff's jinja templater renders the
project's models as dbt renders them for the redshift target, with no profile, no credentials
and no warehouse.

sqlfluff loads this package through ``library_path`` in ``.sqlfluff``: every public name here
becomes a Jinja global, and takes precedence over sqlfluff's own dbt builtins
(``apply_dbt_builtins``), which still provide ``ref``, ``source``, ``this`` and ``return``.
The project's macros are loaded with ``load_macros_from_path``; ``adapter.dispatch`` picks
their ``redshift__`` variant, else ``postgres__`` (dbt-redshift inherits from dbt-postgres),
else ``default__``, as dbt does. ``var()`` gives the call's default, else the project's value
from dbt_project.yml, so lint sees the same branches as an offline
``dbt compile --target redshift`` (``is_incremental()`` is true, to lint incremental filters).
"""

from __future__ import annotations

# Every public name of this module is a Jinja global: the imports are kept private.
import datetime as _datetime_module
import hashlib as _hashlib
import json as _json
import re as _re
from datetime import UTC as _UTC
from datetime import datetime as _datetime
from types import SimpleNamespace as _Namespace
from typing import Any

from jinja2 import TemplateRuntimeError as _TemplateRuntimeError
from jinja2 import pass_context as _pass_context
from jinja2.runtime import Context as _Context
from jinja2.runtime import missing as _missing

from common.paths import PROJECT_DIR as _PROJECT_DIR

_DISPATCH_PREFIXES = ("redshift__", "postgres__", "default__")


def _project_vars() -> dict[str, Any]:
    """The vars of dbt_project.yml (raw: Jinja in their values is not rendered)."""
    try:
        import yaml  # dbt depends on PyYAML
    except ImportError:  # pragma: no cover - lint without dbt installed
        return {}
    project = yaml.safe_load((_PROJECT_DIR / "dbt_project.yml").read_text()) or {}
    return project.get("vars") or {}


_VARS = _project_vars()
_NO_DEFAULT = object()


def _catch_return_in_every_macro() -> None:
    """Make every macro call give what the macro passed to dbt's ``return()``, as in dbt.

    sqlfluff implements ``return()`` by raising ``MacroReturn``, caught only around the
    macros it puts in the context: a macro called from another macro of the same file (our
    ``transaction_features`` calls ``customer_windows``) is Jinja's own ``Macro``, so the
    value escaped to the outer macro and replaced its whole output. Patched once a process.
    """
    from jinja2.runtime import Macro
    from sqlfluff.core.templaters.builtins.dbt import MacroReturn

    if getattr(Macro, "_dbt_return_caught", False):
        return
    invoke = Macro._invoke

    def invoke_catching_return(self: Macro, arguments: list[Any], autoescape: bool) -> Any:
        try:
            return invoke(self, arguments, autoescape)
        except MacroReturn as returned:
            return returned.value

    Macro._invoke = invoke_catching_return
    Macro._dbt_return_caught = True


_catch_return_in_every_macro()


class _Adapter:
    """``adapter``: dispatch only (the one adapter method that renders SQL in models)."""

    @_pass_context
    def dispatch(self, context: _Context, macro_name: str, macro_namespace: str | None = None):
        for prefix in _DISPATCH_PREFIXES:
            macro = context.resolve_or_missing(prefix + macro_name)
            if macro is not _missing:
                return macro
        raise _TemplateRuntimeError(
            f"adapter.dispatch: no redshift__, postgres__ or default__ {macro_name}"
        )


class _Config:
    """``config``: ``config(...)`` renders nothing; ``config.get`` reads what it was given."""

    def __init__(self) -> None:
        self._values: dict[str, Any] = {}

    def __call__(self, *args: Any, **kwargs: Any) -> str:
        self._values.update(kwargs)
        return ""

    def get(self, name: str, default: Any = None) -> Any:
        return self._values.get(name, default)

    def require(self, name: str) -> Any:
        return self._values[name]


class _Exceptions:
    """``exceptions``: a compiler error fails the render, as in dbt."""

    def raise_compiler_error(self, message: str) -> None:
        raise _TemplateRuntimeError(message)

    def warn(self, message: str) -> str:
        return ""


class _DbtUtils:
    """``dbt``: the cross-database macros the project uses, as dbt-redshift 1.11 renders them."""

    def dateadd(self, datepart: str, interval: Any, from_date_or_timestamp: str) -> str:
        return f"dateadd({datepart}, {interval}, {from_date_or_timestamp})"

    def datediff(self, first_date: str, second_date: str, datepart: str) -> str:
        return f"datediff({datepart}, {first_date}, {second_date})"

    def date_trunc(self, datepart: str, date: str) -> str:
        return f"date_trunc('{datepart}', {date})"

    def current_timestamp(self) -> str:
        return "getdate()"

    def type_numeric(self) -> str:
        return "numeric(28,6)"

    def type_float(self) -> str:
        return "float"

    def concat(self, fields: list[str]) -> str:
        return " || ".join(fields)

    def safe_cast(self, field: str, type: str) -> str:
        return f"cast({field} as {type})"


# Lint renders as an offline compile does (no warehouse is asked anything), with the values
# a deployment sets (dbt_project.yml holds env_var() calls lint does not render); a Redshift ML
# model needs its S3 bucket to compile.
_LINT_VARS = {
    "offline_compile": True,
    "redshift_ml_s3_bucket": "lint-bucket",
    "redshift_iam_role": "default",
}


def var(name: str, default: Any = _NO_DEFAULT) -> Any:
    if name in _LINT_VARS:
        return _LINT_VARS[name]
    if default is not _NO_DEFAULT:
        return default
    return _VARS.get(name, name)


def env_var(name: str, default: str | None = None) -> str:
    # Never the environment: lint renders the same on every machine, secrets never appear.
    return default if default is not None else name


def is_incremental() -> bool:
    return True


def local_md5(value: str) -> str:
    return _hashlib.md5(value.encode()).hexdigest()


def tojson(value: Any, sort_keys: bool = False) -> str:
    return _json.dumps(value, sort_keys=sort_keys)


def log(message: str, info: bool = False) -> str:
    return ""


def should_full_refresh() -> bool:
    return False


adapter = _Adapter()
config = _Config()
exceptions = _Exceptions()
dbt = _DbtUtils()
execute = True
target = _Namespace(
    type="redshift",
    name="redshift",
    profile_name="fraud_detection",
    database="dev",
    schema="fraud_detection",
    threads=4,
)
model = _Namespace(name="this_model", config={}, meta={})
modules = _Namespace(re=_re, datetime=_datetime_module)  # dbt's modules.datetime: the module
# Fixed, so that lint renders the same on every run (dbt: the start of the invocation, UTC).
run_started_at = _datetime(2018, 4, 1, tzinfo=_UTC)
invocation_id = "00000000-0000-0000-0000-000000000000"
