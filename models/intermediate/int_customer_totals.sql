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

{%- set windows = feature_windows() %}
{%- set history = ref('cust_payment_tx_history') %}
{%- set stream = ref('stg_kinesis__transactions') %}
{%- set rebuild = customer_totals_rebuild(this, history) %}
{%- set never = modules.datetime.datetime(1900, 1, 1) %}
{%- set taken = {'taken': never, 'boundary': never} if rebuild else customer_totals_taken(this) %}
{%- set new_since = 'where _refreshed_at > ' ~ timestamp_sql(taken.taken) %}
{%- set newest = later_timestamp(taken.taken, timestamp_lookup(
    'select max(_refreshed_at) from ' ~ stream ~ ' ' ~ new_since)) %}
{%- set newest_instant = timestamp_lookup(
    'select max(tx_datetime) from ' ~ stream ~ ' ' ~ new_since) %}
{%- if rebuild %}
    {%- set newest_instant = later_timestamp(newest_instant, timestamp_lookup(
        'select max(tx_datetime) from ' ~ history)) %}
{%- endif %}
{%- set boundary = later_timestamp(taken.boundary, newest_instant) %}
{%- set crossing = [] %}
{%- for w in windows %}
    {%- do crossing.append((w, '>', timestamp_sql(taken.boundary, -w), timestamp_sql(boundary, -w))) %}
{%- endfor %}

with

new_transactions as (

    {% if rebuild -%}
    select customer_id, tx_datetime, tx_amount
    from {{ history }}
    union all
    {% endif -%}
    select customer_id, tx_datetime, tx_amount
    from {{ stream }}
    {{ new_since }}

),

crossing_boundaries as (

    -- Known transactions between each window's old and new boundary.
    {{ _known_transactions_in_ranges(history, stream, crossing, ['customer_id', 'tx_datetime', 'tx_amount']) }}

),

changes as (

    select
        customer_id,
        sum(is_new) as nb_tx,
        sum(case when is_new = 1 then tx_amount else 0 end) as amount,
        {%- for w in windows %}
        {%- set counted %}(is_new = 1 and tx_datetime <= {{ timestamp_sql(taken.boundary, -w) }}) or window_days = {{ w }}{% endset %}
        sum(case when {{ counted }} then 1 else 0 end) as nb_tx_to_{{ w }}day,
        sum(case when {{ counted }} then tx_amount else 0 end) as amount_to_{{ w }}day{{ "," if not loop.last }}
        {%- endfor %}
    from (
        select customer_id, tx_datetime, tx_amount, 1 as is_new, 0 as window_days
        from new_transactions
        union all
        select customer_id, tx_datetime, tx_amount, 0 as is_new, window_days
        from crossing_boundaries
    ) as changed
    group by customer_id

),

totals as (

    select
        changes.customer_id,
        {%- for measure, type in [('nb_tx', 'bigint'), ('amount', 'decimal(38, 2)')] %}
        cast({{ '' if rebuild else 'coalesce(taken.' ~ measure ~ ', 0) + ' }}changes.{{ measure }} as {{ type }}) as {{ measure }},
        {%- for w in windows %}
        cast({{ '' if rebuild else 'coalesce(taken.' ~ measure ~ '_to_' ~ w ~ 'day, 0) + ' }}changes.{{ measure }}_to_{{ w }}day as {{ type }})
            as {{ measure }}_to_{{ w }}day,
        {%- endfor %}
        {%- endfor %}
        {{ timestamp_sql(boundary) }} as boundary_at,
        {{ timestamp_sql(newest) }} as _refreshed_at,
        cast((select count(*) from {{ history }}) as bigint) as history_transactions
    from changes
    {%- if not rebuild %}
    left join {{ this }} as taken
        on changes.customer_id = taken.customer_id
    {%- endif %}

)

select * from totals
