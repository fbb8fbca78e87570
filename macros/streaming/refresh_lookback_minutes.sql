{#- How long a streaming view's refresh may take from its start (the refresh_time of its rows)
    to its commit (var refresh_lookback_minutes), checked: a whole number of minutes, 0 or
    more. The ledgers look that far back for records they have not taken. -#}
{% macro refresh_lookback_minutes() -%}
    {{ return(project_var('refresh_lookback_minutes') | int) }}
{%- endmacro %}
