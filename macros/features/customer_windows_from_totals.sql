{#- Scoring's customer windows from running totals, so that a cycle reads what its new rows
    and the windows' edges hold, never the windows' whole content.

    int_customer_totals keeps, per customer, the count and amount of every known transaction
    (history and stream) and, per window w, of those at or before boundary_at - w days, as of
    the stream refreshes it has taken (_refreshed_at). For a target t of customer c at T:

      up to t     = totals + untaken - known transactions of c after t (same second: larger id)
      before T-w  = totals before (boundary_at - w) + untaken ones before it
                    + known transactions in (boundary_at - w, T - w]
                    - known transactions in (T - w, boundary_at - w]
      window w    = up to t - before T-w

    where "untaken" are stream transactions refreshed after the totals' _refreshed_at (none in
    a cycle, which runs int_customer_totals first). The known transactions read are those from
    the targets' first instant on, and those between the targets' instants and boundary_at,
    each shifted back by w: thin slices of tables kept in time order, found by their zone maps
    (DuckDB's row groups, Redshift's sort key) from literal bounds. A customer's totals row
    is exact for any boundary up to the newest: int_customer_totals rewrites every customer
    with a transaction between the old and the new boundary. -#}


{#- CTE ``cte``: the targets' columns, and per target customer_nb_tx_<w>day and
    customer_amount_<w>day, as customer_windows gives them, from int_customer_totals
    (``totals``). ``history`` and ``stream`` are the relations of known transactions;
    ``bounds`` holds timestamp_lookup values: first and last (the targets' earliest and
    latest tx_datetime), taken and boundary (customer_totals_taken). -#}
{% macro customer_windows_from_totals(cte, targets, totals, history, stream, bounds, windows) %}
{%- set ranges = [(0, '>=', timestamp_sql(bounds.first), none)] -%}
{%- for w in windows -%}
    {%- do ranges.append((
        w,
        '>',
        timestamp_sql(earlier_timestamp(bounds.first, bounds.boundary), -w),
        timestamp_sql(later_timestamp(bounds.last, bounds.boundary), -w),
    )) -%}
{%- endfor -%}
{{ cte }}__known as (

    -- Known transactions near the targets' instants (window_days 0) and near their windows'
    -- starts (window_days w), of the targets' customers.
    select *
    from (
        {{ window_known_transactions(history, stream, ranges,
            ['transaction_id', 'customer_id', 'tx_datetime', 'tx_amount']) }}
    ) as known
    where customer_id in (select customer_id from {{ targets }})

),

{{ cte }}__totals as (

    -- The targets' customers' totals first: joined whole, the table would be the join's
    -- build side (DuckDB hashed all of it).
    select *
    from {{ totals }}
    where customer_id in (select customer_id from {{ targets }})

),

{{ cte }}__untaken as (

    -- Stream transactions newer than the totals' last run (none within a cycle).
    select
        customer_id,
        count(*) as nb_tx,
        sum(tx_amount) as amount,
        {%- for w in windows %}
        sum(case when tx_datetime <= {{ timestamp_sql(bounds.boundary, -w) }} then 1 else 0 end)
            as nb_tx_to_{{ w }}day,
        sum(case when tx_datetime <= {{ timestamp_sql(bounds.boundary, -w) }} then tx_amount else 0 end)
            as amount_to_{{ w }}day{{ "," if not loop.last }}
        {%- endfor %}
    from {{ stream }}
    where _refreshed_at > {{ timestamp_sql(bounds.taken) }}
    group by customer_id

),

{{ cte }}__corrections as (

    -- Per target: the known transactions after it, and those between its windows' starts
    -- and the boundary's (added when after the boundary's, taken away when before).
    select
        targets.transaction_id,
        sum(case when {{ window_after_target() }} then 1 else 0 end) as nb_tx_after,
        sum(case when {{ window_after_target() }} then known.tx_amount else 0 end) as amount_after,
        {%- for w in windows %}
        {%- set start = dbt.dateadd('day', -w, 'targets.tx_datetime') %}
        sum(
            case
                when known.window_days = {{ w }} and known.tx_datetime <= {{ start }}
                    and known.tx_datetime > {{ timestamp_sql(bounds.boundary, -w) }} then 1
                when known.window_days = {{ w }} and known.tx_datetime > {{ start }}
                    and known.tx_datetime <= {{ timestamp_sql(bounds.boundary, -w) }} then -1
                else 0
            end
        ) as nb_tx_shift_{{ w }}day,
        sum(
            case
                when known.window_days = {{ w }} and known.tx_datetime <= {{ start }}
                    and known.tx_datetime > {{ timestamp_sql(bounds.boundary, -w) }} then known.tx_amount
                when known.window_days = {{ w }} and known.tx_datetime > {{ start }}
                    and known.tx_datetime <= {{ timestamp_sql(bounds.boundary, -w) }} then -known.tx_amount
                else 0
            end
        ) as amount_shift_{{ w }}day{{ "," if not loop.last }}
        {%- endfor %}
    from {{ targets }} as targets
    inner join {{ cte }}__known as known
        on targets.customer_id = known.customer_id
    group by targets.transaction_id

),

{{ cte }} as (

    select
        targets.*,
        {%- for w in windows %}
        {%- set last_window = loop.last %}
        {%- for measure in ['nb_tx', 'amount'] %}
        coalesce(totals.{{ measure }}, 0) + coalesce(untaken.{{ measure }}, 0)
            - coalesce(corrections.{{ measure }}_after, 0)
            - coalesce(totals.{{ measure }}_to_{{ w }}day, 0)
            - coalesce(untaken.{{ measure }}_to_{{ w }}day, 0)
            - coalesce(corrections.{{ measure }}_shift_{{ w }}day, 0)
            as customer_{{ measure }}_{{ w }}day{{ "," if not (loop.last and last_window) }}
        {%- endfor %}
        {%- endfor %}
    from {{ targets }} as targets
    left join {{ cte }}__totals as totals
        on targets.customer_id = totals.customer_id
    left join {{ cte }}__untaken as untaken
        on targets.customer_id = untaken.customer_id
    left join {{ cte }}__corrections as corrections
        on targets.transaction_id = corrections.transaction_id

)
{%- endmacro %}
