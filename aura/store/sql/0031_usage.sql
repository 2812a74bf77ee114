-- Usage ledger: one row per billable event, deduplicated by idempotency key, with its Stripe sync state.
CREATE TABLE usage_events (
    event_id bigserial PRIMARY KEY,
    idempotency_key text NOT NULL UNIQUE,
    user_id text NOT NULL,
    event_type text NOT NULL CHECK (event_type IN ('agent_call', 'quantum_exec', 'message', 'autopilot_step')),
    quantity integer NOT NULL CHECK (quantity > 0),
    unit_price numeric(12, 6) NOT NULL,
    amount numeric(14, 6) NOT NULL,
    session_id text,
    created_at timestamptz NOT NULL DEFAULT now(),
    stripe_synced_at timestamptz,
    stripe_attempts integer NOT NULL DEFAULT 0,
    stripe_error text,
    stripe_lease_until timestamptz
);
CREATE INDEX usage_events_user_time ON usage_events (user_id, created_at);
CREATE INDEX usage_events_unsynced ON usage_events (event_id) WHERE stripe_synced_at IS NULL;

-- Which Stripe customer pays for which Aura user.
CREATE TABLE billing_customers (
    user_id text PRIMARY KEY,
    stripe_customer_id text NOT NULL
);
