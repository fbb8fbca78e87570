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

    {%- set positions = stream_positions_relation(this) -%}
    {% call statement('create_positions') %}
        {{ stream_positions_create_sql(positions) }}
    {% endcall %}
    {%- if action == 'refresh' %}
        {#- Where each shard was read up to: kept in their own table, not taken from the
            view's rows, which are trimmed (trim_stream) and would cost a scan per refresh.
            A view made before positions were kept seeds them from its rows, once. -#}
        {%- set kept = run_query(stream_positions_count_sql(positions, this)).rows[0][0] %}
        {%- if kept == 0 %}
            {% call statement('seed_positions') %}
                {{ stream_positions_move_sql(positions, this, target_relation) }}
            {% endcall %}
        {%- endif %}
        {% call statement('positions') %}
            set variable kinesis_positions = (
                select coalesce(json_group_object(shard_id, sequence_number), '{}')::varchar
                from {{ positions }}
                where relation_name = '{{ this.identifier }}'
            )
        {% endcall %}
        {% call statement('read') %}
            create or replace temp table stream_refresh as {{ sql }}
        {% endcall %}
        {% call statement('main') %}
            insert into {{ target_relation }} select * from stream_refresh
        {% endcall %}
    {%- else %}
        {% call statement('positions') %}
            set variable kinesis_positions = '{}'
        {% endcall %}
        {%- if action == 'rebuild' %}
            {{ adapter.drop_relation(existing_relation) }}
        {%- endif %}
        {% call statement('read') %}
            create or replace temp table stream_refresh as {{ sql }}
        {% endcall %}
        {% call statement('main') %}
            create table {{ target_relation }} as select * from stream_refresh
        {% endcall %}
        {% call statement('record_state') %}
            {{ definition_state_forget_sql(state, this) }};
            {{ definition_state_record_sql(state, this, fingerprint, settings.auto_refresh) }};
            delete from {{ positions }} where relation_name = '{{ this.identifier }}'
        {% endcall %}
    {%- endif %}
    {% call statement('move_positions') %}
        {{ stream_positions_move_sql(positions, this, 'stream_refresh') }};
        drop table stream_refresh
    {% endcall %}

    {{ run_hooks(post_hooks, inside_transaction=True) }}
    {#- dbt-duckdb rolls back what is not committed when it releases the connection. -#}
    {{ adapter.commit() }}
    {{ run_hooks(post_hooks, inside_transaction=False) }}
    {{ return({'relations': [target_relation]}) }}
{% endmaterialization %}
