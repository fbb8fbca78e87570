{#- Where the fingerprints of what was created are kept (streaming views, ML models), beside
    them: the warehouse, not dbt's target folder, is the truth about what exists. -#}
{% macro definition_state_relation(relation) %}
    {{ return(api.Relation.create(
        database=relation.database, schema=relation.schema, identifier='dbt_definition_state')) }}
{% endmacro %}


{% macro definition_state_create_sql(state) %}
create table if not exists {{ state }} (
    relation_name varchar(256),
    fingerprint varchar(64),
    auto_refresh boolean,
    created_at timestamp
)
{% endmacro %}


{% macro definition_state_record_sql(state, relation, fingerprint, auto_refresh) %}
insert into {{ state }} (relation_name, fingerprint, auto_refresh, created_at)
values ('{{ relation.identifier }}', '{{ fingerprint }}', {{ auto_refresh }}, {{ current_timestamp() }})
{% endmacro %}


{% macro definition_state_forget_sql(state, relation) %}
delete from {{ state }} where relation_name = '{{ relation.identifier }}'
{% endmacro %}


{#- The stored (fingerprint, auto_refresh) of a view, or (none, none). -#}
{% macro definition_state_stored_sql(state, relation) %}
select fingerprint, auto_refresh from {{ state }}
where relation_name = '{{ relation.identifier }}'
order by created_at desc
limit 1
{% endmacro %}


{% macro definition_state_stored(state, relation) %}
    {%- set rows = run_query(definition_state_stored_sql(state, relation)).rows -%}
    {{ return((rows[0][0], rows[0][1]) if rows else (none, none)) }}
{% endmacro %}
