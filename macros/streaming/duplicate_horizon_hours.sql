{#- How long after a record's first arrival a redelivery of it is recognised as such (var
    duplicate_horizon_hours), checked: a whole number of hours, 1 or more. -#}
{% macro duplicate_horizon_hours() -%}
    {{ return(checked_var(
        'duplicate_horizon_hours', var('duplicate_horizon_hours'), '[1-9][0-9]{0,4}',
        'a whole number of hours from 1 to 99999') | int) }}
{%- endmacro %}
