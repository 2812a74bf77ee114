-- Every token bucket in one table: agents' (keyed by DID) and those of users, client addresses and
-- routes (keyed by a prefixed name such as 'chat:user:alice' or 'search:ip:203.0.113.7').
ALTER TABLE agent_rate_limits RENAME TO rate_buckets;
ALTER TABLE rate_buckets RENAME COLUMN agent_did TO bucket;
CREATE INDEX rate_buckets_updated ON rate_buckets (updated_at);

CREATE OR REPLACE FUNCTION admit_requests(signatures text[], agents text[], capacity double precision,
                                          rate double precision)
RETURNS TABLE (req bigint, is_fresh boolean, tokens_left double precision, is_allowed boolean)
LANGUAGE plpgsql AS $$
DECLARE
    request record;
    level double precision;
BEGIN
    FOR request IN
        SELECT s.i, s.signature, s.agent
        FROM unnest(signatures, agents) WITH ORDINALITY AS s(signature, agent, i)
        ORDER BY s.agent, s.i
    LOOP
        req := request.i;
        INSERT INTO agent_signatures (signature) VALUES (request.signature) ON CONFLICT DO NOTHING;
        is_fresh := FOUND;
        IF NOT is_fresh THEN
            tokens_left := NULL;
            is_allowed := NULL;
            RETURN NEXT;
            CONTINUE;
        END IF;
        INSERT INTO rate_buckets (bucket, tokens, last_allowed, updated_at)
        VALUES (request.agent, capacity, true, now()) ON CONFLICT DO NOTHING;
        SELECT LEAST(capacity, b.tokens + GREATEST(0, EXTRACT(EPOCH FROM now() - b.updated_at)) * rate)
        INTO level FROM rate_buckets b WHERE b.bucket = request.agent FOR UPDATE;
        is_allowed := level >= 1;
        tokens_left := level - CASE WHEN is_allowed THEN 1 ELSE 0 END;
        UPDATE rate_buckets SET tokens = tokens_left, last_allowed = is_allowed, updated_at = now()
        WHERE bucket = request.agent;
        RETURN NEXT;
    END LOOP;
END
$$;

-- Spending one token from each of a batch of buckets, each with its own capacity and refill rate
-- (per second), in bucket order like admit_requests so concurrent batches cannot deadlock.
CREATE FUNCTION take_tokens(buckets text[], capacities double precision[], rates double precision[])
RETURNS TABLE (req bigint, tokens_left double precision, is_allowed boolean)
LANGUAGE plpgsql AS $$
DECLARE
    request record;
    level double precision;
BEGIN
    FOR request IN
        SELECT s.i, s.bucket, s.capacity, s.rate
        FROM unnest(buckets, capacities, rates) WITH ORDINALITY AS s(bucket, capacity, rate, i)
        ORDER BY s.bucket, s.i
    LOOP
        req := request.i;
        INSERT INTO rate_buckets (bucket, tokens, last_allowed, updated_at)
        VALUES (request.bucket, request.capacity, true, now()) ON CONFLICT DO NOTHING;
        SELECT LEAST(request.capacity, b.tokens + GREATEST(0, EXTRACT(EPOCH FROM now() - b.updated_at)) * request.rate)
        INTO level FROM rate_buckets b WHERE b.bucket = request.bucket FOR UPDATE;
        is_allowed := level >= 1;
        tokens_left := level - CASE WHEN is_allowed THEN 1 ELSE 0 END;
        UPDATE rate_buckets SET tokens = tokens_left, last_allowed = is_allowed, updated_at = now()
        WHERE bucket = request.bucket;
        RETURN NEXT;
    END LOOP;
END
$$;
