{#- The versions of an ml_model on Redshift, kept beside it in the warehouse.

    Redshift ML trains in the background (CREATE MODEL returns once the training data is
    exported) and DROP MODEL drops the model's functions. So a (re)training never replaces the
    model in place: each one is a new Redshift model <model>_v<N> with its functions
    <function>_v<N> (and <function>_v<N>_probabilities), in the dbt model's schema. A version
    moves through training -> serving -> retiring -> retired, or training -> failed; the
    predictions call the serving version, and the one it replaced is dropped after the
    predictions have switched. https://docs.aws.amazon.com/redshift/latest/dg/r_DROP_MODEL.html -#}
{% macro ml_model_versions_relation(relation) %}
    {{ return(api.Relation.create(
        database=relation.database, schema=relation.schema, identifier='dbt_ml_model_versions')) }}
{% endmacro %}


{#- The versions of a model, oldest first, as dicts (none before the table exists). -#}
{% macro ml_model_versions(versions, model_name) %}
    {%- set found = adapter.get_relation(versions.database, versions.schema, versions.identifier) -%}
    {%- if found is none -%}
        {{ return([]) }}
    {%- endif -%}
    {%- set table = run_query(
        "select version, redshift_model, function_name, fingerprint, is_auto, status, reason, gate_start,"
        ~ " genuine_sample_rate from " ~ versions ~ " where model_name = '" ~ model_name ~ "' order by version") -%}
    {%- set rows = [] -%}
    {%- for row in table.rows -%}
        {%- do rows.append({
            'version': row[0] | int, 'redshift_model': row[1], 'function': row[2],
            'fingerprint': row[3], 'is_auto': row[4], 'status': row[5], 'reason': row[6],
            'gate_start': row[7], 'genuine_sample_rate': row[8]}) -%}
    {%- endfor -%}
    {{ return(rows) }}
{% endmacro %}


{#- window: the version's training_start and training_end, and with a gate its gate_start
    and gate_end, as timestamp_lookup values (or none), and its genuine_sample_rate. -#}
{% macro ml_model_version_insert_sql(versions, model_name, version, settings, fingerprint, window={}) %}
insert into {{ versions }}
    (model_name, version, redshift_model, function_name, fingerprint, is_auto, status, reason, created_at,
     training_start, training_end, gate_start, gate_end, genuine_sample_rate)
values (
    '{{ model_name }}', {{ version }}, '{{ model_name }}_v{{ version }}',
    '{{ settings.function }}_v{{ version }}', '{{ fingerprint }}', {{ settings.auto }},
    'training', null, getdate()
    {%- for bound in ['training_start', 'training_end', 'gate_start', 'gate_end'] -%}
        , {{ timestamp_sql(window[bound]) if window.get(bound) is not none else 'null' }}
    {%- endfor %}, {{ sql_literal(window.get('genuine_sample_rate')) }}
)
{% endmacro %}


{% macro ml_model_version_status_sql(versions, model_name, version, status, reason=none) %}
update {{ versions }}
set status = '{{ status }}'{% if reason %}, reason = '{{ reason | replace("'", "''") | truncate(4000, true, '') }}'{% endif %}
where model_name = '{{ model_name }}' and version = {{ version }}
{% endmacro %}


{#- The functions that score with the model's serving version, as SQL names: {'function',
    'probabilities'} (probabilities is none where the model has no such function),
    'version', SQL for that version's number, and 'genuine_sample_rate', SQL for the share
    of genuine rows it trained on (ml_model_training_sample; 1 when all), which
    fraud_probability corrects its probabilities for. -#}
{% macro ml_model_serving_functions(model_name, function) %}
    {{ return(adapter.dispatch('ml_model_serving_functions', 'fraud_detection')(model_name, function)) }}
{% endmacro %}

{#- Locally the plugin serves the current artifact under the model's own function names; the
    probability function exists for AUTO ON, as on Redshift. -#}
{% macro default__ml_model_serving_functions(model_name, function) %}
    {{ return({
        'function': function,
        'probabilities': function ~ '_probabilities' if project_var('model_auto', true) else none,
        'auto': project_var('model_auto', true),
        'version': "(select cast(json_extract_string(fraud_model_info('" ~ model_name ~ "'), '$.version') as integer))",
        'genuine_sample_rate': "(select cast(json_extract_string(fraud_model_info('" ~ model_name ~ "'), '$.genuine_sample_rate') as double))",
    }) }}
{% endmacro %}

{#- Redshift: the serving version's functions, qualified with the model's schema, since the
    default search_path is '$user', public and Redshift ML creates them in the model's schema.
    https://docs.aws.amazon.com/redshift/latest/dg/r_search_path.html
    https://docs.aws.amazon.com/redshift/latest/dg/r_create_model_use_cases.html
    The probability function exists for AUTO ON classification models only ("Amazon Redshift
    ML probability metrics"). -#}
{% macro redshift__ml_model_serving_functions(model_name, function) %}
    {%- set model_relation = ref(model_name) -%}
    {%- if not execute or project_var('offline_compile', false) -%}
        {#- Parsing, or an offline compile: the first version's names, no warehouse asked. -#}
        {{ return({'function': target.schema ~ '.' ~ function ~ '_v1',
                   'probabilities': target.schema ~ '.' ~ function ~ '_v1_probabilities',
                   'version': 1, 'genuine_sample_rate': 1.0, 'auto': true}) }}
    {%- endif -%}
    {%- set schema = model_relation.schema -%}
    {%- set serving = ml_model_versions(ml_model_versions_relation(ref(model_name)), model_name)
        | selectattr('status', 'equalto', 'serving') | list -%}
    {%- if not serving -%}
        {{ exceptions.raise_compiler_error(
            model.name ~ ": no version of " ~ model_name ~ " serves yet (Redshift ML trains in the"
            ~ " background). Wait for it: python -m fraud_detection wait-model --target redshift;"
            ~ " then build again") }}
    {%- endif -%}
    {%- set version = serving | last -%}
    {{ return({
        'function': schema ~ '.' ~ version.function,
        'probabilities': schema ~ '.' ~ version.function ~ '_probabilities' if version.is_auto else none,
        'auto': version.is_auto,
        'version': version.version,
        'genuine_sample_rate': (version.genuine_sample_rate or 1.0) | float,
    }) }}
{% endmacro %}
