{#- A var's value, checked against its rule in var_rules(): the one way the project reads a
    var. Called as var() is: project_var(name) for a var that must be set (dbt_project.yml
    sets it), project_var(name, default) for one that may not be. A value against its rule is
    a compiler error in one line that names the var and the rule, before any SQL is run. -#}
{% macro project_var(name) %}
    {%- set rules = var_rules() -%}
    {%- if name not in rules -%}
        {{ exceptions.raise_compiler_error("the var " ~ name ~ " has no rule in var_rules()") }}
    {%- endif -%}
    {%- set value = var(name, *varargs) -%}
    {{ return(checked_var_value(name, value, rules[name])) }}
{% endmacro %}


{#- ``value`` if it keeps ``rule`` (a rule of var_rules()), else a compiler error naming the var
    ``name``. Unset (none) keeps every rule: the var's reader decides what unset means. -#}
{% macro checked_var_value(name, value, rule) %}
    {%- set re = modules.re -%}
    {%- set bool = value is sameas true or value is sameas false -%}
    {%- set items = [] -%}
    {%- set state = namespace(ok=true) -%}
    {%- set wants_mapping = rule.get('keys') is not none or rule.get('fields') is not none -%}
    {%- if value is none or (bool and (rule.get('bool') or rule.get('or_bool'))) -%}
        {#- unset, or a boolean where one is allowed -#}
    {%- elif rule.get('bool') or bool or (value is mapping) != wants_mapping -%}
        {%- set state.ok = false -%}
    {%- elif rule.get('each') -%}
        {%- set state.ok = value is iterable and (value is not string or rule.get('or_string')) -%}
        {%- set items = ([value] if value is string else value) if state.ok else [] -%}
        {%- for item in items if not ((item is string or item is number) and re.fullmatch(rule['each'], item | string)) -%}
            {%- set state.ok = false -%}
        {%- endfor -%}
    {%- elif rule.get('keys') -%}
        {%- for key, item in value.items() if not (key is string and re.fullmatch(rule['keys'], key)
                and (item is string or item is number) and re.fullmatch(rule['values'], item | string)) -%}
            {%- set state.ok = false -%}
        {%- endfor -%}
    {%- elif rule.get('fields') -%}
        {%- set state.ok = value.keys() | list | sort == rule['fields'].keys() | list | sort -%}
        {%- for field, pattern in (rule['fields'].items() if state.ok else []) -%}
            {%- set items = [value[field]] if value[field] is string else value[field] -%}
            {%- if items is not iterable or items is mapping or items | length == 0 -%}
                {%- set state.ok = false -%}
            {%- else -%}
                {%- for item in items if not (item is string and re.fullmatch(pattern, item)) -%}
                    {%- set state.ok = false -%}
                {%- endfor -%}
            {%- endif -%}
        {%- endfor -%}
    {%- else -%}
        {%- set state.ok = (value is string or value is number)
            and re.fullmatch(rule['pattern'], value | string) is not none -%}
    {%- endif -%}
    {%- if not state.ok -%}
        {{ exceptions.raise_compiler_error(
            "the var " ~ name ~ " must be " ~ rule['rule'] ~ ", got " ~ (value | string | tojson)) }}
    {%- endif -%}
    {{ return(value) }}
{% endmacro %}


{#- Every var with a rule, checked (on-run-start, dbt_project.yml): those that only dbt's YAML
    reads (a source's schema or identifier, the grants) are refused too before a run's first
    statement. Renders no SQL. -#}
{% macro check_project_vars() %}
    {%- for name in var_rules() -%}
        {%- do project_var(name, none) -%}
    {%- endfor -%}
{% endmacro %}
