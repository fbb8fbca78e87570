{#- How long after a record's first arrival a redelivery of it is recognised as such (var
    duplicate_horizon_hours), checked: a whole number of hours, 1 or more. -#}
{% macro duplicate_horizon_hours() -%}
    {{ return(project_var('duplicate_horizon_hours') | int) }}
{%- endmacro %}
