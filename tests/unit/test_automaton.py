"""The automaton's pure parts on arrays whose answer is known, and states recorded (in numpy) from a real
Keras model's weights."""
from __future__ import annotations

import numpy as np
import pytest

from lstm_parity import automaton
from lstm_parity.parity import running_parity
from lstm_parity.states import project_2d


def parity_walk(count: int, length: int, rng: np.random.Generator, phases: int = 2):
    """Bits, their parity, and cluster labels of a machine with `phases` clusters per parity that cycle
    on every step (so clusters differ, but minimise to the two parity states)."""
    bits = rng.integers(0, 2, (count, length), dtype=np.uint8)
    parity = running_parity(bits)
    phase = np.arange(length) % phases
    return bits, parity, parity * phases + phase[None, :]


def test_clusters_of_a_parity_machine_minimise_to_two_states_flipping_on_one():
    bits, parity, clusters = parity_walk(50, 40, np.random.default_rng(0), phases=3)
    machine = automaton.cluster_automaton(clusters, bits, parity, parity, 6)
    assert machine.size == 6 and not machine.is_parity_flip()
    assert np.all(machine.transition_purity == 1) and np.all(machine.answer_purity == 1)
    minimal = automaton.minimise(machine)
    assert minimal.size == 2 and minimal.is_parity_flip()
    assert minimal.members == ((0, 1, 2), (3, 4, 5))
    np.testing.assert_array_equal(minimal.transition_purity, np.ones((2, 2)))
    assert minimal.counts.sum() == machine.counts.sum() == 50 * 39
    assert minimal.to_dict()["parity_flip"] is True


def test_a_machine_that_answers_the_last_bit_is_not_parity():
    rng = np.random.default_rng(1)
    bits = rng.integers(0, 2, (50, 40), dtype=np.uint8)
    parity = running_parity(bits)
    machine = automaton.cluster_automaton(bits.astype(np.int64), bits, bits, parity, 2)
    minimal = automaton.minimise(machine)
    assert minimal.size == 2 and not minimal.is_parity_flip()
    np.testing.assert_array_equal(minimal.transitions, [[0, 1], [0, 1]])  # reset on each bit, no flip
    assert np.all(np.abs(minimal.parity_purity - 0.5) < 0.05)


def test_kmeans_finds_separated_blobs_and_the_smallest_k_is_chosen():
    rng = np.random.default_rng(2)
    blobs = np.concatenate([rng.normal(centre, 0.01, (100, 3)) for centre in ((0, 0, 0), (5, 0, 0), (0, 5, 5))])
    centres, labels = automaton.choose_clusters(blobs, np.random.default_rng(0))
    assert len(centres) == 3
    assert all(len(set(labels[i * 100:(i + 1) * 100])) == 1 for i in range(3))
    np.testing.assert_array_equal(automaton.nearest(centres, blobs), labels)


def test_projection_keeps_the_main_axes():
    rng = np.random.default_rng(3)
    points = rng.normal(0, 1, (500, 4)) * [10, 3, 0.1, 0.1]
    projection = project_2d(points)
    assert projection.points.shape == (500, 2)
    assert abs(abs(projection.components[0, 0]) - 1) < 0.01 and abs(abs(projection.components[1, 1]) - 1) < 0.01
    assert projection.explained.sum() > 0.99


@pytest.fixture(scope="module")
def model():
    from lstm_parity.model import build_model, keras

    keras.utils.set_random_seed(4)
    return build_model(2)


def test_recorded_states_and_extraction_on_a_real_model(model):
    """States recorded in numpy from a Keras model's weights answer as Keras does, and give an automaton."""
    from lstm_parity.inference import random_trajectories
    from lstm_parity.model import weights_of

    trajectories = random_trajectories(weights_of(model), 12, 30, np.random.default_rng(0))
    assert trajectories.states.shape == (12, 30, 4)
    probabilities = np.asarray(model.predict_on_batch(trajectories.bits))
    np.testing.assert_array_equal(trajectories.predicted, probabilities.argmax(axis=-1))
    machine, minimal, centres = automaton.extract_automaton(trajectories, np.random.default_rng(0))
    assert len(centres) == machine.size and minimal.size <= machine.size
    assert np.all(minimal.answer_purity == 1)  # states are split by the model's answer before clustering
    assert minimal.counts.sum() == 12 * 29
