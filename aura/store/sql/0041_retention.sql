-- The retention sweep finds ended lattice sessions oldest first.
CREATE INDEX lattice_sessions_ended ON lattice_sessions (ended_at) WHERE status = 'ended';
