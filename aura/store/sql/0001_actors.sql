-- Saved state of logical actors, keyed by kind (the actor class) and id.
CREATE EXTENSION IF NOT EXISTS vector;

CREATE TABLE actor_state (
    kind text NOT NULL,
    actor_id text NOT NULL,
    state jsonb NOT NULL,
    saved_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (kind, actor_id)
);
