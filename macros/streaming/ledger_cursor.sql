{#- A staging ledger's cursor on its streaming view, which does not depend on the view's
    refreshes committing in the order they start. REFRESH "runs as a transaction of its own"
    (https://docs.aws.amazon.com/redshift/latest/dg/materialized-view-refresh-sql-command.html),
    and no page says that one view's refreshes never overlap: one that started earlier (an
    earlier refresh_time) may commit after a later one the ledger has already taken.

    The ledger holds one row per record of the view, with the view's refresh_time
    (_refresh_started_at). Each run first counts the view's records refreshed within the var
    refresh_lookback_minutes before the newest _refreshed_at held (``taken``), and the
    ledger's: two counts over the newest blocks, which the zone maps find. Equal (the usual
    case), it takes the records refreshed after ``taken``, as a plain cursor would. Not equal
    (a refresh committed late), it takes the records of that window it does not hold, by
    shard and sequence number (EXISTS,
    https://docs.aws.amazon.com/redshift/latest/dg/r_exists_condition.html). Either way the
    records it adds are stamped newer than all it held (ledger_refreshed_at), so the models
    downstream, whose cursor is the ledger's _refreshed_at, take them too. Nothing on a first
    run or a full refresh (``taken`` none). -#}
{% macro ledger_records_not_taken(view, records, taken) -%}
    {%- if taken is not none -%}
        {%- set since = refresh_lookback_start(taken) -%}
        {%- if ledger_lacks_records(view, since, taken) -%}
        where
            {{ records }}.refresh_time > {{ since }}
            and not exists (
                select 1
                from {{ this }} as taken_records
                where
                    taken_records._refreshed_at > {{ since }}
                    and taken_records._shard_id = {{ records }}.shard_id
                    and taken_records._sequence_number = {{ records }}.sequence_number
            )
        {%- else -%}
        where {{ records }}.refresh_time > {{ taken }}
        {%- endif -%}
    {%- endif -%}
{%- endmacro %}


{#- Whether the view holds records refreshed from ``since`` to ``taken`` that the ledger does
    not: the two counts differ. Without a warehouse to ask (an offline compile), or on the
    first run after an upgrade, before the ledger has its _refresh_started_at column
    (on_schema_change adds it), true: the exact path is right in every case. A ledger row's
    _refreshed_at is never before its _refresh_started_at, so its blocks are found by the
    first; the rows taken before the column was added have it null, and their _refreshed_at
    is their refresh_time. -#}
{% macro ledger_lacks_records(view, since, taken) -%}
    {%- if project_var('offline_compile', false) or not execute -%}
        {{ return(true) }}
    {%- endif -%}
    {%- set columns = adapter.get_columns_in_relation(this) | map(attribute='name') | map('lower') -%}
    {%- if '_refresh_started_at' not in columns -%}
        {{ return(true) }}
    {%- endif -%}
    {%- set counts -%}
        select
            (
                select count(*) from {{ view }}
                where refresh_time > {{ since }} and refresh_time <= {{ taken }}
            )
            - (
                select count(*) from {{ this }}
                where
                    _refreshed_at > {{ since }}
                    and coalesce(_refresh_started_at, _refreshed_at) > {{ since }}
                    and coalesce(_refresh_started_at, _refreshed_at) <= {{ taken }}
            )
    {%- endset -%}
    {{ return(run_query(counts).columns[0].values()[0] != 0) }}
{%- endmacro %}


{#- A ledger row's _refreshed_at: its refresh's refresh_time, or, for a refresh that committed
    after the ledger had taken a later one, a microsecond after the newest _refreshed_at taken
    before (GREATEST, https://docs.aws.amazon.com/redshift/latest/dg/r_GREATEST_LEAST.html).
    Every run's rows are then newer than all the ledger held before. -#}
{% macro ledger_refreshed_at(refresh_time, taken) -%}
    {%- if taken is none -%}
        {{ refresh_time }}
    {%- else -%}
        greatest({{ refresh_time }}, {{ dbt.dateadd('microsecond', 1, taken) }})
    {%- endif -%}
{%- endmacro %}
