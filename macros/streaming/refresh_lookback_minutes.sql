{#- How long a streaming view's refresh may take from its start (the refresh_time of its rows)
    to its commit (var refresh_lookback_minutes), checked: a whole number of minutes, 0 or
    more. The ledgers look that far back for records they have not taken. -#}
{% macro refresh_lookback_minutes() -%}
    {{ return(project_var('refresh_lookback_minutes') | int) }}
{%- endmacro %}


{#- The start of the lookback window before ``taken`` (a SQL timestamp): the one rule the
    ledgers' cursor and the trim share. DATEADD,
    https://docs.aws.amazon.com/redshift/latest/dg/r_DATEADD_function.html -#}
{% macro refresh_lookback_start(taken) -%}
    {{ return(dbt.dateadd('minute', -refresh_lookback_minutes(), taken)) }}
{%- endmacro %}
