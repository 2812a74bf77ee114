-- Catalog, search embeddings, negotiations, offers, deals, agent signatures and rate limits.
CREATE EXTENSION IF NOT EXISTS vector;

-- The embedding column has no fixed dimension here: the catalog sets it (and builds the
-- HNSW index) for the embedder in use, recorded in catalog_embedder, re-embedding on a switch.
CREATE TABLE catalog_items (
    id text PRIMARY KEY CHECK (id ~ '^[A-Za-z0-9_.:-]{1,64}$'),
    name text NOT NULL,
    description text NOT NULL DEFAULT '',
    base_price double precision NOT NULL CHECK (base_price > 0),
    floor_price double precision NOT NULL CHECK (floor_price > 0 AND floor_price <= base_price),
    currency char(3) NOT NULL DEFAULT 'USD',
    meta jsonb NOT NULL DEFAULT '{}'::jsonb,
    strategy text NOT NULL DEFAULT 'concession' CHECK (strategy IN ('rule', 'concession', 'llm')),
    concession text NOT NULL DEFAULT 'boulware' CHECK (concession IN ('boulware', 'linear', 'conceder')),
    confirm_threshold double precision CHECK (confirm_threshold > 0),
    embedding vector,
    active boolean NOT NULL DEFAULT true,
    updated_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE catalog_embedder (
    singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
    name text NOT NULL,
    dimension integer NOT NULL CHECK (dimension > 0),
    updated_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE negotiations (
    session_token text PRIMARY KEY,
    item_id text NOT NULL REFERENCES catalog_items (id),
    buyer_did text NOT NULL,
    strategy text NOT NULL,
    status text NOT NULL,
    rounds integer NOT NULL,
    valid_until timestamptz NOT NULL,
    trace_id text,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX negotiations_buyer ON negotiations (buyer_did);

CREATE TABLE offers (
    id bigserial PRIMARY KEY,
    session_token text NOT NULL REFERENCES negotiations (session_token),
    round integer NOT NULL,
    bid_amount double precision NOT NULL,
    currency char(3) NOT NULL,
    status text NOT NULL CHECK (status IN ('accepted', 'countered', 'rejected', 'ui_required')),
    price double precision,
    reason_code text,
    strategy text NOT NULL,
    fallback text,
    corrections text[] NOT NULL DEFAULT '{}',
    trace_id text,
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX offers_session ON offers (session_token);

CREATE TABLE deals (
    deal_id text PRIMARY KEY,
    session_token text NOT NULL UNIQUE REFERENCES negotiations (session_token),
    item_id text NOT NULL REFERENCES catalog_items (id),
    buyer_did text NOT NULL,
    final_price double precision NOT NULL,
    currency char(3) NOT NULL,
    reservation_code text NOT NULL UNIQUE,
    trace_id text,
    created_at timestamptz NOT NULL DEFAULT now()
);

-- Signatures seen recently: a second request with the same signature is a replay.
CREATE TABLE agent_signatures (
    signature text PRIMARY KEY,
    seen_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX agent_signatures_seen ON agent_signatures (seen_at);

-- One token bucket per agent DID, shared by every replica.
CREATE TABLE agent_rate_limits (
    agent_did text PRIMARY KEY,
    tokens double precision NOT NULL,
    last_allowed boolean NOT NULL DEFAULT true,
    updated_at timestamptz NOT NULL
);
