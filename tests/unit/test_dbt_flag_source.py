"""The cheaper flag source names the same module as dbt-common's own, from module code and from
code with no module (as a Jinja template's is)."""

from __future__ import annotations

from dbt_common.behavior_flags import Behavior, BehaviorFlagRendered

from fraud_detection.testing import dbt_flag_source

FLAG = {"name": "some_flag", "default": False, "description": "a flag for this test"}


def flag_source() -> str:
    """The module dbt names for a flag built here."""
    behavior = Behavior([FLAG], {})
    return behavior.some_flag._behavior_change_event.flag_source


def built_by_both() -> tuple[str, str]:
    dbt_flag_source.install()
    cheap = flag_source()
    BehaviorFlagRendered._default_source = staticmethod(BehaviorFlagRendered._dbt_default_source)
    try:
        return cheap, flag_source()
    finally:
        BehaviorFlagRendered._default_source = staticmethod(dbt_flag_source.first_caller_module)


def test_a_flag_built_in_module_code_names_that_module():
    assert built_by_both() == (__name__, __name__)


def test_frames_with_no_module_are_skipped_as_dbt_skips_them():
    # Code compiled from a string, run with globals that name no module: a template's frame.
    template_globals = {"built_by_both": built_by_both}
    exec(compile("result = built_by_both()", "<template>", "exec"), template_globals)
    assert template_globals["result"] == (__name__, __name__)


def test_installing_twice_keeps_dbts_own_function():
    dbt_flag_source.install()
    dbt_flag_source.install()
    assert BehaviorFlagRendered._dbt_default_source is not dbt_flag_source.first_caller_module
    assert BehaviorFlagRendered._default_source is dbt_flag_source.first_caller_module
