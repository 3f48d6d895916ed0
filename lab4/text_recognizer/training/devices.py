"""How a trial of a parallel run gets its device: the resources it asks Ray for, and the
environment it must run in.

Ray gives a trial that asks for a GPU exactly that GPU: it sets `CUDA_VISIBLE_DEVICES` to the
GPU's id before the trial starts, so TensorFlow, JAX or PyTorch in the trial sees one GPU (as
device 0) and two trials never share one. A trial that asks for **no** GPU gets no such
setting: it inherits the machine's environment and its framework grabs every GPU it can see.
That is why a CPU trial must set `CUDA_VISIBLE_DEVICES=""` itself. A trial also limits its
framework's thread pools to the cores it asked for; otherwise two trials on two cores each
start two threads per pool and spend their time waiting for each other.
"""

from __future__ import annotations

THREAD_VARIABLES = ("OMP_NUM_THREADS", "TF_NUM_INTRAOP_THREADS", "TF_NUM_INTEROP_THREADS")
"""The thread-pool sizes that OpenMP (PyTorch, oneDNN) and TensorFlow read when they start."""


def trial_resources(use_gpu: bool, cpus: int = 1) -> dict[str, int]:
    """Ray's resource request for one trial: `{"cpu": cpus, "gpu": 1}` with a GPU, `{"cpu": cpus, "gpu": 0}` without.

    This is what `ray.tune.with_resources(trainable, ...)` takes: one GPU per trial (one model
    per GPU, several trials side by side) plus `cpus` cores to feed it, or `cpus` cores alone.

    Raises:
        ValueError: when `cpus` is not a positive integer (a trial needs at least one core).
    """
    raise NotImplementedError("Lab 4 exercise: implement trial_resources: Ray's resource request for one trial: `{\"cpu\": cpus, \"gpu\": 1}` with a GPU, `{\"cpu\": cpus, \"gpu\": 0}` without. See notebooks/lab4.ipynb.")


def trial_environment(gpu_ids: list[int | str], cpus: int = 1) -> dict[str, str]:
    """The environment variables a trial must run with, set before its framework is imported.

    `gpu_ids` are the GPUs Ray assigned the trial (`ray.get_gpu_ids()`: `[]` for a CPU trial),
    `cpus` its cores. Returns:

    - `CUDA_VISIBLE_DEVICES`: the ids joined by commas (`[3]` -> `"3"`, `[0, 2]` -> `"0,2"`), and
      the empty string `""` for no GPU, which hides every GPU;
    - each of `THREAD_VARIABLES`: `str(cpus)`.
    """
    raise NotImplementedError("Lab 4 exercise: implement trial_environment: The environment variables a trial must run with, set before its framework is imported. See notebooks/lab4.ipynb.")
