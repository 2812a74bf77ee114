-- An agent lists its own deals (GET /v1/deals), newest first.
CREATE INDEX deals_buyer ON deals (buyer_did, created_at DESC);
