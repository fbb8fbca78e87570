{#-
    ml_model: a model whose SQL is the training SELECT, trained in the warehouse.
    - Redshift: CREATE MODEL <model>_v<N> ... FUNCTION <function>_v<N> with the clauses its
      mode takes; Redshift ML trains in the background, and a later run makes the version the
      serving one once SVV_ML_MODEL_INFO says it is ready (redshift.sql); the predictions call
      the serving version, and the one it replaced is dropped after they switch.
    - DuckDB: the same SELECT is materialized as <model>__training, trained in-process by the
      plugin (candidate learners, a validation that fits the window, tuned threshold), served as
      the same function; the model relation is its SHOW MODEL table.
    Both retrain only when the training SQL, the options (or, locally, the training data)
    changed since the model in place was trained, or when the var retrain_models names the
    model (or is true); otherwise the run says the model is current. The model in place
    serves until its successor is ready. The settings are checked when the model compiles.
    Options live in the model's meta (see ml_model_settings).
-#}

{% materialization ml_model, default %}
    {{ exceptions.raise_compiler_error("ml_model is not implemented for " ~ target.type) }}
{% endmaterialization %}
