{#- An incremental model's WHERE clause: the rows whose _refreshed_at is newer than any the
    model already holds, so each run takes only what the streaming view's refreshes added.
    The newest _refreshed_at is read first and written into the clause as a literal, so that
    the filter on the source skips its older blocks by their zone maps (DuckDB's row groups,
    Redshift's 1 MB blocks, https://docs.aws.amazon.com/redshift/latest/dg/t_Sorting_data.html)
    instead of reading the whole source: a cycle then costs what its new rows cost, however
    much the tables keep. Nothing on a first run or a full refresh; a first run over an empty
    stream leaves the model empty, and the clause then takes everything. An offline compile
    (var offline_compile) renders the incremental clause of an incremental model without
    asking the warehouse; a view (the predictions on Redshift) gets none: it would read
    itself. -#}
{% macro refreshed_since_last_run(column) -%}
    {%- if run_takes_new_rows() -%}
        where {{ column }} > {{ newest_refresh_taken(this) }}
    {%- endif -%}
{%- endmacro %}


{#- Whether this run of the model takes only new rows: an incremental run, or, in an offline
    compile (no warehouse to ask), any incremental model. -#}
{% macro run_takes_new_rows() -%}
    {%- if project_var('offline_compile', false) -%}
        {{ return(config.get('materialized') == 'incremental') }}
    {%- else -%}
        {{ return(is_incremental()) }}
    {%- endif -%}
{%- endmacro %}


{#- The newest _refreshed_at of a relation, as a SQL timestamp literal (1900-01-01 when it is
    empty). Looked up among the last 10 minutes' rows first, then the last day's, which the
    zone maps find without a scan of the rest (the rows are appended in _refreshed_at order);
    the whole relation only when it took nothing for a day. Without a warehouse to ask
    (parsing, an offline compile), the lookup as a subquery. -#}
{% macro newest_refresh_taken(relation) -%}
    {%- if project_var('offline_compile', false) or not execute -%}
        (
            select coalesce(max(_refreshed_at), cast('1900-01-01' as timestamp))
            from {{ relation }}
        )
    {%- else -%}
        {%- set found = namespace(newest=none) -%}
        {%- for since in [dbt.dateadd('minute', -10, utc_now()), dbt.dateadd('day', -1, utc_now()), none] -%}
            {%- if found.newest is none -%}
                {%- set lookup -%}
                    select max(_refreshed_at) from {{ relation }}
                    {% if since is not none %}where _refreshed_at > {{ since }}{% endif %}
                {%- endset -%}
                {%- set found.newest = run_query(lookup).columns[0].values()[0] -%}
            {%- endif -%}
        {%- endfor -%}
        {%- set text = '1900-01-01 00:00:00' if found.newest is none
            else found.newest.strftime('%Y-%m-%d %H:%M:%S.%f') -%}
        cast('{{ text }}' as timestamp)
    {%- endif -%}
{%- endmacro %}
