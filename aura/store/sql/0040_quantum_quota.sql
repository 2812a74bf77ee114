-- IBM Quantum circuits each user ran per UTC day: the daily quota holds across gateway replicas and restarts.
CREATE TABLE quantum_ibm_usage (
    user_id text NOT NULL,
    day date NOT NULL,
    circuits integer NOT NULL CHECK (circuits > 0),
    PRIMARY KEY (user_id, day)
);
