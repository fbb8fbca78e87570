{#-
    ml_model: a model whose SQL is the training SELECT, trained in the warehouse.
    - Redshift: CREATE MODEL ... FUNCTION <function> with the configured AUTO, MODEL_TYPE,
      PROBLEM_TYPE, OBJECTIVE, PREPROCESSORS, HYPERPARAMETERS and SETTINGS, then polling
      STV_ML_MODEL_INFO until the model is ready (or failed, or the timeout passed).
    - DuckDB: the same SELECT is materialized as <model>__training, trained in-process by the
      plugin (candidate learners, time-ordered validation, tuned threshold), and served as
      the same function; the model relation is its SHOW MODEL table.
    Both retrain only when the training SQL, the options (or, locally, the training data)
    changed since the model in place was trained, or when the var retrain_models names the
    model (or is true); otherwise the run says the model is current. Retraining drops the
    old model first, outside any transaction.
    Options live in the model's meta (see ml_model_settings).
-#}

{% materialization ml_model, default %}
    {{ exceptions.raise_compiler_error("ml_model is not implemented for " ~ target.type) }}
{% endmaterialization %}
