{#- How far after its arrival on the stream a record's own time may lie before it is rejected
    as from the future (var max_clock_skew_seconds), checked: a whole number of seconds. -#}
{% macro max_clock_skew_seconds() -%}
    {{ return(checked_var(
        'max_clock_skew_seconds', var('max_clock_skew_seconds'), '[0-9]{1,10}',
        'a whole number of seconds, 0 or more') | int) }}
{%- endmacro %}


{#- How long after a record's first arrival a redelivery of it is recognised as such (var
    duplicate_horizon_hours), checked: a whole number of hours, 1 or more. -#}
{% macro duplicate_horizon_hours() -%}
    {{ return(checked_var(
        'duplicate_horizon_hours', var('duplicate_horizon_hours'), '[1-9][0-9]{0,4}',
        'a whole number of hours from 1 to 99999') | int) }}
{%- endmacro %}
