"""What the tests and the benchmarks share: dbt against throwaway targets, reading a stream
back, the Handbook's reference features. bench/ imports these, never tests/."""
