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
    {{ settings.auto }}, '{{ status }}', {{ sql_literal(gate.get('reason')) }}, {{ utc_now() }},
    {{ sql_literal(info.training_start, 'timestamp') }}, {{ sql_literal(info.training_end, 'timestamp') }},
    {{ sql_literal(gate.get('gate_start'), 'timestamp') }}, {{ sql_literal(gate.get('gate_end'), 'timestamp') }},
    {{ sql_literal(challenger.get('average_precision')) }}, {{ sql_literal(challenger.get('card_precision_at_100')) }},
    {{ sql_literal(gate.get('serving_version')) }}, {{ sql_literal(serving.get('average_precision')) }},
    {{ sql_literal(serving.get('card_precision_at_100')) }}
)
{% endmacro %}
