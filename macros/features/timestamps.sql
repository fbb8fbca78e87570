{#- A timestamp from a one-value query: a Python datetime read from the warehouse (``default``
    when NULL), or, when not to ``ask`` (a first run, whose relations may not exist yet as it
    compiles) or without a warehouse to ask (parsing, an offline compile), the query as a
    scalar subquery. Literals let the warehouse skip blocks by their zone maps; a subquery
    would not, which only a first run can afford. -#}
{% macro timestamp_lookup(query, default='1900-01-01', ask=true) -%}
    {%- if ask and execute and not project_var('offline_compile', false) -%}
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

{#- earlier_timestamp and later_timestamp's body. -#}
{% macro _pick_timestamp(a, b, pick) -%}
    {%- if a is string or b is string -%}
        {{ return(pick ~ '(' ~ timestamp_sql(a) ~ ', ' ~ timestamp_sql(b) ~ ')') }}
    {%- else -%}
        {{ return(([a, b] | min) if pick == 'least' else ([a, b] | max)) }}
    {%- endif -%}
{%- endmacro %}
