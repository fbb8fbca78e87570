{#- A var's value that reaches SQL as a literal or an identifier, checked against the format
    it must have, so that a quote in it can never end the literal: a compiler error names the
    var and the rule. -#}
{% macro checked_var(name, value, pattern, rule) %}
    {%- if value is not none and not modules.re.fullmatch(pattern, value | string) -%}
        {{ exceptions.raise_compiler_error(
            "the var " ~ name ~ " must be " ~ rule ~ ", got " ~ (value | string | tojson)) }}
    {%- endif -%}
    {{ return(value) }}
{% endmacro %}


{#- A var holding a timestamp (YYYY-MM-DD, optionally with a time), checked; none if unset. -#}
{% macro timestamp_var(name, default=none) %}
    {{ return(checked_var(
        name, var(name, default),
        '[0-9]{4}-[0-9]{2}-[0-9]{2}([ T][0-9]{2}:[0-9]{2}(:[0-9]{2}([.][0-9]{1,6})?)?)?',
        'a date or timestamp, YYYY-MM-DD[ HH:MM[:SS]]')) }}
{% endmacro %}
