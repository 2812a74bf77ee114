-- Requests made idempotent by the caller's Idempotency-Key: the first one's answer, returned again to a resend.
-- `scope` names the route and the caller (a user, an agent DID), so one caller's key never meets another's.
-- `fingerprint` is a digest of the request; the same key with another request is refused, never replayed.
CREATE TABLE idempotent_requests (
    scope text NOT NULL,
    key text NOT NULL,
    fingerprint text NOT NULL,
    state text NOT NULL CHECK (state IN ('running', 'done')),
    status_code integer,
    response jsonb,
    locked_until timestamptz,
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (scope, key)
);
CREATE INDEX idempotent_requests_created ON idempotent_requests (created_at);
