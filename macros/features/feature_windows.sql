{#- The window lengths in days of the customer and terminal features (var feature_windows),
    checked: whole numbers of days, shortest first. -#}
{% macro feature_windows() -%}
    {%- set windows = project_var('feature_windows') -%}
    {%- if windows is string or windows is not sequence or windows | length == 0
        or windows | reject('integer') | list or windows | select('lt', 1) | list
        or windows | list != windows | sort | unique | list -%}
        {{ exceptions.raise_compiler_error(
            "the var feature_windows must be a list of whole numbers of days, shortest first,"
            ~ " got " ~ (windows | string | tojson)) }}
    {%- endif -%}
    {{ return(windows | list) }}
{%- endmacro %}
