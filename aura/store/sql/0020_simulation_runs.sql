-- Batch negotiation simulations: one row per run, its scenario and, once finished, its summary.
CREATE TABLE simulation_runs (
    run_id uuid PRIMARY KEY,
    scenario jsonb NOT NULL,
    shards integer NOT NULL CHECK (shards > 0),
    status text NOT NULL CHECK (status IN ('running', 'finished', 'failed')),
    output_dir text,
    summary jsonb,
    error text,
    started_at timestamptz NOT NULL DEFAULT now(),
    finished_at timestamptz
);

CREATE INDEX simulation_runs_started_at ON simulation_runs (started_at DESC);
