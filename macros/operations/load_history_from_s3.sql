{#- Load the labelled history into Redshift with COPY, as the walkthrough does:
        dbt run-operation load_history_from_s3 --target redshift \
            --args '{s3_path: "s3://my-bucket/cust_payment_tx_history/"}'
    Creates the schema and table named by the vars history_schema and (fixed)
    cust_payment_tx_history, empties it, and copies the Parquet (or CSV) files under s3_path,
    with the IAM role of var redshift_iam_role unless iam_role is given. The model
    cust_payment_tx_history then reads it. -#}
{% macro load_history_from_s3(s3_path, iam_role=none, file_format='parquet') %}
    {%- if target.type != 'redshift' -%}
        {{ exceptions.raise_compiler_error(
            "load_history_from_s3 is for the redshift target; locally set the var history_path") }}
    {%- endif -%}
    {%- if not s3_path or not s3_path.startswith('s3://') -%}
        {{ exceptions.raise_compiler_error("load_history_from_s3: s3_path must be an s3:// URL, got " ~ s3_path) }}
    {%- endif -%}
    {%- set role = iam_role or project_var('redshift_iam_role') -%}
    {%- set role_clause = 'default' if role == 'default' else "'" ~ role ~ "'" -%}
    {%- set table = api.Relation.create(
        database=target.database, schema=project_var('history_schema'), identifier='cust_payment_tx_history') -%}
    {%- set format_clause = 'format as parquet' if file_format == 'parquet' else "format as csv ignoreheader 1 timeformat 'auto'" -%}
    {% set statements %}
        create schema if not exists {{ table.schema }};
        create table if not exists {{ table }} (
            transaction_id bigint,
            tx_datetime timestamp,
            customer_id bigint,
            terminal_id bigint,
            tx_amount decimal(18, 2),
            tx_time_seconds bigint,
            tx_time_days bigint,
            tx_fraud bigint,
            tx_fraud_scenario bigint
        )
        sortkey (tx_datetime);
        truncate {{ table }};
        copy {{ table }}
        from '{{ s3_path }}'
        iam_role {{ role_clause }}
        {{ format_clause }};
    {% endset %}
    {% do run_query(statements) %}
    {% do log("loaded " ~ table ~ " from " ~ s3_path, info=true) %}
{% endmacro %}
