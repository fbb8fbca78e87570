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
    stored position. Sequence numbers are decimal strings of up to 129 digits without
    leading zeros ("Pattern: 0|([1-9]\d{0,128})",
    https://docs.aws.amazon.com/kinesis/latest/APIReference/API_Record.html): compared
    padded to 129. -#}
{% macro stream_positions_move_sql(positions, relation, batch) %}
delete from {{ positions }}
where
    relation_name = '{{ relation.identifier }}'
    and shard_id in (select shard_id from {{ batch }});
insert into {{ positions }} (relation_name, shard_id, sequence_number)
select
    '{{ relation.identifier }}',
    shard_id,
    arg_max(sequence_number, lpad(sequence_number, 129, '0'))
from {{ batch }}
group by shard_id
{% endmacro %}
