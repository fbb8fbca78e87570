{#- streaming_materialized_view on Redshift: see default.sql for what it does on every adapter. -#}

{% materialization streaming_materialized_view, adapter='redshift' %}
    {%- set target_relation = this.incorporate(type='materialized_view') -%}
    {%- set existing_relation = load_cached_relation(this) -%}
    {%- set settings = streaming_view_settings() -%}
    {%- do redshift_stream_name_case_check(settings) -%}
    {%- set state = definition_state_relation(this) -%}
    {%- set fingerprint = streaming_view_fingerprint(sql, settings) -%}

    {{ run_hooks(pre_hooks, inside_transaction=False) }}
    {% call statement('create_state', auto_begin=False) %}
        {{ definition_state_create_sql(state) }}
    {% endcall %}
    {%- set stored = definition_state_stored(state, this) -%}
    {%- set action = streaming_view_action(
        existing_relation is not none, stored[0], fingerprint, settings.auto_refresh) -%}
    {%- set dependents = views_reading(target_relation) if action == 'rebuild' else [] -%}
    {%- set statements = streaming_view_statements(
        action, target_relation, state, settings, sql, fingerprint, stored[1], dependents) -%}
    {{ log(model.name ~ ": " ~ action ~ (" (auto refresh is on)" if action == 'skip' else ""), info=true) }}

    {%- for statement_sql in statements %}
        {% call statement('main' if loop.last else 'step_' ~ loop.index, auto_begin=False) %}
            {{ statement_sql }}
        {% endcall %}
    {%- else %}
        {{ materialization_noop_main(action) }}
    {%- endfor %}

    {{ run_hooks(post_hooks, inside_transaction=False) }}
    {{ return({'relations': [target_relation]}) }}
{% endmaterialization %}
