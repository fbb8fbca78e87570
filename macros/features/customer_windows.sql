{#- CTE ``cte``: the targets' columns, and per target customer_nb_tx_<w>day and
    customer_amount_<w>day, the count and amount of its customer's transactions in
    (T - w, T], same-second ones up to it by transaction_id. -#}
{% macro customer_windows(cte, events, targets, windows) %}
    {{ return(adapter.dispatch('customer_windows', 'fraud_detection')(cte, events, targets, windows)) }}
{% endmacro %}


{#- Portable (Redshift: ROWS frames only). Each target's rank and running amount among its
    customer's transactions, minus those at the last transaction at or before T - w, found
    with probes: rows at T - w that sort after transactions of the same instant, whose row
    number among all rows minus their row number among probes counts the transactions
    before them. -#}
{% macro default__customer_windows(cte, events, targets, windows) %}
{{ window_ranked_events(cte ~ '__ranked', events, 'customer_id', 'tx_amount') }},

{{ cte }}__bounds as (
    {{ window_bounds_by_probes(cte ~ '__ranked', targets, 'customer_id', windows) }}
),

{{ cte }} as (

    select
        targets.*,
        {%- for w in windows %}
        own.event_rank - bounds.events_before_{{ w }}day as customer_nb_tx_{{ w }}day,
        own.running_sum - bounds.sum_before_{{ w }}day as customer_amount_{{ w }}day{{ "," if not loop.last }}
        {%- endfor %}
    from {{ targets }} as targets
    inner join {{ cte }}__ranked as own
        on targets.transaction_id = own.transaction_id
    inner join {{ cte }}__bounds as bounds
        on targets.transaction_id = bounds.transaction_id

)
{%- endmacro %}


{#- DuckDB: RANGE frames over one HUGEINT key per transaction, its instant and id,
    microseconds * 2^64 + (transaction_id + 2^63): same-instant transactions are then ordered
    by id, and a frame ends exactly at the current row. (T - w, T] starts at the key
    (T - w days + 1 microsecond) * 2^64, which lies (w days - 1 microsecond) * 2^64 +
    (transaction_id + 2^63) before the row's own key (DuckDB takes per-row offsets). Each
    frame's count and amount come from one packed sum (window_packed). When the targets are the
    events (the training set), every row is a target and keeps its own columns; otherwise
    the targets are picked out and joined. The var features_rendering: portable selects the
    default rendering. -#}
{% macro duckdb__customer_windows(cte, events, targets, windows) %}
{%- if project_var('features_rendering', 'native') == 'portable' -%}
    {{ return(default__customer_windows(cte, events, targets, windows)) }}
{%- endif -%}
{%- set targets_are_events = events == targets -%}
{%- set id_offset = '(transaction_id + 9223372036854775808)' -%}
{{ cte }}__packed as (

    select
        {{ '*' if targets_are_events else 'transaction_id' }},
        {%- for w in windows %}
        sum({{ window_packed('tx_amount * 100') }}) over window_{{ w }}day as packed_{{ w }}day{{ "," if not loop.last }}
        {%- endfor %}
    from {{ events }}
    window
        {%- for w in windows %}
        window_{{ w }}day as (
            partition by customer_id
            order by cast(epoch_us(tx_datetime) as hugeint) * 18446744073709551616 + {{ id_offset }}
            range between
                cast({{ window_microseconds(w) }} - 1 as hugeint) * 18446744073709551616 + {{ id_offset }} preceding
                and current row
        ){{ "," if not loop.last }}
        {%- endfor %}
    {%- if not targets_are_events %}
    qualify transaction_id in (select transaction_id from {{ targets }})
    {%- endif %}

),

{{ window_unpacked(cte, targets, targets_are_events, windows, 'customer_nb_tx', 'customer_amount', 100) }}
{%- endmacro %}
