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


{#- A timestamp from a one-value query: a Python datetime read from the warehouse (``default``
    when NULL), or, when not to ``ask`` (a first run, whose relations may not exist yet as it
    compiles) or without a warehouse to ask (parsing, an offline compile), the query as a
    scalar subquery. Literals let the warehouse skip blocks by their zone maps; a subquery
    would not, which only a first run can afford. -#}
{% macro timestamp_lookup(query, default='1900-01-01', ask=true) -%}
    {%- if ask and execute and not var('offline_compile', false) -%}
        {%- set value = run_query(query).columns[0].values()[0] -%}
        {%- if value is none -%}
            {%- set value = modules.datetime.datetime.strptime(default, '%Y-%m-%d') -%}
        {%- endif -%}
        {{ return(value) }}
    {%- else -%}
        {{ return("coalesce((" ~ query ~ "), cast('" ~ default ~ "' as timestamp))") }}
    {%- endif -%}
{%- endmacro %}


{#- SQL for a timestamp_lookup value shifted by ``days`` (a literal when it is a datetime). -#}
{% macro timestamp_sql(value, days=0) -%}
    {%- if value is string -%}
        {{ dbt.dateadd('day', days, value) if days else value }}
    {%- else -%}
        {%- set shifted = value + modules.datetime.timedelta(days=days) -%}
        cast('{{ shifted.strftime("%Y-%m-%d %H:%M:%S.%f") }}' as timestamp)
    {%- endif -%}
{%- endmacro %}


{#- The earlier or later of two timestamp_lookup values. -#}
{% macro earlier_timestamp(a, b) -%}
    {{ return(_pick_timestamp(a, b, 'least')) }}
{%- endmacro %}

{% macro later_timestamp(a, b) -%}
    {{ return(_pick_timestamp(a, b, 'greatest')) }}
{%- endmacro %}

{% macro _pick_timestamp(a, b, pick) -%}
    {%- if a is string or b is string -%}
        {{ return(pick ~ '(' ~ timestamp_sql(a) ~ ', ' ~ timestamp_sql(b) ~ ')') }}
    {%- else -%}
        {{ return(([a, b] | min) if pick == 'least' else ([a, b] | max)) }}
    {%- endif -%}
{%- endmacro %}


{#- What int_customer_totals has taken: the newest stream refresh (taken) and the boundary
    its counts before each window are as of (boundary), as timestamp_lookup values; both
    1900-01-01 when the relation does not exist yet or is empty. -#}
{% macro customer_totals_taken(relation) -%}
    {%- set online = execute and not var('offline_compile', false) -%}
    {%- if online and load_relation(relation) is none -%}
        {%- set never = modules.datetime.datetime(1900, 1, 1) -%}
        {{ return({'taken': never, 'boundary': never}) }}
    {%- endif -%}
    {%- set taken = newest_refresh_taken(relation) -%}
    {{ return({
        'taken': taken,
        'boundary': timestamp_lookup('select max(boundary_at) from ' ~ relation
            ~ ' where _refreshed_at >= ' ~ taken),
    }) }}
{%- endmacro %}


{#- Known transactions (history and stream relations) of ``columns``, each range (window_days,
    operator, lower bound, upper bound or none) a thin slice by tx_datetime, tagged with its
    window_days (0: from the targets' first instant on). -#}
{% macro known_transactions_in_ranges(history, stream, ranges, columns) %}
    {%- for window_days, operator, after, up_to in ranges %}
    {%- set outer_loop = loop %}
    {%- for relation in [history, stream] %}
    select {{ columns | join(', ') }}, {{ window_days }} as window_days
    from {{ relation }}
    where
        tx_datetime {{ operator }} {{ after }}
        {%- if up_to is not none %}
        and tx_datetime <= {{ up_to }}
        {%- endif %}
    {{ 'union all' if not (outer_loop.last and loop.last) }}
    {%- endfor %}
    {%- endfor %}
{% endmacro %}


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
        {{ known_transactions_in_ranges(history, stream, ranges,
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
        sum(case when {{ _after_target() }} then 1 else 0 end) as nb_tx_after,
        sum(case when {{ _after_target() }} then known.tx_amount else 0 end) as amount_after,
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


{#- A known transaction (window_days 0) after the target: later, or in the same second with a
    larger id. -#}
{% macro _after_target() -%}
    known.window_days = 0
    and (
        known.tx_datetime > targets.tx_datetime
        or (known.tx_datetime = targets.tx_datetime and known.transaction_id > targets.transaction_id)
    )
{%- endmacro %}


{#- Whether int_customer_totals is built from every known transaction: on its first run, on a
    full refresh, and when the history holds a different number of transactions than the
    totals were built with (a reloaded history). Its pre-hook then empties it. -#}
{% macro customer_totals_rebuild(relation, history) -%}
    {#- An offline compile renders the incremental run, without asking the warehouse. -#}
    {%- if var('offline_compile', false) -%}
        {{ return(false) }}
    {%- elif not is_incremental() -%}
        {{ return(true) }}
    {%- elif not execute -%}
        {{ return(false) }}
    {%- endif -%}
    {#- Every row holds the same count (a changed one rebuilds them all): any row tells it,
        and reading one does not scan the table. On Redshift a scalar subquery is a SELECT
        that returns one row (https://docs.aws.amazon.com/redshift/latest/dg/r_scalar_subqueries.html),
        which LIMIT 1 ensures (https://docs.aws.amazon.com/redshift/latest/dg/r_ORDER_BY_clause.html). -#}
    {%- set counts -%}
        select
            (select count(*) from {{ history }}) as history_transactions,
            (select history_transactions from {{ relation }} limit 1) as taken
    {%- endset -%}
    {%- set row = run_query(counts).rows[0] -%}
    {{ return(row[1] is not none and row[0] != row[1]) }}
{%- endmacro %}

{% macro customer_totals_reset(relation, history) -%}
    {%- if is_incremental() and customer_totals_rebuild(relation, history) -%}
        delete from {{ relation }}
    {%- endif -%}
{%- endmacro %}


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
    {{ known_transactions_in_ranges(
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
