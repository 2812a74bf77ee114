-- The bounded, append-only parts of saved actor state (memory window items, trace events), one row an item,
-- so that a save writes what is new instead of the whole history. `seq` numbers an item from the actor's
-- first one (1, 2, ...); the head row in actor_state says how many each log has had.
CREATE TABLE actor_log (
    kind text NOT NULL,
    actor_id text NOT NULL,
    log text NOT NULL,
    seq bigint NOT NULL,
    item jsonb NOT NULL,
    PRIMARY KEY (kind, actor_id, log, seq)
);
