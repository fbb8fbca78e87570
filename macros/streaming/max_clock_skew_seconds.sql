{#- How far after its arrival on the stream a record's own time may lie before it is rejected
    as from the future (var max_clock_skew_seconds), checked: a whole number of seconds. -#}
{% macro max_clock_skew_seconds() -%}
    {{ return(checked_var(
        'max_clock_skew_seconds', var('max_clock_skew_seconds'), '[0-9]{1,10}',
        'a whole number of seconds, 0 or more') | int) }}
{%- endmacro %}
