{#- CTE ``cte``: the columns of ``carried`` (a CTE with a row per target, such as
    customer_windows), and per target terminal_nb_tx_<w>day and terminal_frauds_<w>day,
    the count and frauds of its terminal's labelled transactions in (T - d - w, T - d]. -#}
{% macro terminal_windows(cte, events, targets, carried, windows, delay_days) %}
    {{ return(adapter.dispatch('terminal_windows', 'fraud_detection')(cte, events, targets, carried, windows, delay_days)) }}
{% endmacro %}


{#- Portable (Redshift): probes at T - d and T - d - w, as for customers. -#}
{% macro default__terminal_windows(cte, events, targets, carried, windows, delay_days) %}
{%- set bounds = [delay_days] -%}
{%- for w in windows %}{% do bounds.append(delay_days + w) %}{% endfor -%}
{{ window_ranked_events(cte ~ '__ranked', events, 'terminal_id', 'tx_fraud') }},

{{ cte }}__bounds as (
    {{ window_bounds_by_probes(cte ~ '__ranked', targets, 'terminal_id', bounds) }}
),

{{ cte }} as (

    select
        carried.*,
        {%- for w in windows %}
        bounds.events_before_{{ delay_days }}day - bounds.events_before_{{ delay_days + w }}day
            as terminal_nb_tx_{{ w }}day,
        bounds.sum_before_{{ delay_days }}day - bounds.sum_before_{{ delay_days + w }}day
            as terminal_frauds_{{ w }}day{{ "," if not loop.last }}
        {%- endfor %}
    from {{ carried }} as carried
    inner join {{ cte }}__bounds as bounds
        on carried.transaction_id = bounds.transaction_id

)
{%- endmacro %}


{#- DuckDB: RANGE frames ending d days before each row, each frame's count and frauds
    from one packed sum (window_packed). When the targets are the events (the training set), the
    frames run over the carried rows themselves; otherwise the targets join the labelled
    events as rows without a label, which the sum skips. -#}
{% macro duckdb__terminal_windows(cte, events, targets, carried, windows, delay_days) %}
{%- if project_var('features_rendering', 'native') == 'portable' -%}
    {{ return(default__terminal_windows(cte, events, targets, carried, windows, delay_days)) }}
{%- endif -%}
{%- set targets_are_events = events == targets -%}
{{ cte }}__packed as (

    select
        {{ '*' if targets_are_events else 'transaction_id' }},
        {%- for w in windows %}
        coalesce(sum({{ window_packed('tx_fraud') }}) over window_{{ w }}day, 0) as packed_{{ w }}day{{ "," if not loop.last }}
        {%- endfor %}
    {%- if targets_are_events %}
    from {{ carried }}
    {%- else %}
    from (
        select transaction_id, terminal_id, tx_datetime, tx_fraud, 0 as is_target
        from {{ events }}
        where transaction_id not in (select transaction_id from {{ targets }})
        union all
        select
            targets.transaction_id,
            targets.terminal_id,
            targets.tx_datetime,
            events.tx_fraud,
            1 as is_target
        from {{ targets }} as targets
        left join {{ events }} as events
            on targets.transaction_id = events.transaction_id
    ) as timeline
    {%- endif %}
    window
        {%- for w in windows %}
        window_{{ w }}day as (
            partition by terminal_id
            order by epoch_us(tx_datetime)
            range between {{ window_microseconds(delay_days + w) }} - 1 preceding
                and {{ window_microseconds(delay_days) }} preceding
        ){{ "," if not loop.last }}
        {%- endfor %}
    {%- if not targets_are_events %}
    qualify is_target = 1
    {%- endif %}

),

{{ window_unpacked(cte, carried, targets_are_events, windows, 'terminal_nb_tx', 'terminal_frauds') }}
{%- endmacro %}
