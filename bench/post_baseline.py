"""The post's script, re-implemented faithfully as the benchmark's baseline (not part of the pipeline).

Python-list data generation, a fixed-length model of (SEQ_LEN, 2) inputs, LSTM(1), Dense(2, softmax),
binary cross-entropy, Adam at its default 0.001, 10 epochs of batch 128, Keras's default compile (no XLA
on a CPU), then the post's demo (predict the whole training set, show one sequence). Prints one JSON line
of timings, total_s being the post's script end to end, and the final-step accuracy on fresh sequences,
which is measured after total_s.
"""
from __future__ import annotations

import json
import random
import sys
import time

SEQ_LEN, COUNT, HELDOUT = 50, 100_000, 2000


def main() -> int:
    started = time.perf_counter()
    import numpy as np
    from tensorflow.keras.layers import LSTM, Dense, Input  # the post's imports
    from tensorflow.keras.models import Sequential
    imported = time.perf_counter()

    random.seed(int(sys.argv[1]) if len(sys.argv) > 1 else 0)

    def bin_pair(x):
        return [x, not x]

    training = np.array([[bin_pair(random.choice([0, 1])) for _ in range(SEQ_LEN)] for _ in range(COUNT)])
    target = np.array([[bin_pair(x) for x in np.cumsum(example[:, 0]) % 2] for example in training])
    generated = time.perf_counter()

    model = Sequential()
    model.add(Input(shape=(SEQ_LEN, 2), dtype="float32"))
    model.add(LSTM(1, return_sequences=True))
    model.add(Dense(2, activation="softmax"))
    model.compile(loss="binary_crossentropy", optimizer="adam", metrics=["accuracy"])
    model.fit(training, target, epochs=10, batch_size=128, verbose=0)
    model.summary(print_fn=lambda *args, **kwargs: None)
    trained = time.perf_counter()

    # The post's closing demo: predict the whole training set, show one sequence at random.
    predictions = model.predict(training, verbose=0)
    i = random.randint(0, COUNT - 1)
    chance = predictions[i, -1, 0]  # output 0: the probability that the parity is 1
    print("prediction:", int(chance > 0.5), "actual:", np.sum(training[i, :, 0]) % 2, file=sys.stderr)
    demo = time.perf_counter()

    # Not in the post: final-step accuracy on fresh sequences, to compare with the pipeline's.
    fresh = np.array([[bin_pair(random.choice([0, 1])) for _ in range(SEQ_LEN)] for _ in range(HELDOUT)])
    fresh_predictions = model.predict(fresh, verbose=0)
    accuracy = float(np.mean((fresh_predictions[:, -1, 0] > 0.5) == (fresh[:, :, 0].sum(axis=1) % 2 == 1)))
    print(json.dumps({"import_s": imported - started, "generate_s": generated - imported,
                      "train_s": trained - generated, "demo_s": demo - trained, "total_s": demo - started,
                      "heldout_accuracy": accuracy}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
