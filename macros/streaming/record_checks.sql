{#- The checks a stream record's fields go through, shared by the ledgers of both streams.
    ``fields`` is a list of (key, pattern, JSON type, column type): the key in the record's
    JSON object, the pattern its text must match, 'number' or 'string', and the SQL type its
    text must cast to (the cast itself is a check: 2026-02-30 is no timestamp). -#}

{#- Per field, <key>_text (its JSON value as text: a number's digits as written) and
    <key>_is_string, from the columns kinesis_data and payload, and names_a_key_twice,
    unless is_too_large says the record is too large to read (the relation has the columns
    is_too_large and is_utf8). -#}
{% macro record_checks_extracted(fields) %}
    {%- set keys = [] -%}
    {%- for field in fields -%}
        {%- do keys.append(field[0]) -%}
    {%- endfor %}
            {#- The record's text is read only when it is UTF-8: FROM_VARBYTE's page does not say
                what it does otherwise (the rehearsal's errors, and failed the whole run). -#}
            case
                when not is_too_large and is_utf8
                    then {{ json_names_a_key_twice('kinesis_data', keys) }}
            end as names_a_key_twice,
    {%- for key, pattern, json_type, column_type in fields %}
            case
                when not is_too_large and '{{ json_type }}' = 'number' and is_utf8
                    then {{ json_number_text('kinesis_data', 'payload', key) }}
                when not is_too_large then {{ json_text('payload', key) }}
            end as {{ key | lower }}_text,
            case
                when not is_too_large then {{ json_is_string('payload', key) }}
            end as {{ key | lower }}_is_string
            {%- if not loop.last %},{% endif %}
    {% endfor %}
{%- endmacro %}


{#- Per field, <key>_typed: its text cast to its type when it matches its pattern, else null. -#}
{% macro record_checks_typed(fields) %}
    {%- for key, pattern, json_type, column_type in fields %}
            {%- set text = key | lower ~ '_text' %}
            {%- set value = text %}
            {%- if column_type == 'timestamp' %}
                {%- set value = "replace(" ~ text ~ ", 'T', ' ')" %}
            {%- endif %}
            case
                when {{ matches_pattern(text, pattern) }}
                    then {{ try_cast(value, column_type) }}
            end as {{ key | lower }}_typed
            {%- if not loop.last %},{% endif %}
    {% endfor %}
{%- endmacro %}


{#- The WHEN branches of a reject reason, in order: too_large, not_utf8, duplicate_key,
    not_json, not_a_json_object, then per field missing_<key> and invalid_<key>. ``relation`` is the
    alias of a relation with the columns the two macros above add. -#}
{% macro record_checks_rejects(fields, relation) %}
            when {{ relation }}.is_too_large then 'too_large'
            when not {{ relation }}.is_utf8 then 'not_utf8'
            when {{ relation }}.names_a_key_twice then 'duplicate_key'
            when not {{ relation }}.is_json then 'not_json'
            when not {{ relation }}.is_object then 'not_a_json_object'
            {% for key, pattern, json_type, column_type in fields %}
                {%- set column = relation ~ '.' ~ key | lower %}
                {#- Absent or null; a string, even "", is there (Redshift's JSON text of "" and of
                    an absent key are alike: the string test tells them apart). #}
                when {{ column }}_text is null and not coalesce({{ column }}_is_string, false)
                    then 'missing_{{ key | lower }}'
                {%- set is_string = 'true' if json_type == 'string' else 'false' %}
                when
                    coalesce({{ column }}_is_string, false) != {{ is_string }}
                    or {{ column }}_typed is null
                    then 'invalid_{{ key | lower }}'
            {% endfor %}
{%- endmacro %}
