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
    """Ray's resource request for one trial: the CPU cores and GPUs it reserves.

    The contract: a dict in the form `ray.tune.with_resources(trainable, ...)` takes, with a
    "cpu" and a "gpu" entry. A GPU trial reserves a whole GPU for itself (one model per GPU,
    several trials side by side) and `cpus` cores to feed it; a CPU trial reserves `cpus` cores
    and says explicitly that it takes no GPU. Both values are ints.

    Think about what Ray does for a trial that asks for a GPU, and what it does *not* do for one
    that asks for none: `trial_environment` handles the second case.

    Example (check the rest against the notebook's test cell):

        >>> sorted(trial_resources(use_gpu=False, cpus=2))
        ['cpu', 'gpu']

    Notebook: "Exercise: how a trial gets its device" explains what Ray does with the request.

    Raises:
        ValueError: when `cpus` is not a positive whole number (a bool is not a count of cores):
            a trial needs at least one core. Say what was given.
    """
    ### BEGIN SOLUTION lab4
    if isinstance(cpus, bool) or not isinstance(cpus, int) or cpus < 1:
        raise ValueError(f"a trial needs a positive whole number of cores, got cpus={cpus!r}")
    return {"cpu": cpus, "gpu": 1 if use_gpu else 0}
    ### END SOLUTION


def trial_environment(gpu_ids: list[int | str], cpus: int = 1) -> dict[str, str]:
    """The environment variables a trial must run with, set before its framework is imported.

    `gpu_ids` are the GPUs Ray assigned the trial (`ray.get_gpu_ids()`: `[]` for a CPU trial),
    `cpus` its cores. The contract, a dict of strings:

    - `CUDA_VISIBLE_DEVICES`: the trial sees exactly the GPUs it was given, and a trial given
      none sees **no** GPU at all (leaving the variable out is not the same thing: the notebook
      says why). CUDA reads a comma-separated list of ids;
    - each of `THREAD_VARIABLES`: the trial's thread pools sized to its cores.

    Example:

        >>> trial_environment([0, 2], cpus=4)["CUDA_VISIBLE_DEVICES"]
        '0,2'
        >>> trial_environment([0, 2], cpus=4)["OMP_NUM_THREADS"]
        '4'

    Notebook: "Exercise: how a trial gets its device" says what a CPU trial must hide.
    """
    ### BEGIN SOLUTION lab4
    environment = {"CUDA_VISIBLE_DEVICES": ",".join(str(gpu) for gpu in gpu_ids)}
    environment.update({name: str(cpus) for name in THREAD_VARIABLES})
    return environment
    ### END SOLUTION
