-- Admitting a batch of signed agent requests in one round trip, each with the rules of one:
-- a signature seen before is a replay and spends nothing; otherwise the agent's token bucket
-- refills at `rate` per second up to `capacity` and spends one token if it holds one.
-- Requests are taken in agent order, then arrival order, so concurrent batches (from gateway
-- replicas and seller hosts alike) lock the same buckets in the same order and cannot deadlock.
CREATE FUNCTION admit_requests(signatures text[], agents text[], capacity double precision,
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
        INSERT INTO agent_rate_limits (agent_did, tokens, last_allowed, updated_at)
        VALUES (request.agent, capacity, true, now()) ON CONFLICT DO NOTHING;
        SELECT LEAST(capacity, b.tokens + GREATEST(0, EXTRACT(EPOCH FROM now() - b.updated_at)) * rate)
        INTO level FROM agent_rate_limits b WHERE b.agent_did = request.agent FOR UPDATE;
        is_allowed := level >= 1;
        tokens_left := level - CASE WHEN is_allowed THEN 1 ELSE 0 END;
        UPDATE agent_rate_limits
        SET tokens = tokens_left, last_allowed = is_allowed, updated_at = now()
        WHERE agent_did = request.agent;
        RETURN NEXT;
    END LOOP;
END
$$;
