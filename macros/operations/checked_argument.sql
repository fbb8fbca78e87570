{#- An operation's argument that reaches SQL as a literal, checked against the format it must
    have, so that a quote in it can never end the literal: a compiler error names the argument
    and the rule. (Vars have their rules in var_rules(), read through project_var().) -#}
{% macro checked_argument(name, value, pattern, rule) %}
    {%- if value is not none and not modules.re.fullmatch(pattern, value | string) -%}
        {{ exceptions.raise_compiler_error(
            "the argument " ~ name ~ " must be " ~ rule ~ ", got " ~ (value | string | tojson)) }}
    {%- endif -%}
    {{ return(value) }}
{% endmacro %}
