"""What the model learned: the finite automaton its LSTM states implement. Pure numpy, over states recorded
by lstm_parity.inference.record_states; their 2-D view is in lstm_parity.states.

The automaton is read off the states reached on random sequences: split them by the model's answer and
cluster each side (k-means on hidden and cell state together, k the smallest that explains 90% of the
variance, at most 8), label each cluster with the parity the model's readout answers there, count the
transitions between clusters under bit 0 and bit 1, and minimise the resulting Moore machine (merge
clusters with the same answer whose transitions lead to equivalent clusters). A model that computes
parity minimises to two states, "even" and "odd", that stay on 0 and swap on 1; a model that does not
shows what it computes instead.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from lstm_parity.inference import random_trajectories
from lstm_parity.keras_file import LstmWeights
from lstm_parity.metrics import DIGITS, rounded
from lstm_parity.states import Trajectories

# Clusters tried per answer, the share of the states' variance the chosen k must explain, and the states
# k-means is fitted on (a random sample; every state is then given its nearest centre). The states of a
# solved model drift with the run of zeros they have read, a continuum no small k explains to 99%: 90% and
# at most 8 clusters per answer, then minimisation merges the clusters that behave alike.
MAX_CLUSTERS = 8
EXPLAINED_VARIANCE = 0.9
CLUSTER_SAMPLE = 4000
KMEANS_ITERATIONS = 100


def kmeans(points: np.ndarray, k: int, rng: np.random.Generator,
           iterations: int = KMEANS_ITERATIONS) -> tuple[np.ndarray, np.ndarray, float]:
    """Lloyd's k-means from a k-means++ start: (centres (k, dims), label of each point, inertia)."""
    points = np.asarray(points, np.float64)
    centres = [points[rng.integers(len(points))]]
    for _ in range(1, k):
        distances = np.min([((points - c) ** 2).sum(axis=1) for c in centres], axis=0)
        if distances.sum() == 0:
            break
        centres.append(points[rng.choice(len(points), p=distances / distances.sum())])
    centres = np.array(centres)
    for _ in range(iterations):
        distances = ((points[:, None, :] - centres[None]) ** 2).sum(axis=-1)
        labels = distances.argmin(axis=1)
        moved = np.array([points[labels == j].mean(axis=0) if np.any(labels == j) else centres[j]
                          for j in range(len(centres))])
        if np.allclose(moved, centres):
            break
        centres = moved
    distances = ((points[:, None, :] - centres[None]) ** 2).sum(axis=-1)
    labels = distances.argmin(axis=1)
    return centres, labels, float(distances[np.arange(len(points)), labels].sum())


def choose_clusters(points: np.ndarray, rng: np.random.Generator, max_k: int = MAX_CLUSTERS,
                    explained: float = EXPLAINED_VARIANCE) -> tuple[np.ndarray, np.ndarray]:
    """k-means with the smallest k whose clusters explain `explained` of the variance (or max_k):
    (centres, labels). Over-clustering is harmless, minimisation merges equivalent clusters."""
    points = np.asarray(points, np.float64)
    total = float(((points - points.mean(axis=0)) ** 2).sum())
    for k in range(1, max_k + 1):
        centres, labels, inertia = kmeans(points, k, rng)
        if total == 0 or inertia <= (1 - explained) * total:
            break
    return centres, labels


def nearest(centres: np.ndarray, points: np.ndarray) -> np.ndarray:
    """Index of the nearest centre for each point (..., dims)."""
    flat = np.asarray(points, np.float64).reshape(-1, centres.shape[1])
    return ((flat[:, None, :] - centres[None]) ** 2).sum(axis=-1).argmin(axis=1).reshape(np.shape(points)[:-1])


@dataclass(frozen=True)
class Automaton:
    """A Moore machine read off the model's states.

    answer[s]           the parity the model answers in state s (majority of its members)
    transitions[s, b]   the state reached from s on bit b (the majority successor)
    counts[s, b, s']    observed transitions, from which purity is the majority's share
    start[b]            the state reached from the zero initial state on the first bit b
    answer_purity[s]    share of the members of s whose answer is answer[s]
    parity_purity[s]    share of the members of s whose true running parity is answer[s]
    members[s]          states of the clustering merged into s (before minimisation: just s)
    """
    answer: np.ndarray
    transitions: np.ndarray
    counts: np.ndarray
    start: np.ndarray
    answer_purity: np.ndarray
    parity_purity: np.ndarray
    members: tuple[tuple[int, ...], ...]

    @property
    def size(self) -> int:
        return len(self.answer)

    @property
    def transition_purity(self) -> np.ndarray:
        """(states, 2): the share of each state's observed transitions on each bit that go to the majority."""
        totals = self.counts.sum(axis=-1)
        return np.divide(self.counts.max(axis=-1), totals, out=np.zeros(totals.shape), where=totals > 0)

    def is_parity_flip(self) -> bool:
        """Two states answering 0 and 1, each kept by bit 0 and swapped by bit 1, entered from the start
        state on the first bit's own parity: the parity automaton."""
        if self.size != 2 or sorted(self.answer.tolist()) != [0, 1]:
            return False
        states = np.arange(2)
        keeps_on_0 = np.array_equal(self.transitions[:, 0], states)
        flips_on_1 = np.array_equal(self.transitions[:, 1], 1 - states)
        return bool(keeps_on_0 and flips_on_1 and self.answer[self.start[0]] == 0 and self.answer[self.start[1]] == 1)

    def describe(self) -> list[str]:
        lines = [f"{self.size} states; start -0-> {self.start[0]}, start -1-> {self.start[1]}"]
        purity = self.transition_purity
        for s in range(self.size):
            lines.append(f"state {s} (answers {self.answer[s]}, answer purity {self.answer_purity[s]:.4f}, "
                         f"parity purity {self.parity_purity[s]:.4f}, clusters {list(self.members[s])}): "
                         f"-0-> {self.transitions[s, 0]} ({purity[s, 0]:.4f}), "
                         f"-1-> {self.transitions[s, 1]} ({purity[s, 1]:.4f})")
        return lines

    def to_dict(self) -> dict:
        return {"states": self.size, "parity_flip": bool(self.is_parity_flip()), "answer": self.answer.tolist(),
                "transitions": self.transitions.tolist(), "counts": self.counts.tolist(),
                "start": self.start.tolist(), "transition_purity": np.round(self.transition_purity, DIGITS).tolist(),
                "answer_purity": np.round(self.answer_purity, DIGITS).tolist(),
                "parity_purity": np.round(self.parity_purity, DIGITS).tolist(),
                "members": [list(m) for m in self.members]}


def cluster_automaton(clusters: np.ndarray, bits: np.ndarray, predicted: np.ndarray, parity: np.ndarray,
                      k: int) -> Automaton:
    """The machine whose states are the clusters: `clusters`, `predicted` and `parity` (count, length) are
    each step's cluster, the model's answer and the true parity; bits[:, t] leads from step t-1 to t."""
    answers = np.zeros((k, 2), np.int64)
    truths = np.zeros((k, 2), np.int64)
    np.add.at(answers, (clusters.ravel(), predicted.ravel()), 1)
    np.add.at(truths, (clusters.ravel(), parity.ravel()), 1)
    counts = np.zeros((k, 2, k), np.int64)
    np.add.at(counts, (clusters[:, :-1].ravel(), bits[:, 1:].ravel(), clusters[:, 1:].ravel()), 1)
    start_counts = np.zeros((2, k), np.int64)
    np.add.at(start_counts, (bits[:, 0], clusters[:, 0]), 1)
    answer = answers.argmax(axis=1)
    sizes = np.maximum(answers.sum(axis=1), 1)
    return Automaton(answer=answer, transitions=counts.argmax(axis=-1), counts=counts,
                     start=start_counts.argmax(axis=-1), answer_purity=answers.max(axis=1) / sizes,
                     parity_purity=truths[np.arange(k), answer] / sizes,
                     members=tuple((j,) for j in range(k)))


def minimise(machine: Automaton) -> Automaton:
    """Merge equivalent states (Moore's partition refinement on the majority transitions): two states are
    equivalent when they answer alike and each bit leads them to equivalent states. Every cluster is
    kept (each was visited); a bit never seen leaving a state leads to "unknown", which only itself matches."""
    seen = machine.counts.sum(axis=-1) > 0
    successor = np.where(seen, machine.transitions, -1)
    states = range(machine.size)
    block = {s: int(machine.answer[s]) for s in states}
    while True:
        signature = {s: (block[s], *(block.get(int(successor[s, b]), -1) for b in (0, 1))) for s in states}
        names: dict[tuple, int] = {}
        refined = {s: names.setdefault(signature[s], len(names)) for s in states}
        if len(names) == len(set(block.values())):
            break
        block = refined
    # Classes numbered by their answer, then by their first cluster, for a stable reading.
    groups: dict[int, list[int]] = {}
    for s in states:
        groups.setdefault(block[s], []).append(s)
    members = tuple(tuple(g) for g in sorted(groups.values(), key=lambda g: (int(machine.answer[g[0]]), g[0])))
    index = {s: i for i, group in enumerate(members) for s in group}
    n = len(members)
    counts = np.zeros((n, 2, n), np.int64)
    for i, group in enumerate(members):
        for j, other in enumerate(members):
            counts[i, :, j] = machine.counts[list(group)][:, :, list(other)].sum(axis=(0, 2))
    sizes = [np.maximum(machine.counts[list(g)].sum(axis=(1, 2)), 1) for g in members]
    answer = np.array([machine.answer[g[0]] for g in members])
    answer_purity, parity_purity = (
        np.array([np.average(purity[list(g)], weights=w) for g, w in zip(members, sizes, strict=True)])
        for purity in (machine.answer_purity, machine.parity_purity))
    return Automaton(answer, counts.argmax(axis=-1), counts, np.array([index[int(s)] for s in machine.start]),
                     answer_purity, parity_purity, members)


def extract_automaton(trajectories: Trajectories, rng: np.random.Generator, max_k: int = MAX_CLUSTERS
                      ) -> tuple[Automaton, Automaton, np.ndarray]:
    """(the clusters' machine, its minimisation, the cluster centres) for recorded trajectories.

    States are first split by the model's answer (the Moore machine's output, the coarsest partition
    minimisation could reach), then each side is clustered on its own: otherwise the first steps' states,
    close together near the zero state whatever the first bit, share clusters across answers."""
    states = trajectories.states.reshape(-1, trajectories.states.shape[-1])
    answers = trajectories.predicted.ravel()
    clusters = np.zeros(len(states), np.int64)
    centres = []
    for answer in (0, 1):
        side = np.flatnonzero(answers == answer)
        if not side.size:
            continue
        sample = states[side[rng.permutation(side.size)[:CLUSTER_SAMPLE]]]
        side_centres, _ = choose_clusters(sample, rng, max_k)
        clusters[side] = len(np.concatenate(centres)) if centres else 0
        clusters[side] += nearest(side_centres, states[side])
        centres.append(side_centres)
    centres = np.concatenate(centres)
    machine = cluster_automaton(clusters.reshape(trajectories.predicted.shape), trajectories.bits,
                                trajectories.predicted, trajectories.parity, len(centres))
    return machine, minimise(machine), centres


def summary(clusters: Automaton, minimal: Automaton, trajectories: Trajectories) -> dict:
    """The evaluate stage's automaton JSON: at its top level the numbers `dvc metrics show` lists (states
    of the minimised machine, whether it is the parity flip, clusters before minimising, the model's step
    accuracy on the recorded sequences); under "machine" the minimised machine itself (answers,
    transitions[state] = [on bit 0, on bit 1], start, counts, purities, the clusters merged into each state)."""
    machine = minimal.to_dict()
    return {"states": machine.pop("states"), "is_parity_flip": machine.pop("parity_flip"),
            "clusters": clusters.size,
            "step_accuracy": rounded((trajectories.predicted == trajectories.parity).mean()),
            "machine": machine}


def explain(weights: LstmWeights, count: int, length: int, seed: int
            ) -> tuple[dict, Trajectories, np.ndarray]:
    """What the explain stage reads off a model: its automaton's summary, the trajectories of `count`
    random sequences of `length` bits, and the cluster centres. One generator, in this order, for the
    sequences and then the clustering: `seed` (explain.seed) fixes both."""
    rng = np.random.default_rng(seed)
    trajectories = random_trajectories(weights, count, length, rng)
    clusters, minimal, centres = extract_automaton(trajectories, rng)
    return summary(clusters, minimal, trajectories), trajectories, centres
