"""Lab 4: experiment groups on a Ray cluster of two nodes (a head and a worker, on this machine).

The cluster starts once for this module (one core per node, a small object store); each test
connects to it through `run_group(..., address=...)`, as `--address` does on the command line.
"""

import json

import pytest

from text_recognizer.training.registry import RunRegistry
from text_recognizer.training.run_group import run_group

pytestmark = pytest.mark.xdist_group("ray")  # one cluster per test session (`--dist loadgroup`)

TINY_DATA = {"source": "substitute", "letters_per_class_per_font": 2,
             "test_letters_per_class_per_font": 1, "digits_per_class": 10}
BASE = {"dataset": "emnist", "dataset_args": TINY_DATA, "model": "CharacterModel", "network": "mlp",
        "network_args": {"layer_size": 16, "num_layers": 1}, "train_args": {"epochs": 1, "batch_size": 64}}
OBJECT_STORE = 80 * 1024**2


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    """Two Ray nodes with one core each; the tiny data built once, before any trial needs it."""
    from ray.cluster_utils import Cluster

    from text_recognizer.data import get_dataset

    folder = tmp_path_factory.mktemp("ray")
    patch = pytest.MonkeyPatch()
    patch.setenv("TEXT_RECOGNIZER_DATA_DIR", str(folder / "data"))
    patch.delenv("WANDB_API_KEY", raising=False)
    get_dataset("emnist", TINY_DATA).prepare()
    node = {"num_cpus": 1, "object_store_memory": OBJECT_STORE, "include_dashboard": False}
    ray_cluster = Cluster(initialize_head=True, head_node_args={**node, "include_dashboard": False})
    ray_cluster.add_node(num_cpus=1, object_store_memory=OBJECT_STORE)
    ray_cluster.wait_for_nodes()
    yield ray_cluster
    ray_cluster.shutdown()
    patch.undo()


@pytest.fixture
def runs_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("TEXT_RECOGNIZER_RUNS_DIR", str(tmp_path / "runs"))
    return tmp_path / "runs"


def test_a_failing_trial_is_recorded_and_the_others_finish_on_both_nodes(cluster, runs_dir):
    group = {"name": "mixed", "base": BASE, "metric": "val_loss", "mode": "min",
             "configs": [{"network_args.layer_size": 8}, {"network_args.layer_size": 24},
                         {"network_args.layer_size": -1}]}
    rows = {row["name"]: row for row in run_group(group, address=cluster.address, tracking=False)}
    assert {name: row["status"] for name, row in rows.items()} == {
        "mixed-000": "finished", "mixed-001": "finished", "mixed-002": "failed"}
    finished = [rows["mixed-000"], rows["mixed-001"]]
    # The first two trials start together, one core each, on two one-core nodes: one on each node.
    assert len({row["node_id"] for row in finished}) == 2
    # A CPU trial sees no GPU (set, and empty) and uses the one core it asked for.
    assert all(row["metrics"]["cuda_visible_devices"] == "" and row["metrics"]["threads"] == "1" for row in finished)
    records = {record["name"]: record for record in RunRegistry().runs(group="mixed")}
    assert records["mixed-002"]["status"] == "failed" and "units" in records["mixed-002"]["error"]
    for name in ("mixed-000", "mixed-001"):
        assert records[name]["status"] == "finished" and records[name]["trial_id"]
    assert records["mixed-001"]["config"]["network_args"]["layer_size"] == 24


def test_a_bayesian_sweep_runs_optuna_trials(cluster, runs_dir):
    group = {"name": "bayes", "base": BASE, "metric": "val_loss", "mode": "min",
             "search": {"method": "bayes", "num_trials": 2, "parameters": {
                 "train_args.learning_rate": {"min": 1e-3, "max": 1e-1, "distribution": "log_uniform_values"},
                 "network_args.layer_size": {"values": [8, 16]}}}}
    rows = run_group(group, address=cluster.address, tracking=False)
    assert [row["status"] for row in rows] == ["finished", "finished"]
    records = RunRegistry().runs(group="bayes", status="finished")
    assert len(records) == 2
    rates = [record["config"]["train_args"]["learning_rate"] for record in records]
    assert all(1e-3 <= rate <= 1e-1 for rate in rates) and rates[0] != rates[1]
    assert json.dumps(records[0]["config"])  # a plain JSON config, as run_experiment saw it
