{#- CREATE MODEL for one version, with only the clauses its mode takes, in the order of the
    syntax ("follow the order of the keywords"), SETTINGS in their documented order too.
    https://docs.aws.amazon.com/redshift/latest/dg/r_CREATE_MODEL.html
    MAX_CELLS: above it (default 1,000,000 cells = rows x columns) Redshift ML trains on a
    random sample of about MAX_CELLS / columns rows: the var model_max_cells raises it, and
    sample_condition (ml_model_training_sample's) keeps the rows within it first. With a
    gate_start, the rows from then on (the gate week) are held out of training. -#}
{% macro create_model_sql(relation, settings, sql, version, gate_start=none, sample_condition=none) -%}
    {%- set iam_role = "default" if settings.iam_role == "default" else "'" ~ settings.iam_role ~ "'" -%}
create model {{ relation.schema }}.{{ relation.identifier }}_v{{ version }}
from (
    select {{ (settings.features + [settings.target]) | join(', ') }}
    from (
{{ sql }}
    ) as training_set
    {%- set conditions = [] -%}
    {%- if gate_start is not none -%}
        {%- do conditions.append(settings.time_column ~ ' < ' ~ timestamp_sql(gate_start)) -%}
    {%- endif -%}
    {%- if sample_condition -%}
        {%- do conditions.append(sample_condition) -%}
    {%- endif -%}
    {%- if conditions %}
    where {{ conditions | join('\n        and ') }}
    {%- endif %}
)
target {{ settings.target }}
function {{ settings.function }}_v{{ version }}
iam_role {{ iam_role }}
{%- if settings.auto %}
    {%- if settings.model_type %}
model_type {{ settings.model_type }}
    {%- endif %}
    {%- if settings.problem_type %}
problem_type {{ settings.problem_type }}
    {%- endif %}
objective '{{ settings.objective }}'
    {%- if settings.preprocessors %}
preprocessors '{{ tojson(settings.preprocessors) }}'
    {%- endif %}
{%- else %}
auto off
model_type xgboost
objective '{{ settings.objective }}'
preprocessors 'none'
    {%- if settings.hyperparameters %}
hyperparameters default except (
        {%- for key, value in settings.hyperparameters.items() %}
    {{ key }} '{{ value }}'{{ "," if not loop.last }}
        {%- endfor %}
)
    {%- else %}
hyperparameters default
    {%- endif %}
{%- endif %}
settings (
    s3_bucket '{{ settings.s3_bucket }}'
    {%- if settings.kms_key_id %},
    kms_key_id '{{ settings.kms_key_id }}'
    {%- endif %}
    {%- if settings.s3_garbage_collect is not none %},
    s3_garbage_collect {{ "on" if settings.s3_garbage_collect else "off" }}
    {%- endif %}
    {%- if settings.max_cells %},
    max_cells {{ settings.max_cells }}
    {%- endif %}
    {%- if settings.max_runtime %},
    max_runtime {{ settings.max_runtime }}
    {%- endif %}
)
{%- endmacro %}
