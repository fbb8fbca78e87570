{#-
    The second model's extra inputs (the var fraud_model_plus's extra_inputs, in that order),
    as select-list items: per-row ratios of columns transaction_features already gives, so
    they add no window and cost the same however long the stream grows. One definition, used
    by the training set and by scoring (each adds them in its final select).

    For a transaction at time T (each customer window is (T - w days, T], the transaction
    itself included):
      tx_amount_to_customer_avg_<w>day_window: the amount over the customer's mean amount in
        the window (above 1: larger than the card's recent spending);
      customer_avg_amount_<w>day_to_30day_window: the window's mean amount over the 30-day
        window's (a burst of large amounts on a compromised card);
      customer_nb_tx_<w>day_to_30day_window: the share of the 30-day window's transactions
        that fall in the shorter window.
    NULL in gives NULL out (the model then gives no verdict). A denominator of 0 gives 1, as
    if the row sat at its window's mean: never a division by zero, and never a NULL that
    would withhold a verdict. With the stream's non-negative amounts it is 0 / 0 (the windows
    hold the transaction itself); a refund in a history can zero a mean on its own.
-#}
{% macro relative_features() %}
    {%- set definitions = {} -%}
    {%- set windows = feature_windows() -%}
    {%- set longest = windows[-1] ~ 'day' -%}
    {%- for w in windows -%}
        {%- do definitions.update({
            'tx_amount_to_customer_avg_' ~ w ~ 'day_window':
                _relative_ratio('tx_amount', 'customer_id_avg_amount_' ~ w ~ 'day_window'),
        }) -%}
    {%- endfor -%}
    {%- for w in windows[:-1] -%}
        {%- do definitions.update({
            'customer_avg_amount_' ~ w ~ 'day_to_' ~ longest ~ '_window': _relative_ratio(
                'customer_id_avg_amount_' ~ w ~ 'day_window', 'customer_id_avg_amount_' ~ longest ~ '_window'),
            'customer_nb_tx_' ~ w ~ 'day_to_' ~ longest ~ '_window': _relative_ratio(
                'customer_id_nb_tx_' ~ w ~ 'day_window', 'customer_id_nb_tx_' ~ longest ~ '_window'),
        }) -%}
    {%- endfor -%}
    {%- set names = project_var('fraud_model_plus')['extra_inputs'] -%}
    {%- for name in names -%}
        {%- if name not in definitions -%}
            {{ exceptions.raise_compiler_error(
                "the var fraud_model_plus lists the extra input " ~ name ~ ", which relative_features does not define ("
                ~ (definitions.keys() | sort | join(', ')) ~ ")") }}
        {%- endif %}
    {{ definitions[name] }} as {{ name }}{{ "," if not loop.last }}
    {%- endfor %}
{% endmacro %}


{#- numerator / denominator as double precision, NULL if either is NULL, 1 when the
    denominator is 0. Redshift: a searched CASE returns the first true condition's result and
    processes nothing after it, so the division never sees a 0
    (https://docs.aws.amazon.com/redshift/latest/dg/r_CASE_function.html); a division with a
    FLOAT8 operand is FLOAT8, whatever the other's type (INT8, DECIMAL)
    (https://docs.aws.amazon.com/redshift/latest/dg/r_numeric_computations201.html). -#}
{% macro _relative_ratio(numerator, denominator) -%}
case
        when {{ numerator }} is null or {{ denominator }} is null then null
        when {{ denominator }} = 0 then cast(1 as double precision)
        else cast({{ numerator }} as double precision) / {{ denominator }}
    end
{%- endmacro %}
