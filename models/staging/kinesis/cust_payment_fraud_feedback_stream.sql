{{
    config(
        materialized='streaming_materialized_view',
        meta=streaming_view_meta(project_var('feedback_stream_name')),
    )
}}

{#- source() for lineage; on DuckDB the plugin reads the stream instead of a relation. -#}
{#- Built after the transactions' view, never beside it: both write the materialization's
    state tables (dbt_definition_state, dbt_stream_positions), and two transactions writing
    one table at once conflict (DuckDB's write-write conflict; Redshift's serializable
    isolation, https://docs.aws.amazon.com/redshift/latest/dg/c_serial_isolation.html). -#}
-- depends_on: {{ ref('cust_payment_tx_stream') }}
{%- set stream = source('kinesis', 'cust_payment_fraud_feedback') %}

-- The fraud team's reports, as the transactions' streaming view: the record metadata and the
-- payload parsed once, typed and validated downstream (stg_kinesis__feedback_records).
select
    {{ stream_metadata_columns() }},
    {{ stream_data_column() }} as kinesis_data,
    {{ parse_json_payload(stream_data_column()) }} as payload
from {{ stream_records(stream) }}
