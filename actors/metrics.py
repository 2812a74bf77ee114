"""The actor runtime's metrics: activations, deactivations and saves per host group, mailboxes, channel batches."""

from __future__ import annotations

from aura import counter, gauge

ACTIVATIONS = counter("aura_host_activations_total", "Logical actors activated (loaded or made).", ("group",))
DEACTIVATIONS = counter("aura_host_deactivations_total", "Logical actors saved and dropped from memory.", ("group",))
SAVES = counter("aura_host_saves_total", "Logical actor snapshots written to the database.", ("group",))
MAILBOX = gauge("aura_host_mailbox_depth", "Messages waiting for their actor on a host.", ("host",))
CHANNEL_BATCHES = counter("aura_channel_batches_total", "Batches the hosts' channels received.")
