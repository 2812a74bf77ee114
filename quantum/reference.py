"""The ideal reference: exact, noise-free final statevectors of a group of circuits.

All circuits of a group are simulated in one Aer statevector run, so the
reference of a thousand lattice circuits costs one simulation job, not a
thousand `Statevector` evolutions. Parameters are bound in Python before the
run: Aer's own runtime binding (`parameter_binds`) leaves controlled
rotations such as CRY unrotated in qiskit-aer 0.18.
"""

from __future__ import annotations

from qiskit import QuantumCircuit
from qiskit.quantum_info import Statevector
from qiskit.transpiler import generate_preset_pass_manager
from qiskit_aer import AerSimulator

from quantum.templates import CompiledTemplates, Group

# One thread per run: the pool already runs one job per actor on every core.
_SIMULATOR = AerSimulator(method="statevector", max_parallel_threads=1)
# Level 0 only translates gates Aer lacks; it never trades exactness for depth.
_PASS_MANAGER = generate_preset_pass_manager(optimization_level=0, backend=_SIMULATOR)


def _saving_statevector(template: QuantumCircuit) -> QuantumCircuit:
    circuit = _PASS_MANAGER.run(template)
    circuit.save_statevector()
    return circuit


_COMPILED = CompiledTemplates(_saving_statevector)


def ideal_states(group: Group) -> list[Statevector]:
    """The ideal final state of each circuit in the group, in the group's order."""
    circuit = _COMPILED.get(group.template)
    if not group.template.parameters:
        # Identical circuits: one simulation serves every member.
        state = Statevector(_SIMULATOR.run(circuit, shots=1).result().get_statevector(0))
        return [state] * len(group.members)
    bound = [circuit.assign_parameters(row, inplace=False) for row in group.value_rows()]
    result = _SIMULATOR.run(bound, shots=1).result()
    return [Statevector(result.get_statevector(i)) for i in range(len(bound))]
