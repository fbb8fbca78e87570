{#- How far after its arrival on the stream a record's own time may lie before it is rejected
    as from the future (var max_clock_skew_seconds), checked: a whole number of seconds. -#}
{% macro max_clock_skew_seconds() -%}
    {{ return(project_var('max_clock_skew_seconds') | int) }}
{%- endmacro %}
