{{
    config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key='customer_id',
        on_schema_change='fail',
        dist='customer_id',
        sort='customer_id',
        pre_hook="{{ customer_totals_reset(this, ref('cust_payment_tx_history')) }}",
    )
}}

-- Per customer, running totals of its known transactions (history and stream), from which
-- scoring takes each window's count and amount without reading the window (the macro
-- customer_windows_from_totals). nb_tx and amount count every known transaction;
-- nb_tx_to_<w>day and amount_to_<w>day those at or before boundary_at - w days. Each run
-- takes the stream refreshes since its last one: it rewrites the customers with new
-- transactions, and those with a transaction between each window's old and new boundary
-- (boundary_at moves to the newest transaction's instant). Rebuilt from everything on a
-- first run, a full refresh, or when the history was reloaded.

with

{{ customer_totals(
    history=ref('cust_payment_tx_history'),
    stream=ref('stg_kinesis__transactions'),
) }}

select * from totals
