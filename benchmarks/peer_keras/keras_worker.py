"""The Keras side: the design note's model in Keras 3 on TensorFlow, trained with ``fit``.

    .venv-keras/bin/python keras_worker.py --n 12000 --batch 32 --threads 1 [--precision bf16]

Run by run.py in the Keras virtual environment, one process per measurement, with TensorFlow's
intra- and inter-op pools set to ``--threads`` (how a Keras user sets a thread budget; no pinning).
``--precision bf16`` sets Keras' ``mixed_bfloat16`` policy, with the final softmax in float32 as
Keras' mixed-precision guide has it. One ``fit`` call runs all epochs; a callback
waits for run.py's command between epochs (see protocol.py), so what is timed is Keras' own loop.
The model is Conv2D 32 → MaxPooling → Conv2D 64 → MaxPooling → Flatten → Dense 10 softmax with
sparse categorical cross-entropy (LayerLoom: logits with cross-entropy, the same loss), Adam 1e-3.
"""

from __future__ import annotations

import argparse
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")

import numpy as np  # noqa: E402

import data  # noqa: E402
from protocol import EpochClock, command, say  # noqa: E402


def build_model(precision: str = "fp32", compile_model: bool = True):
    import keras
    from keras import layers

    if precision == "bf16":
        keras.mixed_precision.set_global_policy("mixed_bfloat16")
    head = ([layers.Dense(10, activation="softmax")] if precision == "fp32" else
            [layers.Dense(10), layers.Activation("softmax", dtype="float32")])

    model = keras.Sequential([
        keras.Input(shape=(28, 28, 1)),
        layers.Conv2D(32, kernel_size=(3, 3), activation="relu"),
        layers.MaxPooling2D(pool_size=(2, 2)),
        layers.Conv2D(64, kernel_size=(3, 3), activation="relu"),
        layers.MaxPooling2D(pool_size=(2, 2)),
        layers.Flatten(),
        *head,
    ])
    if not compile_model:
        return model
    model.compile(loss="sparse_categorical_crossentropy",
                  optimizer=keras.optimizers.Adam(learning_rate=1e-3), metrics=["accuracy"])
    return model


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--n", type=int, default=data.N)
    p.add_argument("--batch", type=int, default=32)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--precision", choices=("fp32", "bf16"), default="fp32")
    args = p.parse_args()

    import tensorflow as tf

    tf.config.threading.set_intra_op_parallelism_threads(args.threads)
    tf.config.threading.set_inter_op_parallelism_threads(args.threads)
    import keras

    keras.utils.set_random_seed(0)
    x, y = data.load("images", args.n)
    x = np.ascontiguousarray(x.transpose(0, 2, 3, 1))  # channels last, Keras' layout
    model = build_model(args.precision)
    clock = EpochClock()

    class Coordinator(keras.callbacks.Callback):
        epochs = 0

        def wait(self) -> None:
            while True:
                cmd = command()
                if cmd == "epoch":
                    clock.start()
                    return
                if cmd == "quit":
                    self.model.stop_training = True
                    return
                say(error=f"unknown command {cmd!r}")

        def on_train_begin(self, logs=None):
            say(ready=True, kind="keras", params=model.count_params(), tf=tf.__version__,
                keras=keras.__version__, precision=args.precision,
                policy=keras.mixed_precision.global_policy().name,
                jit_compile=bool(getattr(model, "jit_compile", False)),
                env={k: v for k, v in os.environ.items() if k.startswith(("OMP_", "TF_"))})
            self.wait()

        def on_epoch_end(self, epoch, logs=None):
            self.epochs += 1
            logs = logs or {}
            say(epoch=self.epochs, samples=len(x), **clock.stop(), loss=logs.get("loss"),
                accuracy=logs.get("accuracy"))
            self.wait()

    model.fit(x, y, batch_size=args.batch, epochs=100_000, shuffle=True, verbose=0,
              callbacks=[Coordinator()])
    say(done=True)


if __name__ == "__main__":
    main()
