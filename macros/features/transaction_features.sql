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
        {{ _is_weekend('tx_datetime') }} as tx_during_weekend,
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
{% macro _is_weekend(timestamp) -%}
    case when extract(dow from {{ timestamp }}) in (0, 6) then 1 else 0 end
{%- endmacro %}
