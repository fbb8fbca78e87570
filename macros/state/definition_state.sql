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


{#- Where a local streaming view has read each shard up to, beside it: the view's own rows
    are trimmed (trim_stream), and a position must outlive them. The warehouse keeps them
    in the transaction that adds the records, so records and positions move together. -#}
{% macro stream_positions_relation(relation) %}
    {{ return(api.Relation.create(
        database=relation.database, schema=relation.schema, identifier='dbt_stream_positions')) }}
{% endmacro %}


{% macro stream_positions_create_sql(positions) %}
create table if not exists {{ positions }} (
    relation_name varchar(256),
    shard_id varchar(64),
    sequence_number varchar(128)
)
{% endmacro %}


{% macro stream_positions_count_sql(positions, relation) %}
select count(*) from {{ positions }} where relation_name = '{{ relation.identifier }}'
{% endmacro %}


{#- Each shard's newest sequence number among the rows just read (``batch``) replaces its
    stored position. Sequence numbers are decimal strings of up to 128 digits: compared
    padded. -#}
{% macro stream_positions_move_sql(positions, relation, batch) %}
delete from {{ positions }}
where
    relation_name = '{{ relation.identifier }}'
    and shard_id in (select shard_id from {{ batch }});
insert into {{ positions }} (relation_name, shard_id, sequence_number)
select
    '{{ relation.identifier }}',
    shard_id,
    arg_max(sequence_number, lpad(sequence_number, 128, '0'))
from {{ batch }}
group by shard_id
{% endmacro %}
