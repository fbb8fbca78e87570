{#- Redshift ML's MAX_CELLS: the default cell budget of a training set (rows x columns), and
    what happens above it: "CREATE MODEL downsamples the FROM clause training data to reduce
    the size of the training set below MAX_CELLS", by "randomly chosen tuples".
    https://docs.aws.amazon.com/redshift/latest/dg/r_create_model_use_cases.html
    https://docs.aws.amazon.com/redshift/latest/dg/cost.html -#}
{% macro ml_model_max_cells(settings) %}
    {{ return((settings.max_cells or 1000000) | int) }}
{% endmacro %}


{#- The fewest rows CREATE MODEL trains on: "You must use at least 500 rows in the training
    data provided in the FROM clause" (CREATE MODEL, usage notes). Checked on both targets
    before training (ml_model_window_problem), so a short window fails the same way, with
    the same message, locally and on Redshift.
    https://docs.aws.amazon.com/redshift/latest/dg/r_create_model_usage_notes.html -#}
{% macro ml_model_min_rows() %}
    {{ return(500) }}
{% endmacro %}


{#- The training rows an ml_model keeps within its cell budget, on both targets alike: every
    positive (the rare class Redshift's random sample would thin most), and the negatives
    whose seeded hash of settings.id_column falls under a threshold, so that the rows x
    (features + target) fit 98% of MAX_CELLS and Redshift ML samples no further. The hash is
    the first 8 hex digits of MD5('<seed>:' || id), the same string on Redshift, PostgreSQL
    and DuckDB, so both targets keep the same rows.
    https://docs.aws.amazon.com/redshift/latest/dg/r_MD5.html
    sql: the training SELECT; where: a condition already applied to it (the gate week held
    out), or none. Returns {'rate', 'condition', 'rows', 'positives'}: rate, the share of
    negatives kept (1.0 when the rows fit; its prior correction is fraud_probability's);
    condition, SQL keeping the sample's rows, or none. Without settings.id_column nothing is
    sampled here (Redshift ML samples at random above MAX_CELLS). A window that cannot train
    (ml_model_window_problem) is a compiler error, on both targets before training, as are
    fewer rows than ml_model_min_rows after the sample. -#}
{% macro ml_model_training_sample(sql, settings, where=none) %}
    {%- set kept_all = {'rate': 1.0, 'condition': none, 'rows': none, 'positives': none} -%}
    {%- if not execute or project_var('offline_compile', false) -%}
        {{ return(kept_all) }}
    {%- endif -%}
    {%- set counted = run_query(
        'select count(*), sum(case when ' ~ settings.target ~ ' = 1 then 1 else 0 end) from ('
        ~ sql ~ ') as training_set' ~ (' where ' ~ where if where else '')).rows[0] -%}
    {%- set rows = counted[0] | int -%}
    {%- set positives = (counted[1] or 0) | int -%}
    {%- set min_rows = ml_model_min_rows() -%}
    {%- set problem = ml_model_window_problem(rows, positives) -%}
    {%- if problem -%}
        {{ exceptions.raise_compiler_error(model.name ~ ": " ~ problem
            ~ "; the model in place, if any, keeps serving") }}
    {%- endif -%}
    {%- do kept_all.update({'rows': rows, 'positives': positives}) -%}
    {%- set columns = (settings.features | length) + 1 -%}
    {%- set max_cells = ml_model_max_cells(settings) -%}
    {%- if not settings.id_column or rows * columns <= max_cells -%}
        {{ return(kept_all) }}
    {%- endif -%}
    {%- set negatives_kept = (0.98 * max_cells / columns) | int - positives -%}
    {%- if negatives_kept < positives or negatives_kept + positives < min_rows -%}
        {{ exceptions.raise_compiler_error(model.name ~ ": the training window's " ~ positives
            ~ " frauds leave room in MAX_CELLS (" ~ max_cells ~ " cells, " ~ columns
            ~ " columns a row) for fewer genuine rows than frauds, or fewer than " ~ min_rows
            ~ " rows in all: raise the var model_max_cells or shorten the training window") }}
    {%- endif -%}
    {%- set rate = negatives_kept / (rows - positives) -%}
    {%- set threshold = '%08x' | format((rate * 4294967296) | int) -%}
    {%- set hashed = "substr(md5('" ~ (settings.seed | int) ~ ":' || cast(" ~ settings.id_column ~ " as varchar)), 1, 8)" -%}
    {{ return({
        'rate': rate,
        'condition': '(' ~ settings.target ~ ' = 1 or ' ~ hashed ~ " < '" ~ threshold ~ "')",
        'rows': rows,
        'positives': positives,
    }) }}
{% endmacro %}
