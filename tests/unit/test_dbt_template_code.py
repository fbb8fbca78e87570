"""dbt's templates compiled once per process: a text compiled again is not compiled again, and
renders what dbt's own compile renders, with each template's own context."""

from __future__ import annotations

import pytest
from dbt.clients.jinja import get_rendered
from dbt_common.clients.jinja import MacroFuzzEnvironment

from fraud_detection import dbt_template_code


@pytest.fixture
def compiles(monkeypatch) -> list[str]:
    """The texts dbt-common's own compile is handed, from an empty cache."""
    dbt_template_code.install()
    seen: list[str] = []
    original = MacroFuzzEnvironment._dbt_compile

    def counted(self, source, *args):
        seen.append(source)
        return original(self, source, *args)

    monkeypatch.setattr(MacroFuzzEnvironment, "_dbt_compile", counted)
    monkeypatch.setattr(dbt_template_code, "_CODE", type(dbt_template_code._CODE)())
    return seen


def test_a_text_is_compiled_once_and_renders_each_context_its_own(compiles):
    text = "{{ amount * 2 }} for {{ customer }}"
    assert get_rendered(text, {"amount": 1, "customer": "a"}) == "2 for a"
    assert get_rendered(text, {"amount": 5, "customer": "b"}) == "10 for b"
    assert compiles == [text]


def test_text_and_native_rendering_keep_their_own_code(compiles):
    text = "{{ [1, 2] | length | as_number }}"
    assert get_rendered(text, {}) == "2"
    assert get_rendered(text, {}, native=True) == 2
    assert get_rendered(text, {}) == "2"
    assert compiles == [text, text]


def test_an_undefined_name_still_fails_every_time(compiles):
    from dbt_common.exceptions import CompilationError

    for _ in range(2):
        with pytest.raises(CompilationError, match="no_such_macro"):
            get_rendered("{{ no_such_macro() }}", {})


def test_the_cache_keeps_only_the_most_recently_used_texts(compiles, monkeypatch):
    monkeypatch.setattr(dbt_template_code, "MAX_TEMPLATES", 2)
    for text in ["{{ 1 }}", "{{ 2 }}", "{{ 1 }}", "{{ 3 }}", "{{ 1 }}", "{{ 2 }}"]:
        get_rendered(text, {})
    assert len(dbt_template_code._CODE) == 2
    assert compiles == ["{{ 1 }}", "{{ 2 }}", "{{ 3 }}", "{{ 2 }}"]


def test_installing_twice_keeps_dbts_own_compile():
    dbt_template_code.install()
    dbt_template_code.install()
    assert MacroFuzzEnvironment._dbt_compile is not dbt_template_code._compile_once
    assert MacroFuzzEnvironment.compile is dbt_template_code._compile_once
