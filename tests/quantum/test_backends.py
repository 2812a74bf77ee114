"""Backends on real Qiskit Aer and qiskit-ibm-runtime's local testing mode (no token, no network)."""

from __future__ import annotations

import numpy as np
import pytest
from qiskit import QuantumCircuit
from qiskit.quantum_info import Statevector

from quantum.backends import BackendError, backend, validate_name
from quantum.circuits import bell, ghz
from quantum.devices import device_names, region
from quantum.metrics import metrics
from quantum.reference import ideal_states
from quantum.templates import group, shape


def basis_state(bits: str) -> QuantumCircuit:
    """A circuit preparing |bits⟩, bits written like a count key (qubit 0 rightmost)."""
    circuit = QuantumCircuit(len(bits))
    for qubit, bit in enumerate(reversed(bits)):
        if bit == "1":
            circuit.x(qubit)
    return circuit


def batch(*pairs: tuple[QuantumCircuit, int]) -> list:
    return group([(shape(circuit), shots) for circuit, shots in pairs])


def rotations(angle: float) -> QuantumCircuit:
    circuit = QuantumCircuit(2)
    circuit.ry(angle, 0)
    circuit.cry(angle, 0, 1)
    return circuit


def test_ideal_aer_runs_a_batch_as_one_job_and_keeps_each_circuits_counts() -> None:
    keys = ["001", "110", "101", "011"]
    groups = batch(*[(basis_state(k), 64) for k in keys], (bell(), 256))
    result = backend("aer").run(groups)
    assert result.backend_used == "aer"
    flat = [counts for group_counts in result.counts for counts in group_counts]
    members = [m for g in groups for m in g.members]
    by_position = dict(zip(members, flat, strict=True))
    for position, key in enumerate(keys):
        assert by_position[position] == {key: 64}
    assert set(by_position[4]) == {"00", "11"}


def test_circuits_that_differ_only_in_angles_share_one_template() -> None:
    groups = batch(*[(rotations(a), 100) for a in (0.0, 3.14159265, 1.0)])
    assert len(groups) == 1 and groups[0].members == [0, 1, 2]
    result = backend("aer").run(groups)
    assert result.counts[0][0] == {"00": 100}  # no rotation
    assert result.counts[0][1].get("11", 0) >= 99  # π then controlled π: both flipped
    states = ideal_states(groups[0])
    assert Statevector(states[2]).equiv(Statevector(rotations(1.0)))


@pytest.mark.parametrize("name", ["aer", "aer:fake_fez"])
def test_one_aer_job_runs_lone_circuits_groups_and_several_shot_counts(name: str) -> None:
    groups = batch(
        (basis_state("01"), 300),
        (basis_state("01"), 300),
        (basis_state("01"), 300),  # one shape, no angles
        (rotations(np.pi), 400),
        (rotations(np.pi), 400),
        (rotations(0.0), 400),  # one shape, three rows
        (rotations(np.pi), 200),  # the same shape alone at another shot count
        (bell(), 100),
    )
    result = backend(name).run(groups)
    by_position = {
        m: c
        for g, group_counts in zip(groups, result.counts, strict=True)
        for m, c in zip(g.members, group_counts, strict=True)
    }
    shots = [300, 300, 300, 400, 400, 400, 200, 100]
    # The most frequent outcome of each circuit: π then controlled π flips both qubits; 0 flips none.
    expected = ["01", "01", "01", "11", "11", "00", "11"]
    for position, (total, outcome) in enumerate(zip(shots, expected + [None], strict=True)):
        counts = by_position[position]
        assert sum(counts.values()) == total
        if outcome is not None:
            assert max(counts, key=counts.__getitem__) == outcome
    assert set(by_position[7]) <= {"00", "01", "10", "11"}


def test_ideal_aer_draws_each_circuits_shots_from_its_exact_distribution() -> None:
    angles = [0.3, 1.2, 2.0, 2.9]
    shots = 100_000
    groups = batch(*[(rotations(a), shots) for a in angles], (ghz(3), shots))
    result = backend("aer").run(groups)
    runs = [(rotations(a), result.counts[0][k]) for k, a in enumerate(angles)] + [(ghz(3), result.counts[1][0])]
    for circuit, counts in runs:
        n = circuit.num_qubits
        p = np.zeros(1 << n)
        for key, count in counts.items():
            p[int(key, 2)] = count / shots
        # 100,000 shots over at most 8 outcomes: sampling noise in total variation stays far below 0.01.
        assert 0.5 * np.abs(p - Statevector(circuit).probabilities()).sum() < 0.01


def test_noisy_fake_fez_region_is_small_connected_and_noisy() -> None:
    area = region("fake_fez", 6)
    assert area.target.num_qubits == 6 and len(set(area.physical_qubits)) == 6
    assert area.target.build_coupling_map().is_connected()
    groups = batch((ghz(6), 2000))
    result = backend("aer:fake_fez").run(groups)
    assert result.backend_used == "aer:fake_fez"
    values = metrics(result.counts[0][0], Statevector(ideal_states(groups[0])[0]))
    assert values.gamma > 0.0  # noise puts mass outside |000000⟩ and |111111⟩
    assert 0.0 <= values.phi <= 1.0 and 0.0 <= values.w2 <= 1.0


def test_ibm_path_runs_samplerv2_in_a_batch_in_local_testing_mode() -> None:
    groups = batch((basis_state("10"), 200), (bell(), 200))
    result = backend("ibm:fake_manila").run(groups)
    assert result.backend_used == "ibm:fake_manila"
    assert result.job_id
    flipped = result.counts[0][0] if groups[0].members == [0] else result.counts[1][0]
    assert max(flipped, key=flipped.__getitem__) == "10"
    assert sum(flipped.values()) == 200


def test_ibm_without_a_token_fails_with_its_reason_and_an_explicit_fallback_is_flagged(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from aura.settings import get_settings

    monkeypatch.delenv("AURA_IBM_QUANTUM_TOKEN", raising=False)
    monkeypatch.delenv("IBM_QUANTUM_TOKEN", raising=False)
    get_settings.cache_clear()
    try:
        groups = batch((basis_state("1"), 50))
        with pytest.raises(BackendError) as raised:
            backend("ibm:least_busy").run(groups)
        assert raised.value.code == "ibm_not_configured"
        result = backend("ibm:least_busy", "aer:fake_fez").run(groups)
        assert result.backend_used == "aer:fake_fez (fallback for ibm:least_busy)"
        assert "token" in (result.fallback_reason or "")
        assert sum(result.counts[0][0].values()) == 50
    finally:
        get_settings.cache_clear()


@pytest.mark.parametrize("name", ["", "qpu", "aer:fake_nowhere", "aer:", "ibm:", "ibm:a b"])
def test_unknown_backend_names_are_refused(name: str) -> None:
    with pytest.raises(BackendError) as raised:
        validate_name(name)
    assert raised.value.code == "unknown_backend"


def test_every_fake_device_name_resolves() -> None:
    names = device_names()
    assert {"fake_fez", "fake_manila", "fake_torino"} <= set(names)
    for name in ("aer", "aer:fake_fez", "ibm:least_busy", "ibm:ibm_fez", "ibm:fake_manila"):
        validate_name(name)
