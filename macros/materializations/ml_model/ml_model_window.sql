{#- What keeps an ml_model's training window from training, in one line naming the window (the
    vars training_start and training_end), or none: an empty window, one without a fraud or
    without a genuine transaction, or one under the rows CREATE MODEL takes
    (ml_model_min_rows). Any other window trains (the local learner picks a
    validation scheme that fits it). -#}
{% macro ml_model_window_problem(rows, positives) %}
    {%- set positives = positives or 0 -%}
    {%- set window = 'the training window (training_start ' ~ (project_var('training_start', none) or 'unset')
        ~ ', training_end ' ~ (project_var('training_end', none) or 'unset') ~ ')' -%}
    {%- if rows == 0 -%}
        {{ return(window ~ ' holds no transactions') }}
    {%- elif positives == 0 or positives == rows -%}
        {{ return(window ~ ' holds no ' ~ ('fraud' if positives == 0 else 'genuine transaction')
            ~ ' (' ~ rows ~ ' transactions, ' ~ positives ~ ' frauds): a model needs both') }}
    {%- elif rows < ml_model_min_rows() -%}
        {{ return(window ~ ' holds ' ~ rows ~ ' transactions; CREATE MODEL needs at least '
            ~ ml_model_min_rows() ~ ': widen it') }}
    {%- endif -%}
    {{ return(none) }}
{% endmacro %}



{#- The gate week of a training SELECT, asked of the warehouse: {gate_start, gate_end}, its
    newest settings.gate_days days (from the first midnight of them), as timestamps; {} without
    gate_days. The ml_model materialization holds it out of training, on both targets. -#}
{% macro ml_model_gate_week(sql, settings) %}
    {%- if not settings.gate_days -%}
        {{ return({}) }}
    {%- endif -%}
    {%- set newest_day = dbt.date_trunc('day', 'max(' ~ settings.time_column ~ ')') -%}
    {%- set gate_start = timestamp_lookup('select ' ~ dbt.dateadd('day', 1 - settings.gate_days, newest_day)
        ~ ' from (' ~ sql ~ ') as training_set') -%}
    {{ return({'gate_start': gate_start,
               'gate_end': gate_start + modules.datetime.timedelta(days=settings.gate_days)}) }}
{% endmacro %}
