{#- How many days after a transaction its label is known (var label_delay_days), checked. -#}
{% macro label_delay_days() -%}
    {{ return(checked_var(
        'label_delay_days', var('label_delay_days'), '[0-9]{1,3}',
        'a whole number of days from 0 to 999') | int) }}
{%- endmacro %}
