{#- Locally: the row of a version just trained (info: the plugin's ModelInfo, with the gate's
    decision), and the version it replaced, if it serves, retired. -#}
{% macro ml_model_version_record_sql(versions, model_name, info, settings) %}
    {%- set gate = info.gate or {} -%}
    {%- set challenger = gate.get('challenger') or {} -%}
    {%- set serving = gate.get('serving') or {} -%}
    {%- set status = 'serving' if gate.get('serve') else 'refused' -%}
    {%- if gate.get('serve') %}
update {{ versions }} set status = 'retired'
where model_name = '{{ model_name }}' and status = 'serving';
    {%- endif %}
insert into {{ versions }} (
    model_name, version, function_name, fingerprint, is_auto, status, reason, created_at,
    training_start, training_end, gate_start, gate_end, average_precision,
    card_precision_at_100, serving_version, serving_average_precision,
    serving_card_precision_at_100
)
values (
    '{{ model_name }}', {{ info.version }}, '{{ settings.function }}', '{{ info.fingerprint }}',
    {{ settings.auto }}, '{{ status }}', {{ _sql_value(gate.get('reason')) }}, {{ utc_now() }},
    {{ _sql_value(info.training_start, 'timestamp') }}, {{ _sql_value(info.training_end, 'timestamp') }},
    {{ _sql_value(gate.get('gate_start'), 'timestamp') }}, {{ _sql_value(gate.get('gate_end'), 'timestamp') }},
    {{ _sql_value(challenger.get('average_precision')) }}, {{ _sql_value(challenger.get('card_precision_at_100')) }},
    {{ _sql_value(gate.get('serving_version')) }}, {{ _sql_value(serving.get('average_precision')) }},
    {{ _sql_value(serving.get('card_precision_at_100')) }}
)
{% endmacro %}

{#- A Python value as a SQL literal: null, a number, or a quoted string (cast if a type is given). -#}
{% macro _sql_value(value, type=none) -%}
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
