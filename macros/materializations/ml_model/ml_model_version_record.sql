{#- A version's gate decision, on both targets (decision: fraud_detection.learner.gate's
    GateDecision as a dict): the version, held at 'gating', serving or refused, with both
    versions' figures on the gate week and the reason; if it serves, the version it replaces
    moves to replaced_status (locally 'retired'; on Redshift 'retiring', dropped once the
    predictions call the new one). UPDATE: https://docs.aws.amazon.com/redshift/latest/dg/r_UPDATE.html -#}
{% macro ml_model_version_gate_sql(versions, model_name, version, decision, replaced_status) %}
    {%- set challenger = decision.get('challenger') or {} -%}
    {%- set serving = decision.get('serving') or {} -%}
    {%- if decision.get('serve') %}
update {{ versions }} set status = '{{ replaced_status }}'
where model_name = '{{ model_name }}' and status = 'serving';
    {%- endif %}
update {{ versions }}
set
    status = '{{ "serving" if decision.get("serve") else "refused" }}',
    reason = {{ sql_literal(decision.get('reason')) }},
    average_precision = {{ sql_literal(challenger.get('average_precision')) }},
    card_precision_at_100 = {{ sql_literal(challenger.get('card_precision_at_100')) }},
    serving_version = {{ sql_literal(decision.get('serving_version')) }},
    serving_average_precision = {{ sql_literal(serving.get('average_precision')) }},
    serving_card_precision_at_100 = {{ sql_literal(serving.get('card_precision_at_100')) }}
where model_name = '{{ model_name }}' and version = {{ version }} and status = 'gating'
{% endmacro %}


{#- Locally: the row of a version just trained (info: the plugin's ModelInfo, its gate the
    decision), held at 'gating' with its windows, then the decision (ml_model_version_gate_sql). -#}
{% macro ml_model_version_record_sql(versions, model_name, info, settings) %}
    {%- set gate = info.gate or {} -%}
insert into {{ versions }} (
    model_name, version, function_name, fingerprint, is_auto, status, created_at,
    training_start, training_end, gate_start, gate_end, genuine_sample_rate
)
values (
    '{{ model_name }}', {{ info.version }}, '{{ settings.function }}', '{{ info.fingerprint }}',
    {{ settings.auto }}, 'gating', {{ utc_now() }},
    {{ sql_literal(info.training_start, 'timestamp') }}, {{ sql_literal(info.training_end, 'timestamp') }},
    {{ sql_literal(gate.get('gate_start'), 'timestamp') }}, {{ sql_literal(gate.get('gate_end'), 'timestamp') }},
    {{ sql_literal(info.genuine_sample_rate) }}
);
{{ ml_model_version_gate_sql(versions, model_name, info.version, gate, 'retired') }}
{% endmacro %}
