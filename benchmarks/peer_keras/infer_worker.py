"""Inference latency of what users deploy: one process per measurement, one JSON line out.

    .venv/bin/python infer_worker.py --kind onnx --bundle DIR --threads 1
    .venv/bin/python infer_worker.py --kind torchscript --bundle DIR --threads 1
    .venv-keras/bin/python infer_worker.py --kind keras --threads 1

``onnx``: the bundle's ``model.onnx`` in an onnxruntime ``InferenceSession`` (CPU provider,
``intra_op_num_threads`` = threads, ``inter_op_num_threads`` = 1). ``torchscript``: the bundle's
``model.torchscript.pt`` through ``torch.jit.load`` under ``torch.no_grad()``, with
``torch.set_num_threads``. ``keras``: the same model built in Keras (keras_worker.build_model),
``predict_on_batch`` with TensorFlow's intra/inter-op pools at ``--threads``.

For each batch size: warm-up calls, then calls for about ``--seconds`` seconds (at least 20);
reported: the median and 90th percentile latency per call (wall clock) and CPU-seconds per wall
second over the timed calls (all the process's threads).
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")

import numpy as np  # noqa: E402

from protocol import cpu_seconds, say  # noqa: E402


def load(kind: str, bundle: str | None, threads: int):
    """A function from a float32 array [B, 1, 28, 28] to the model's output array."""
    if kind == "onnx":
        import onnxruntime as ort

        opts = ort.SessionOptions()
        opts.intra_op_num_threads, opts.inter_op_num_threads = threads, 1
        session = ort.InferenceSession(os.path.join(bundle, "model.onnx"), opts,
                                       providers=["CPUExecutionProvider"])
        name = session.get_inputs()[0].name
        return lambda x: session.run(None, {name: x})[0], {"onnxruntime": ort.__version__}
    if kind == "torchscript":
        import torch

        torch.set_num_threads(threads)
        model = torch.jit.load(os.path.join(bundle, "model.torchscript.pt"),
                               map_location="cpu").eval()

        def run(x):
            with torch.no_grad():
                return model(torch.from_numpy(x)).numpy()
        return run, {"torch": torch.__version__}
    import tensorflow as tf

    tf.config.threading.set_intra_op_parallelism_threads(threads)
    tf.config.threading.set_inter_op_parallelism_threads(threads)
    import keras

    from keras_worker import build_model

    keras.utils.set_random_seed(0)
    model = build_model("fp32", compile_model=False)
    # Keras' layout is channels-last: the transpose is part of what a Keras user runs too,
    # so it is done once, outside the timing, as the user's data would already be NHWC
    return (lambda x: np.asarray(model.predict_on_batch(x))), {
        "tensorflow": tf.__version__, "keras": keras.__version__, "nhwc": True}


def measure(run, x: np.ndarray, seconds: float) -> dict:
    for _ in range(10):
        run(x)
    times, c0, t_start = [], cpu_seconds(), time.perf_counter()
    while len(times) < 20 or time.perf_counter() - t_start < seconds:
        t = time.perf_counter()
        run(x)
        times.append(time.perf_counter() - t)
    wall = time.perf_counter() - t_start
    times.sort()
    return {"calls": len(times), "median_ms": 1000 * statistics.median(times),
            "p90_ms": 1000 * times[int(0.9 * (len(times) - 1))],
            "cpu_per_wall": (cpu_seconds() - c0) / wall}


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--kind", choices=("onnx", "torchscript", "keras"), required=True)
    p.add_argument("--bundle", help="the unpacked bundle folder (onnx, torchscript)")
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--batches", type=int, nargs="+", default=[1, 64])
    p.add_argument("--seconds", type=float, default=2.0)
    args = p.parse_args()
    run, versions = load(args.kind, args.bundle, args.threads)
    rng = np.random.default_rng(0)
    out = {}
    for b in args.batches:
        x = rng.standard_normal((b, 1, 28, 28), dtype=np.float32)
        if args.kind == "keras":
            x = np.ascontiguousarray(x.transpose(0, 2, 3, 1))
        out[str(b)] = measure(run, x, args.seconds)
    say(kind=args.kind, threads=args.threads, versions=versions, batches=out)


if __name__ == "__main__":
    main()
