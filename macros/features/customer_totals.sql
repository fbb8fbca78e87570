{#- int_customer_totals' CTEs, the last named totals: the rows of the customers this run
    changes (see the model). ``history`` and ``stream`` are the known transactions'
    relations. -#}
{% macro customer_totals(history, stream) %}
{%- set windows = feature_windows() %}
{%- set rebuild = customer_totals_rebuild(this, history) %}
{%- set never = modules.datetime.datetime(1900, 1, 1) %}
{%- set taken = {'taken': never, 'boundary': never} if rebuild else customer_totals_taken(this) %}
{%- set new_since = 'where _refreshed_at > ' ~ timestamp_sql(taken.taken) %}
{%- set newest = later_timestamp(taken.taken, timestamp_lookup(
    'select max(_refreshed_at) from ' ~ stream ~ ' ' ~ new_since, ask=not rebuild)) %}
{%- set newest_instant = timestamp_lookup(
    'select max(tx_datetime) from ' ~ stream ~ ' ' ~ new_since, ask=not rebuild) %}
{%- if rebuild %}
    {%- set newest_instant = later_timestamp(newest_instant, timestamp_lookup(
        'select max(tx_datetime) from ' ~ history, ask=false)) %}
{%- endif %}
{%- set boundary = later_timestamp(taken.boundary, newest_instant) %}
{%- set crossing = [] %}
{%- for w in windows %}
    {%- do crossing.append(
        (w, '>', timestamp_sql(taken.boundary, -w), timestamp_sql(boundary, -w))
    ) %}
{%- endfor %}

{%- set columns = [] %}
{%- for measure, type in [('nb_tx', 'bigint'), ('amount', 'decimal(38, 2)')] %}
    {%- do columns.append((measure, type)) %}
    {%- for w in windows %}
        {%- do columns.append((measure ~ '_to_' ~ w ~ 'day', type)) %}
    {%- endfor %}
{%- endfor %}

new_transactions as (

    {% if rebuild -%}
    select
        customer_id,
        tx_datetime,
        tx_amount
    from {{ history }}
    union all
    {% endif -%}
    select
        customer_id,
        tx_datetime,
        tx_amount
    from {{ stream }}
    {{ new_since }}

),

crossing_boundaries as (

    -- Known transactions between each window's old and new boundary.
    {{ window_known_transactions(
        history, stream, crossing, ['customer_id', 'tx_datetime', 'tx_amount']
    ) }}

),

changed as (

    -- A new transaction counts in the totals, and before a window's boundary when it is at
    -- or before the old one (it arrived late); a crossing one before the boundary it crossed.
    select
        customer_id,
        tx_amount,
        1 as is_new,
        {%- for w in windows %}
        case
            when tx_datetime <= {{ timestamp_sql(taken.boundary, -w) }} then 1 else 0
        end as before_{{ w }}day{{ "," if not loop.last }}
        {%- endfor %}
    from new_transactions
    union all
    select
        customer_id,
        tx_amount,
        0 as is_new,
        {%- for w in windows %}
        case when window_days = {{ w }} then 1 else 0 end as before_{{ w }}day
        {{- "," if not loop.last }}
        {%- endfor %}
    from crossing_boundaries

),

changes as (

    select
        customer_id,
        sum(is_new) as nb_tx,
        sum(is_new * tx_amount) as amount,
        {%- for w in windows %}
        sum(before_{{ w }}day) as nb_tx_to_{{ w }}day,
        sum(before_{{ w }}day * tx_amount) as amount_to_{{ w }}day{{ "," if not loop.last }}
        {%- endfor %}
    from changed
    group by customer_id

),

totals as (

    select
        changes.customer_id,
        {%- for column, type in columns %}
        cast(
            {% if not rebuild %}coalesce(taken.{{ column }}, 0) + {% endif %}changes.{{ column }}
            as {{ type }}
        ) as {{ column }},
        {%- endfor %}
        {{ timestamp_sql(boundary) }} as boundary_at,
        {{ timestamp_sql(newest) }} as _refreshed_at,
        cast((select count(*) from {{ history }}) as bigint) as history_transactions
    from changes
    {%- if not rebuild %}
    left join (
        -- The changed customers' rows first: joined whole, the table would be the join's
        -- build side (DuckDB hashed all of it).
        select *
        from {{ this }}
        where customer_id in (select customer_id from changes)
    ) as taken
        on changes.customer_id = taken.customer_id
    {%- endif %}

)

{%- endmacro %}
