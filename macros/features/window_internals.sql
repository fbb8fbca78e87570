{#- A number of days in microseconds, the unit of DuckDB's epoch_us. -#}
{% macro window_microseconds(days) -%}
    {{ days * 86400 * 1000000 }}
{%- endmacro %}


{#- A count and a sum in one windowed sum, which halves DuckDB's frame work: each row adds
    2^80 + units (an integer measure: cents, or the fraud flag), so the sum is
    count * 2^80 + sum(units). window_packed_count rounds it to the nearest multiple of 2^80 (bit
    shifts on HUGEINT, exact); window_packed_sum is the rest. Exact while a frame's units sum to
    less than 2^79 (about 6 * 10^23) in absolute value: staging caps one amount at 10^18
    cents. A null measure (an unlabelled target) adds nothing. -#}
{% macro window_packed(units) -%}
    (cast({{ units }} as hugeint) + (cast(1 as hugeint) << 80))
{%- endmacro %}

{% macro window_packed_count(packed) -%}
    cast(({{ packed }} + (cast(1 as hugeint) << 79)) >> 80 as bigint)
{%- endmacro %}

{% macro window_packed_sum(packed) -%}
    ({{ packed }} - (cast({{ window_packed_count(packed) }} as hugeint) << 80))
{%- endmacro %}


{#- CTE ``cte`` from ``cte``__packed (packed_<w>day per row): the count and the sum of each
    window, <count_name>_<w>day and <sum_name>_<w>day (units / units_per_value, a double),
    with the columns of the packed rows when the targets are the events, else of
    ``carried`` (one row per target). -#}
{% macro window_unpacked(cte, carried, targets_are_events, windows, count_name, sum_name, units_per_value=1) %}
{{ cte }} as (

    select
        {%- if targets_are_events %}
        packed.* exclude ({% for w in windows %}packed_{{ w }}day{{ ", " if not loop.last }}{% endfor %}),
        {%- else %}
        carried.*,
        {%- endif %}
        {%- for w in windows %}
        {{ window_packed_count('packed.packed_' ~ w ~ 'day') }} as {{ count_name }}_{{ w }}day,
        cast({{ window_packed_sum('packed.packed_' ~ w ~ 'day') }} as double) / {{ units_per_value }}
            as {{ sum_name }}_{{ w }}day{{ "," if not loop.last }}
        {%- endfor %}
    from {{ cte }}__packed as packed
    {%- if not targets_are_events %}
    inner join {{ carried }} as carried
        on packed.transaction_id = carried.transaction_id
    {%- endif %}

)
{%- endmacro %}


{#- CTE ``cte``: the events ranked per key (customer or terminal) in (tx_datetime,
    transaction_id) order, with the running sum of a measure (amount or fraud flag). -#}
{% macro window_ranked_events(cte, events, key, measure) %}
{{ cte }} as (

    select
        transaction_id,
        {{ key }},
        tx_datetime,
        row_number() over (
            partition by {{ key }} order by tx_datetime, transaction_id
        ) as event_rank,
        sum({{ measure }}) over (
            partition by {{ key }}
            order by tx_datetime, transaction_id
            rows between unbounded preceding and current row
        ) as running_sum
    from {{ events }}

)
{%- endmacro %}


{#- For each target: events_before_<b>day, how many ranked events of its partition lie at or
    before T - b days, and sum_before_<b>day, their running sum. A probe sorts after events
    of the same instant; its row number among all rows minus its row number among probes is
    the count of events before it, and the running sum at that rank is their sum. -#}
{% macro window_bounds_by_probes(ranked, targets, key, bounds) %}
    select
        probes.transaction_id,
        {%- for b in bounds %}
        max(case when probes.bound_days = {{ b }} then probes.events_before end) as events_before_{{ b }}day,
        coalesce(max(case when probes.bound_days = {{ b }} then ranked.running_sum end), 0)
            as sum_before_{{ b }}day{{ "," if not loop.last }}
        {%- endfor %}
    from (
        select
            transaction_id,
            {{ key }},
            bound_days,
            is_probe,
            row_number() over (
                partition by {{ key }} order by event_at, is_probe, transaction_id, bound_days
            ) - row_number() over (
                partition by {{ key }}, is_probe order by event_at, transaction_id, bound_days
            ) as events_before
        from (
            select transaction_id, {{ key }}, tx_datetime as event_at, 0 as is_probe, 0 as bound_days
            from {{ ranked }}
            {%- for b in bounds %}
            union all
            select
                transaction_id,
                {{ key }},
                {{ dbt.dateadd('day', -b, 'tx_datetime') }} as event_at,
                1 as is_probe,
                {{ b }} as bound_days
            from {{ targets }}
            {%- endfor %}
        ) as timeline
    ) as probes
    left join {{ ranked }} as ranked
        on probes.{{ key }} = ranked.{{ key }} and probes.events_before = ranked.event_rank
    where probes.is_probe = 1
    group by probes.transaction_id
{%- endmacro %}


{#- Known transactions (history and stream relations) of ``columns``, each range (window_days,
    operator, lower bound, upper bound or none) a thin slice by tx_datetime, tagged with its
    window_days (0: from the targets' first instant on). -#}
{% macro window_known_transactions(history, stream, ranges, columns) %}
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


{#- A known transaction (window_days 0) after the target: later, or in the same second with a
    larger id. -#}
{% macro window_after_target() -%}
    known.window_days = 0
    and (
        known.tx_datetime > targets.tx_datetime
        or (known.tx_datetime = targets.tx_datetime and known.transaction_id > targets.transaction_id)
    )
{%- endmacro %}
