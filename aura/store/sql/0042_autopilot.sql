-- AutoPilot runs: the lattice stepped over a workspace until its tests pass. The replica driving a run
-- holds its lease; a run whose lease ran out (its replica died) is taken over by the next one to look.
CREATE TABLE lattice_autopilot_runs (
    run_id text PRIMARY KEY,
    session_id text NOT NULL REFERENCES lattice_sessions (session_id) ON DELETE CASCADE,
    user_id text NOT NULL,
    goal text NOT NULL,
    test_command text,
    max_steps integer NOT NULL CHECK (max_steps BETWEEN 1 AND 50),
    budget_usd numeric CHECK (budget_usd >= 0),
    status text NOT NULL DEFAULT 'running'
        CHECK (status IN ('running', 'passed', 'step_limit', 'budget_reached', 'no_progress', 'cancelled', 'failed')),
    reason text,
    steps jsonb NOT NULL DEFAULT '[]',
    workspace jsonb NOT NULL,
    spent_usd numeric NOT NULL DEFAULT 0,
    lease_until timestamptz,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);
-- One running AutoPilot per session: two would edit the same files against each other.
CREATE UNIQUE INDEX lattice_autopilot_running ON lattice_autopilot_runs (session_id) WHERE status = 'running';
CREATE INDEX lattice_autopilot_user ON lattice_autopilot_runs (user_id, created_at);
CREATE INDEX lattice_autopilot_leases ON lattice_autopilot_runs (lease_until) WHERE status = 'running';
