{#- dbt-core fails a node whose materialization issued no statement named main ("main is not
    being called during running model", _build_run_model_result in dbt's run task). A path that
    changes nothing issues this no-op as its main statement, outside any transaction. -#}
{% macro materialization_noop_main(reason) %}
    {% call statement('main', auto_begin=False) %}
        select '{{ reason }}' as nothing_changed
    {% endcall %}
{% endmacro %}
