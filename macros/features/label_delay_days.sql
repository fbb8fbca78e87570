{#- How many days after a transaction its label is known (var label_delay_days), checked. -#}
{% macro label_delay_days() -%}
    {{ return(project_var('label_delay_days') | int) }}
{%- endmacro %}
