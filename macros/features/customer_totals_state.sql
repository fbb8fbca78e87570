{#- What int_customer_totals has taken: the newest stream refresh (taken) and the boundary
    its counts before each window are as of (boundary), as timestamp_lookup values; both
    1900-01-01 when the relation does not exist yet or is empty. -#}
{% macro customer_totals_taken(relation) -%}
    {%- set online = execute and not project_var('offline_compile', false) -%}
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


{#- Whether int_customer_totals is built from every known transaction: on its first run, on a
    full refresh, and when the history holds a different number of transactions than the
    totals were built with (a reloaded history). Its pre-hook then empties it. -#}
{% macro customer_totals_rebuild(relation, history) -%}
    {#- An offline compile renders the incremental run, without asking the warehouse. -#}
    {%- if project_var('offline_compile', false) -%}
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
