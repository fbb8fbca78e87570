{#-
    The 15 model inputs of each target transaction, point in time: one definition, used for
    the training set (targets = the history) and for scoring (targets = new stream rows).

    Renders CTE definitions for a model's WITH clause, the last one named ``name``:
        with history as (...), {{ transaction_features('history', 'history', 'history') }}
        select * from transaction_features

    Arguments are relations (or CTE names) with these columns:
      targets            transaction_id, customer_id, terminal_id, tx_datetime, tx_amount
      customer_events    transaction_id, customer_id, tx_datetime, tx_amount: every known
                         transaction, labelled or not; must contain the targets
      terminal_events    transaction_id, terminal_id, tx_datetime, tx_fraud: labelled
                         transactions only

    Definitions (the Fraud Detection Handbook's), for a transaction at time T:
      customer_id_nb_tx_<w>day_window, customer_id_avg_amount_<w>day_window: the customer's
        transactions in (T - w days, T], the transaction itself included; transactions in
        the same second count up to this one in (tx_datetime, transaction_id) order, as the
        Handbook's pandas rolling window counts rows up to the current one.
      terminal_id_nb_tx_<w>day_window, terminal_id_risk_<w>day_window: the terminal's
        labelled transactions in (T - d - w days, T - d] with d = delay_days (labels arrive
        late), and the share of them that were fraud (0 when there are none).
      tx_during_weekend: Saturday or Sunday; tx_during_night: hour 0 to 6.

    The windows' counts and sums come from customer_windows then terminal_windows, chained:
    each keeps the columns of the one before and adds its own, so no join reassembles them.
    They render differently per adapter (Redshift has only ROWS frames); the tests run both
    renderings on DuckDB and compare them. When the targets are the events themselves (the
    training set), the windows run over them directly; otherwise events are limited to what
    the targets' windows can reach (their customers and terminals, over the longest window
    before them), so scoring new stream rows does not cost more as the history grows.
    ``carry`` names further target columns to keep (tx_fraud, arrival times).
-#}
{% macro transaction_features(targets, customer_events, terminal_events, name='transaction_features', carry=[], windows=none, delay_days=none, customer_totals=none) %}
{%- set windows = windows or feature_windows() -%}
{%- set delay_days = label_delay_days() if delay_days is none else delay_days -%}
{%- set longest = windows | max -%}
{%- if targets == customer_events and targets == terminal_events -%}
    {#- The training set: the targets are the events, all in reach. -#}
    {%- set customer_events_in_reach, terminal_events_in_reach = targets, targets -%}
{%- else -%}
    {%- set customer_events_in_reach = name ~ '__customer_events' -%}
    {%- set terminal_events_in_reach = name ~ '__terminal_events' -%}
{%- if customer_totals is none %}
{{ name }}__customer_events as (

    select transaction_id, customer_id, tx_datetime, tx_amount
    from {{ customer_events }}
    where
        tx_datetime > (select {{ dbt.dateadd('day', -longest, 'min(tx_datetime)') }} from {{ targets }})
        and customer_id in (select customer_id from {{ targets }})

),
{%- endif %}

{{ name }}__terminal_events as (

    select transaction_id, terminal_id, tx_datetime, tx_fraud
    from {{ terminal_events }}
    where
        {%- if customer_totals is none %}
        tx_datetime > (select {{ dbt.dateadd('day', -(delay_days + longest), 'min(tx_datetime)') }} from {{ targets }})
        and tx_datetime <= (select {{ dbt.dateadd('day', -delay_days, 'max(tx_datetime)') }} from {{ targets }})
        {%- else %}
        tx_datetime > {{ timestamp_sql(customer_totals.bounds.first, -(delay_days + longest)) }}
        and tx_datetime <= {{ timestamp_sql(customer_totals.bounds.last, -delay_days) }}
        {%- endif %}
        and terminal_id in (select terminal_id from {{ targets }})

),
{%- endif %}

{% if customer_totals is none -%}
{{ customer_windows(name ~ '__customer_windows', customer_events_in_reach, targets, windows) }},
{%- else -%}
{{ customer_windows_from_totals(name ~ '__customer_windows', targets, customer_totals.relation,
    customer_totals.history, customer_totals.stream, customer_totals.bounds, windows) }},
{%- endif %}

{{ terminal_windows(name ~ '__terminal_windows', terminal_events_in_reach, targets, name ~ '__customer_windows', windows, delay_days) }},

{{ name }} as (

    select
        transaction_id,
        customer_id,
        terminal_id,
        tx_datetime,
        tx_amount,
        {{ is_weekend('tx_datetime') }} as tx_during_weekend,
        case when extract(hour from tx_datetime) <= 6 then 1 else 0 end as tx_during_night,
        {%- for w in windows %}
        customer_nb_tx_{{ w }}day as customer_id_nb_tx_{{ w }}day_window,
        cast(customer_amount_{{ w }}day as double precision) / customer_nb_tx_{{ w }}day
            as customer_id_avg_amount_{{ w }}day_window,
        {%- endfor %}
        {%- for w in windows %}
        terminal_nb_tx_{{ w }}day as terminal_id_nb_tx_{{ w }}day_window,
        case
            when terminal_nb_tx_{{ w }}day = 0 then 0
            else cast(terminal_frauds_{{ w }}day as double precision) / terminal_nb_tx_{{ w }}day
        end as terminal_id_risk_{{ w }}day_window{{ "," if not (loop.last and not carry) }}
        {%- endfor %}
        {%- for column in carry %}
        {{ column }}{{ "," if not loop.last }}
        {%- endfor %}
    from {{ name }}__terminal_windows

)
{%- endmacro %}


{#- 1 when a timestamp falls on Saturday or Sunday, else 0. EXTRACT(dow) is 0 (Sunday) to
    6 (Saturday) on both Redshift and DuckDB: the walkthrough's `dow in (1, 7)` picked
    Monday and Saturday. -#}
{% macro is_weekend(timestamp) -%}
    case when extract(dow from {{ timestamp }}) in (0, 6) then 1 else 0 end
{%- endmacro %}


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
{{ _ranked_events(cte ~ '__ranked', events, 'customer_id', 'tx_amount') }},

{{ cte }}__bounds as (
    {{ _bounds_by_probes(cte ~ '__ranked', targets, 'customer_id', windows) }}
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
    frame's count and amount come from one packed sum (_packed). When the targets are the
    events (the training set), every row is a target and keeps its own columns; otherwise
    the targets are picked out and joined. The var features_rendering: portable selects the
    default rendering. -#}
{% macro duckdb__customer_windows(cte, events, targets, windows) %}
{%- if var('features_rendering', 'native') == 'portable' -%}
    {{ return(default__customer_windows(cte, events, targets, windows)) }}
{%- endif -%}
{%- set targets_are_events = events == targets -%}
{%- set id_offset = '(transaction_id + 9223372036854775808)' -%}
{{ cte }}__packed as (

    select
        {{ '*' if targets_are_events else 'transaction_id' }},
        {%- for w in windows %}
        sum({{ _packed('tx_amount * 100') }}) over window_{{ w }}day as packed_{{ w }}day{{ "," if not loop.last }}
        {%- endfor %}
    from {{ events }}
    window
        {%- for w in windows %}
        window_{{ w }}day as (
            partition by customer_id
            order by cast(epoch_us(tx_datetime) as hugeint) * 18446744073709551616 + {{ id_offset }}
            range between
                cast({{ _microseconds(w) }} - 1 as hugeint) * 18446744073709551616 + {{ id_offset }} preceding
                and current row
        ){{ "," if not loop.last }}
        {%- endfor %}
    {%- if not targets_are_events %}
    qualify transaction_id in (select transaction_id from {{ targets }})
    {%- endif %}

),

{{ _unpacked(cte, targets, targets_are_events, windows, 'customer_nb_tx', 'customer_amount', 100) }}
{%- endmacro %}


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
{{ _ranked_events(cte ~ '__ranked', events, 'terminal_id', 'tx_fraud') }},

{{ cte }}__bounds as (
    {{ _bounds_by_probes(cte ~ '__ranked', targets, 'terminal_id', bounds) }}
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
    from one packed sum (_packed). When the targets are the events (the training set), the
    frames run over the carried rows themselves; otherwise the targets join the labelled
    events as rows without a label, which the sum skips. -#}
{% macro duckdb__terminal_windows(cte, events, targets, carried, windows, delay_days) %}
{%- if var('features_rendering', 'native') == 'portable' -%}
    {{ return(default__terminal_windows(cte, events, targets, carried, windows, delay_days)) }}
{%- endif -%}
{%- set targets_are_events = events == targets -%}
{{ cte }}__packed as (

    select
        {{ '*' if targets_are_events else 'transaction_id' }},
        {%- for w in windows %}
        coalesce(sum({{ _packed('tx_fraud') }}) over window_{{ w }}day, 0) as packed_{{ w }}day{{ "," if not loop.last }}
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
            range between {{ _microseconds(delay_days + w) }} - 1 preceding
                and {{ _microseconds(delay_days) }} preceding
        ){{ "," if not loop.last }}
        {%- endfor %}
    {%- if not targets_are_events %}
    qualify is_target = 1
    {%- endif %}

),

{{ _unpacked(cte, carried, targets_are_events, windows, 'terminal_nb_tx', 'terminal_frauds') }}
{%- endmacro %}


{#- A number of days in microseconds, the unit of DuckDB's epoch_us. -#}
{% macro _microseconds(days) -%}
    {{ days * 86400 * 1000000 }}
{%- endmacro %}


{#- A count and a sum in one windowed sum, which halves DuckDB's frame work: each row adds
    2^80 + units (an integer measure: cents, or the fraud flag), so the sum is
    count * 2^80 + sum(units). _packed_count rounds it to the nearest multiple of 2^80 (bit
    shifts on HUGEINT, exact); _packed_sum is the rest. Exact while a frame's units sum to
    less than 2^79 (about 6 * 10^23) in absolute value: staging caps one amount at 10^18
    cents. A null measure (an unlabelled target) adds nothing. -#}
{% macro _packed(units) -%}
    (cast({{ units }} as hugeint) + (cast(1 as hugeint) << 80))
{%- endmacro %}

{% macro _packed_count(packed) -%}
    cast(({{ packed }} + (cast(1 as hugeint) << 79)) >> 80 as bigint)
{%- endmacro %}

{% macro _packed_sum(packed) -%}
    ({{ packed }} - (cast({{ _packed_count(packed) }} as hugeint) << 80))
{%- endmacro %}

{#- CTE ``cte`` from ``cte``__packed (packed_<w>day per row): the count and the sum of each
    window, <count_name>_<w>day and <sum_name>_<w>day (units / units_per_value, a double),
    with the columns of the packed rows when the targets are the events, else of
    ``carried`` (one row per target). -#}
{% macro _unpacked(cte, carried, targets_are_events, windows, count_name, sum_name, units_per_value=1) %}
{{ cte }} as (

    select
        {%- if targets_are_events %}
        packed.* exclude ({% for w in windows %}packed_{{ w }}day{{ ", " if not loop.last }}{% endfor %}),
        {%- else %}
        carried.*,
        {%- endif %}
        {%- for w in windows %}
        {{ _packed_count('packed.packed_' ~ w ~ 'day') }} as {{ count_name }}_{{ w }}day,
        cast({{ _packed_sum('packed.packed_' ~ w ~ 'day') }} as double) / {{ units_per_value }}
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
{% macro _ranked_events(cte, events, key, measure) %}
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
{% macro _bounds_by_probes(ranked, targets, key, bounds) %}
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
