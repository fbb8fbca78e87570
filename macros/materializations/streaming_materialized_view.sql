{#-
    streaming_materialized_view: a materialized view over a Kinesis (or MSK) stream that is
    never dropped by accident. Unlike dbt's materialized_view it
    - creates the view once, with AUTO REFRESH, and afterwards only refreshes it (Redshift
      skips even that while auto refresh is on, unless var refresh_streaming_views is true);
    - refuses --full-refresh, and refuses a changed definition, since a drop loses every
      record older than the stream's retention; rebuilding needs --full-refresh together with
      the model named in var rebuild_streaming_views;
    - runs its DDL outside a transaction (Redshift forbids CREATE EXTERNAL SCHEMA and a
      streaming view's CREATE/REFRESH inside one).
    Locally (DuckDB) the view is a table that each run appends the stream's new records to,
    in one statement: the stored rows are the checkpoint, so a refresh is exactly-once.
-#}

{% materialization streaming_materialized_view, default %}
    {{ exceptions.raise_compiler_error(
        "streaming_materialized_view is not implemented for " ~ target.type) }}
{% endmaterialization %}


{% materialization streaming_materialized_view, adapter='redshift' %}
    {%- set target_relation = this.incorporate(type='materialized_view') -%}
    {%- set existing_relation = load_cached_relation(this) -%}
    {%- set settings = streaming_view_settings() -%}
    {%- set state = definition_state_relation(this) -%}
    {%- set fingerprint = streaming_view_fingerprint(sql, settings) -%}

    {{ run_hooks(pre_hooks, inside_transaction=False) }}
    {% call statement('create_state', auto_begin=False) %}
        {{ definition_state_create_sql(state) }}
    {% endcall %}
    {%- set stored = definition_state_stored(state, this) -%}
    {%- set action = streaming_view_action(
        existing_relation is not none, stored[0], fingerprint, settings.auto_refresh) -%}
    {%- set statements = redshift__streaming_view_statements(
        action, target_relation, state, settings, sql, fingerprint, stored[1]) -%}
    {{ log(model.name ~ ": " ~ action ~ (" (auto refresh is on)" if action == 'skip' else ""), info=true) }}

    {%- for statement_sql in statements %}
        {% call statement('main' if loop.last else 'step_' ~ loop.index, auto_begin=False) %}
            {{ statement_sql }}
        {% endcall %}
    {%- endfor %}

    {{ run_hooks(post_hooks, inside_transaction=False) }}
    {{ return({'relations': [target_relation]}) }}
{% endmaterialization %}


{#- Every statement a run issues on Redshift, for one action, in order. -#}
{% macro redshift__streaming_view_statements(action, relation, state, settings, sql, fingerprint, stored_auto_refresh) %}
    {%- set statements = [] -%}
    {%- if action in ('create', 'rebuild') -%}
        {%- do statements.append(redshift__create_stream_schema_sql(settings)) -%}
        {%- if action == 'rebuild' -%}
            {%- do statements.append("drop materialized view if exists " ~ relation) -%}
        {%- endif -%}
        {%- do statements.append(redshift__create_streaming_view_sql(relation, settings, sql)) -%}
        {%- do statements.append(definition_state_forget_sql(state, relation)) -%}
        {%- do statements.append(definition_state_record_sql(state, relation, fingerprint, settings.auto_refresh)) -%}
    {%- else -%}
        {%- if stored_auto_refresh is not none and stored_auto_refresh != settings.auto_refresh -%}
            {#- AUTO REFRESH is the one property ALTER can change on a streaming view. -#}
            {%- do statements.append(
                "alter materialized view " ~ relation ~ " auto refresh " ~ ("yes" if settings.auto_refresh else "no")) -%}
            {%- do statements.append(definition_state_forget_sql(state, relation)) -%}
            {%- do statements.append(definition_state_record_sql(state, relation, fingerprint, settings.auto_refresh)) -%}
        {%- endif -%}
        {%- if action == 'refresh' -%}
            {%- do statements.append("refresh materialized view " ~ relation) -%}
        {%- endif -%}
    {%- endif -%}
    {{ return(statements) }}
{% endmacro %}


{% macro redshift__create_stream_schema_sql(settings) -%}
    {%- set iam_role = "default" if settings.iam_role == "default" else "'" ~ settings.iam_role ~ "'" -%}
    {%- if settings.source_kind == 'msk' -%}
create external schema if not exists {{ settings.external_schema }}
from msk
iam_role {{ iam_role }}
authentication {{ settings.msk_authentication }}
cluster_arn '{{ settings.msk_cluster_arn }}'
    {%- else -%}
create external schema if not exists {{ settings.external_schema }}
from kinesis
iam_role {{ iam_role }}
    {%- endif -%}
{%- endmacro %}


{% macro redshift__create_streaming_view_sql(relation, settings, sql) -%}
create materialized view {{ relation }}
backup {{ "yes" if settings.backup else "no" }}
auto refresh {{ "yes" if settings.auto_refresh else "no" }}
as
{{ sql }}
{%- endmacro %}


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
