"""Building blocks of `scripts/bench` (see scripts/bench_engine.py): the case paths compared, the stored fleets that
`tick` is measured on, replay and verify, the machine description and the report."""
