"""Names every process of one Aura cluster agrees on."""

#: The Ray namespace of Aura's named actors (hosts, the quantum pool, the relay, the billing sync), so that
#: every job, Serve replica and CLI command finds the same ones whatever namespace it runs in.
NAMESPACE = "aura"
