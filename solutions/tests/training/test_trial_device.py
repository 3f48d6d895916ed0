"""Lab 4 exercise: a trial's resource request and environment (`devices.py`)."""

import pytest

from text_recognizer.training.devices import THREAD_VARIABLES, trial_environment, trial_resources


def test_resources_one_gpu_or_none():
    assert trial_resources(True, 2) == {"cpu": 2, "gpu": 1}, "a GPU trial reserves one whole GPU and its cores"
    assert trial_resources(False, 1) == {"cpu": 1, "gpu": 0}, "a CPU trial says explicitly that it takes no GPU"
    with pytest.raises(ValueError):  # a trial needs a core
        trial_resources(False, 0)


def test_environment_of_a_cpu_trial_hides_every_gpu():
    environment = trial_environment([], 1)
    assert environment.get("CUDA_VISIBLE_DEVICES") == "", (
        "a CPU trial must set CUDA_VISIBLE_DEVICES to the empty string: left unset, its framework sees every GPU")
    assert all(environment.get(name) == "1" for name in THREAD_VARIABLES), (
        f"each of {THREAD_VARIABLES} must be the trial's core count, as a string")


def test_environment_of_a_gpu_trial_shows_its_gpu_only():
    assert trial_environment([3], 4)["CUDA_VISIBLE_DEVICES"] == "3", "a GPU trial sees exactly its own GPU"
    assert trial_environment(["0", "2"], 2)["CUDA_VISIBLE_DEVICES"] == "0,2", "CUDA reads ids separated by commas"
    assert trial_environment([3], 4)["TF_NUM_INTRAOP_THREADS"] == "4", "the thread pools are sized to the trial's cores"
