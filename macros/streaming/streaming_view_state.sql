{#- Where each streaming view's definition fingerprint is kept, beside the views themselves:
    the warehouse, not dbt's target folder, is the truth about what exists. -#}
{% macro streaming_view_state_relation(relation) %}
    {{ return(api.Relation.create(
        database=relation.database, schema=relation.schema, identifier='dbt_streaming_view_state')) }}
{% endmacro %}


{% macro streaming_view_state_create_sql(state) %}
create table if not exists {{ state }} (
    view_name varchar(256),
    fingerprint varchar(64),
    auto_refresh boolean,
    created_at timestamp
)
{% endmacro %}


{% macro streaming_view_state_record_sql(state, relation, fingerprint, auto_refresh) %}
insert into {{ state }} (view_name, fingerprint, auto_refresh, created_at)
values ('{{ relation.identifier }}', '{{ fingerprint }}', {{ auto_refresh }}, {{ current_timestamp() }})
{% endmacro %}


{% macro streaming_view_state_forget_sql(state, relation) %}
delete from {{ state }} where view_name = '{{ relation.identifier }}'
{% endmacro %}


{#- The stored (fingerprint, auto_refresh) of a view, or (none, none). -#}
{% macro streaming_view_stored_sql(state, relation) %}
select fingerprint, auto_refresh from {{ state }}
where view_name = '{{ relation.identifier }}'
order by created_at desc
limit 1
{% endmacro %}


{% macro streaming_view_stored(state, relation) %}
    {%- set rows = run_query(streaming_view_stored_sql(state, relation)).rows -%}
    {{ return((rows[0][0], rows[0][1]) if rows else (none, none)) }}
{% endmacro %}
