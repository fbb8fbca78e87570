{{
    config(
        materialized='streaming_materialized_view',
        meta=streaming_view_meta(project_var('stream_name')),
    )
}}

{#- source() for lineage; on DuckDB the plugin reads the stream instead of a relation. -#}
{%- set stream = source('kinesis', 'cust_payment_txn_stream') %}

-- Kept minimal and stable, as AWS advises for streaming views: the record metadata and the
-- payload parsed once. Typed extraction happens downstream in views, so that changing a
-- cast never means dropping this view and the stream history it holds.
select
    {{ stream_metadata_columns() }},
    {{ stream_data_column() }} as kinesis_data,
    {{ parse_json_payload(stream_data_column()) }} as payload
from {{ stream_records(stream) }}
