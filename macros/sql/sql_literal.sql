{#- A Python value as a SQL literal: null, a number, or a quoted string (its quotes doubled),
    cast to ``type`` if one is given. -#}
{% macro sql_literal(value, type=none) -%}
    {%- if value is none -%}
        null
    {%- elif value is number -%}
        {{ value }}
    {%- elif type -%}
        cast('{{ value | replace("'", "''") }}' as {{ type }})
    {%- else -%}
        '{{ value | replace("'", "''") }}'
    {%- endif -%}
{%- endmacro %}
