-- Cognitive lattice: chat sessions owned by users, their messages, and the docstring index of the research cell.
CREATE TABLE lattice_sessions (
    session_id text PRIMARY KEY,
    user_id text NOT NULL,
    status text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'ended')),
    created_at timestamptz NOT NULL DEFAULT now(),
    ended_at timestamptz,
    interactions integer NOT NULL DEFAULT 0
);
CREATE INDEX lattice_sessions_user ON lattice_sessions (user_id, created_at);

CREATE TABLE lattice_messages (
    message_id bigserial PRIMARY KEY,
    session_id text NOT NULL REFERENCES lattice_sessions (session_id) ON DELETE CASCADE,
    role text NOT NULL CHECK (role IN ('user', 'assistant')),
    agent_type text,
    content text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX lattice_messages_session ON lattice_messages (session_id, message_id);

-- Hashed term vectors of installed packages' docstrings; `lattice_doc_index` records which corpus is loaded.
CREATE TABLE lattice_docs (
    doc_id bigserial PRIMARY KEY,
    qualname text NOT NULL,
    summary text NOT NULL,
    embedding vector(256) NOT NULL
);
CREATE TABLE lattice_doc_index (
    corpus text PRIMARY KEY,
    documents integer NOT NULL,
    built_at timestamptz NOT NULL DEFAULT now()
);
