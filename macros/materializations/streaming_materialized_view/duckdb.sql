{#- streaming_materialized_view on DuckDB (the local target): see default.sql for what it does on every adapter. -#}

{% materialization streaming_materialized_view, adapter='duckdb' %}
    {%- set target_relation = this.incorporate(type='table') -%}
    {%- set existing_relation = load_cached_relation(this) -%}
    {%- set settings = streaming_view_settings() -%}
    {%- set state = definition_state_relation(this) -%}
    {%- set fingerprint = streaming_view_fingerprint(sql, settings) -%}

    {{ run_hooks(pre_hooks, inside_transaction=False) }}
    {{ run_hooks(pre_hooks, inside_transaction=True) }}
    {% call statement('create_state') %}
        {{ definition_state_create_sql(state) }}
    {% endcall %}
    {%- set stored = definition_state_stored(state, this) -%}
    {#- A dbt run is the local REFRESH MATERIALIZED VIEW: never skipped for auto refresh. -#}
    {%- set action = streaming_view_action(existing_relation is not none, stored[0], fingerprint, false) -%}
    {{ log(model.name ~ ": " ~ action, info=true) }}

    {%- if action == 'refresh' %}
        {% call statement('positions') %}
            set variable kinesis_positions = (
                select coalesce(json_group_object(shard_id, last_sequence_number), '{}')::varchar
                from (
                    select
                        shard_id,
                        arg_max(sequence_number, lpad(sequence_number, 64, '0')) as last_sequence_number
                    from {{ target_relation }}
                    group by shard_id
                ) as shard_positions
            )
        {% endcall %}
        {% call statement('main') %}
            insert into {{ target_relation }}
            {{ sql }}
        {% endcall %}
    {%- else %}
        {% call statement('positions') %}
            set variable kinesis_positions = '{}'
        {% endcall %}
        {%- if action == 'rebuild' %}
            {{ adapter.drop_relation(existing_relation) }}
        {%- endif %}
        {% call statement('main') %}
            create table {{ target_relation }} as
            {{ sql }}
        {% endcall %}
        {% call statement('record_state') %}
            {{ definition_state_forget_sql(state, this) }};
            {{ definition_state_record_sql(state, this, fingerprint, settings.auto_refresh) }}
        {% endcall %}
    {%- endif %}

    {{ run_hooks(post_hooks, inside_transaction=True) }}
    {#- dbt-duckdb rolls back what is not committed when it releases the connection. -#}
    {{ adapter.commit() }}
    {{ run_hooks(post_hooks, inside_transaction=False) }}
    {{ return({'relations': [target_relation]}) }}
{% endmaterialization %}
