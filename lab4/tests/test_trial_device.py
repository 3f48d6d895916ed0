"""Lab 4 exercise: a trial's resource request and environment (`devices.py`)."""

import pytest

from text_recognizer.training.devices import THREAD_VARIABLES, trial_environment, trial_resources


def test_resources_one_gpu_or_none():
    assert trial_resources(True, 2) == {"cpu": 2, "gpu": 1}
    assert trial_resources(False, 1) == {"cpu": 1, "gpu": 0}
    with pytest.raises(ValueError):
        trial_resources(False, 0)


def test_environment_of_a_cpu_trial_hides_every_gpu():
    environment = trial_environment([], 1)
    assert environment["CUDA_VISIBLE_DEVICES"] == ""  # set, and empty: not left unset
    assert all(environment[name] == "1" for name in THREAD_VARIABLES)


def test_environment_of_a_gpu_trial_shows_its_gpu_only():
    assert trial_environment([3], 4)["CUDA_VISIBLE_DEVICES"] == "3"
    assert trial_environment(["0", "2"], 2)["CUDA_VISIBLE_DEVICES"] == "0,2"
    assert trial_environment([3], 4)["TF_NUM_INTRAOP_THREADS"] == "4"
