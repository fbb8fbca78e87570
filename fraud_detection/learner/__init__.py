"""The local learner: training (Redshift ML's AutoML counterpart), the versioned artifacts it
keeps, and the evaluation measures the report and the benchmarks share."""
