"""cluster.yaml, checked with Ray's own schema and config preparation, and multi-node runs on this
machine: a Ray cluster of a CPU-less head and two worker nodes that declare one GPU each, a study
run against it with --address and --gpus-per-trial 0.5, and a worker node killed mid-run."""
from __future__ import annotations

import copy
import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest
import yaml

from tests.conftest import ROOT

CLUSTER_YAML = ROOT / "cluster.yaml"


# ---------------------------------------------------------------- cluster.yaml

def prepared(config: dict) -> dict:
    """What `ray up` does to the file before it starts anything: merge the provider's defaults
    (prepare_config / fillout_defaults), then validate against ray-schema.json."""
    from ray.autoscaler._private.util import prepare_config, validate_config
    config = prepare_config(copy.deepcopy(config))
    validate_config(config)
    return config


@pytest.fixture(scope="module")
def config() -> dict:
    return yaml.safe_load(CLUSTER_YAML.read_text())


def test_cluster_yaml_passes_rays_schema_and_config_preparation(config):
    c = prepared(config)
    assert c["provider"]["type"] == "aws"
    head = c["available_node_types"][c["head_node_type"]]
    assert head["resources"] == {"CPU": 0}  # the head runs no trial
    assert any("--head" in cmd and "--num-cpus=0" in cmd for cmd in c["head_start_ray_commands"])
    [gpu] = [t for name, t in c["available_node_types"].items() if name != c["head_node_type"]]
    assert gpu["min_workers"] == 0 and gpu["resources"]["GPU"] >= 1
    assert gpu["max_workers"] == c["max_workers"] >= 1


MISTAKES = {
    "a misspelled top-level key": lambda c: c.update(setup_comands=c.pop("setup_commands")),
    "a misspelled node-type key": lambda c: c["available_node_types"]["gpu"].update(
        min_worker=c["available_node_types"]["gpu"].pop("min_workers")),
    "a node type without resources": lambda c: c["available_node_types"]["gpu"].pop("resources"),
    "an ill-typed value": lambda c: c.update(max_workers="four"),
    "a fractional GPU count": lambda c: c["available_node_types"]["gpu"]["resources"].update(GPU=0.5),
}


@pytest.mark.parametrize("mistake", MISTAKES)
def test_a_mistake_in_cluster_yaml_fails_validation(config, mistake):
    import jsonschema
    broken = copy.deepcopy(config)
    MISTAKES[mistake](broken)
    with pytest.raises(jsonschema.ValidationError):
        prepared(broken)


def make_commands(target: str) -> list[str]:
    """The commands `make <target>` runs on a fresh machine (dry run, nothing executed)."""
    env = {k: v for k, v in os.environ.items() if k not in ("MAKEFLAGS", "MAKELEVEL", "MFLAGS")}
    done = subprocess.run(["make", "--no-print-directory", "-n", "-B", target], cwd=ROOT, env=env,
                          capture_output=True, text=True, check=True)  # as if typed, even under `make test`
    return [line for line in done.stdout.splitlines() if line.strip()]


def test_setup_commands_install_the_project_as_the_readme_does(config):
    c = prepared(config)
    setup = c["setup_commands"]
    installs = [cmd for cmd in setup if re.search(r"\bmake\b.*\binstall\b", cmd)]
    assert installs == ["make -C ~/tunestudies install PY=python3.11"]
    # nothing else in the setup installs Python packages for the project: one source of truth
    assert not [cmd for cmd in setup if re.search(r"\bpip\b", cmd)]
    # the project's source is a fixed folder that `make cluster-src` fills with the tracked files:
    # never the folder `ray up` runs in, never a venv (Ray hashes every file of a mount's source)
    assert c["file_mounts"] == {"~/tunestudies": "~/.cache/tunestudies/cluster-src",
                                "~/.ray/auth_token": "~/.ray/auth_token"}
    copy_files = " ".join(make_commands("cluster-src"))
    assert "git ls-files" in copy_files and "--exclude-standard" in copy_files
    assert f"tar -xf - -C {Path.home() / '.cache/tunestudies/cluster-src'}" in copy_files
    assert not {"pyproject.toml", "Makefile", "studies", "trainables"} & set(c["rsync_exclude"])
    assert {".venv", ".git", ".cache", "results", "report", ".pytest_cache", "benchmarks/out"} \
        <= set(c["rsync_exclude"])
    # `make install` is exactly the set-up that the README's `make demo` / `make test` run first
    install, test, demo = make_commands("install"), make_commands("test"), make_commands("demo")
    assert any("pip install -e '.[test]'" in cmd for cmd in install)
    assert test[:-1] == install and demo[:-1] == install
    # Ray on every node runs from the venv that `make install` made
    assert any(cmd.startswith(".venv/bin/pip install -e") for cmd in install)
    for cmd in c["head_start_ray_commands"] + c["worker_start_ray_commands"]:
        assert "~/tunestudies/.venv/bin/ray " in cmd


def test_shared_storage_is_wired_through_to_the_studies(config, monkeypatch):
    c = prepared(config)
    setup = " ".join(c["setup_commands"])
    assert "mount -t nfs4" in setup and "/mnt/shared" in setup
    assert "export TUNESTUDIES_STORAGE_PATH=/mnt/shared/results" in setup
    from studies.lr_sweep import STUDY
    from studies.runner import parse_args
    monkeypatch.setenv("TUNESTUDIES_STORAGE_PATH", "/mnt/shared/results")
    assert parse_args(STUDY, []).storage_path == "/mnt/shared/results/local"  # <root>/<profile>/<study>
    assert parse_args(STUDY, ["--storage-path", "/elsewhere"]).storage_path == "/elsewhere"
    monkeypatch.delenv("TUNESTUDIES_STORAGE_PATH")
    assert parse_args(STUDY, ["--profile", "smoke"]).storage_path == "./results/smoke"


# ---------------------------------------------------------------- closed by default (issue 18)

OPEN = {"0.0.0.0/0", "::/0"}


def cidrs(rule: dict) -> set[str]:
    return {r.get("CidrIp") for r in rule.get("IpRanges", [])} | \
        {r.get("CidrIpv6") for r in rule.get("Ipv6Ranges", [])}


def test_no_port_is_open_to_the_internet(config):
    from ray.autoscaler._private.aws.config import _configure_security_group, _create_default_inbound_rules
    c = prepared(config)
    group = c["provider"]["security_group"]
    rules = group["IpPermissions"]
    assert rules and not any(cidrs(rule) & OPEN for rule in rules)
    [ssh] = [rule for rule in rules if cidrs(rule)]  # the only rule with addresses: SSH from one CIDR
    assert (ssh["IpProtocol"], ssh["FromPort"], ssh["ToPort"]) == ("tcp", 22, 22)
    [cidr] = cidrs(ssh)
    assert cidr == "203.0.113.0/32"  # a documentation address until the user edits it
    lines = CLUSTER_YAML.read_text().splitlines()
    at = next(i for i, line in enumerate(lines) if cidr in line)
    assert any("EDIT" in line for line in lines[at - 3:at + 1])  # marked for the user to change
    # every other port (Ray's, NFS) only from members of the group itself
    for rule in rules:
        if rule is not ssh:
            assert rule["UserIdGroupPairs"] == [{"GroupName": group["GroupName"]}], rule
            assert not cidrs(rule) and not rule.get("PrefixListIds"), rule
    # every node names its group, so Ray makes none of its own: Ray's security-group step leaves
    # the config as it is (and asks AWS nothing) ...
    assert all(t["node_config"].get("SecurityGroupIds") for t in c["available_node_types"].values())
    assert _configure_security_group(copy.deepcopy(c)) == c
    # ... because a group Ray makes gets SSH from anywhere besides the declared rules
    assert any(cidrs(rule) & OPEN for rule in _create_default_inbound_rules({"sg-1"}, rules))


def test_the_security_group_script_creates_exactly_the_declared_rules(config):
    from cluster_security_group import ingress_rules
    rules = ingress_rules(config, "sg-0123")
    assert [p for rule in rules for p in rule.get("UserIdGroupPairs", [])] == [{"GroupId": "sg-0123"}]
    assert len(rules) == len(config["provider"]["security_group"]["IpPermissions"])
    opened = copy.deepcopy(config)
    opened["provider"]["security_group"]["IpPermissions"].append(
        {"IpProtocol": "tcp", "FromPort": 8265, "ToPort": 8265, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]})
    with pytest.raises(ValueError, match="whole internet"):
        ingress_rules(opened, "sg-0123")


def test_dashboard_on_the_heads_localhost_and_token_auth_on_everywhere(config):
    c = prepared(config)
    [head] = [cmd for cmd in c["head_start_ray_commands"] if "ray start" in cmd]
    assert re.search(r"--dashboard-host=127\.0\.0\.1(\s|$)", head)
    commands = c["head_start_ray_commands"] + c["worker_start_ray_commands"]
    assert not [cmd for cmd in commands + c["setup_commands"] if "0.0.0.0" in cmd]
    # every Ray process of the cluster, and every shell that runs a study, in token mode
    for cmd in commands:
        if "ray start" in cmd:
            assert "RAY_AUTH_MODE=token " in cmd, cmd
    assert "'export RAY_AUTH_MODE=token'" in " ".join(c["setup_commands"])
    # the token: the user's own file, copied to every node, readable by the cluster's user only
    assert c["file_mounts"]["~/.ray/auth_token"] == "~/.ray/auth_token"
    assert "chmod 0600 ~/.ray/auth_token" in c["setup_commands"]
    assert "disabled" not in yaml.safe_dump(c).replace("RAY_AUTH_MODE=disabled on a cluster", "")
    # Ray 2.60 reads the token from there (what the README tells a remote submitter)
    from ray._private.authentication.authentication_token_setup import _get_default_token_path
    assert _get_default_token_path() == Path.home() / ".ray" / "auth_token"


def test_the_shared_mount_is_writable_by_the_clusters_user_only(config):
    setup = " ".join(prepared(config)["setup_commands"])
    modes = re.findall(r"chmod\s+(\S+)\s+/mnt/shared", setup)
    assert modes == ["0750"]
    assert 'chown "$(id -u):$(id -g)" /mnt/shared' in setup
    assert not re.search(r"chmod\s+(\S*7{3}|\S*o\+w|a\+w)", setup)


# ---------------------------------------------------------------- a multi-node cluster here

# Runs in its own process, so that this test process's Ray (tests/conftest.py) is never touched.
# ray.cluster_utils.Cluster records its address in /tmp/ray for a bare ray.init() to find: that
# is switched off, so that no other Ray program on this machine joins this test cluster.
CLUSTER_PROCESS = r"""
import json, sys
import ray._common.utils, ray._private.utils
from ray.cluster_utils import Cluster
ray._private.utils.write_ray_address = ray._common.utils.reset_ray_address = lambda *a, **k: None
cluster = Cluster(initialize_head=True, head_node_args={"num_cpus": 0, "include_dashboard": False})
workers = {}
for _ in range(2):
    node = cluster.add_node(num_cpus=2, num_gpus=1)
    workers[node.node_id] = node
cluster.wait_for_nodes()
print(json.dumps({"address": cluster.address, "head": cluster.head_node.node_id,
                  "workers": list(workers)}), flush=True)
for line in sys.stdin:
    command, *args = line.split()
    if command == "kill":  # all of the node's processes, at once (no graceful shutdown)
        cluster.remove_node(workers.pop(args[0]), allow_graceful=False)
        print(json.dumps({"killed": args[0]}), flush=True)
    else:
        break
cluster.shutdown()
"""


class LocalCluster:
    def __init__(self):
        self.process = subprocess.Popen([sys.executable, "-c", CLUSTER_PROCESS], cwd=ROOT, text=True,
                                        stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                        env={**os.environ, "RAY_ADDRESS": ""}, start_new_session=True)
        info = json.loads(self.process.stdout.readline() or "{}")
        assert info, "the test cluster did not start"
        self.address, self.head, self.workers = info["address"], info["head"], info["workers"]

    def kill(self, node_id: str) -> None:
        self.process.stdin.write(f"kill {node_id}\n")
        self.process.stdin.flush()
        assert json.loads(self.process.stdout.readline()) == {"killed": node_id}
        self.workers.remove(node_id)

    def shutdown(self) -> None:
        try:
            self.process.communicate("quit\n", timeout=60)
        except subprocess.TimeoutExpired:
            pass
        finally:  # whatever it started and left behind
            try:
                os.killpg(self.process.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass


@pytest.fixture(scope="module")
def cluster():
    c = LocalCluster()
    yield c
    c.shutdown()


def study(cluster: LocalCluster, storage: Path, *args: str) -> list[str]:
    return [sys.executable, str(ROOT / "studies" / "lr_sweep.py"), "--profile", "smoke",
            "--address", cluster.address, "--gpus-per-trial", "0.5", "--cpus-per-trial", "1",
            "--storage-path", str(storage), "--scheduler", "fifo", *args]


def result_rows(folder: Path) -> list[dict]:
    path = folder / "result.json"
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()] if path.exists() else []


def span(rows: list[dict]) -> tuple[float, float]:
    """When a trial ran, from its results (seconds since the epoch)."""
    return rows[0]["timestamp"] - rows[0]["time_this_iter_s"], rows[-1]["timestamp"]


def test_more_gpus_per_trial_than_any_node_has_is_an_error_not_a_wait(cluster, tmp_path):
    done = subprocess.run(study(cluster, tmp_path, "--gpus-per-trial", "2"), cwd=ROOT, capture_output=True,
                          text=True, timeout=300, env={**os.environ, "RAY_ADDRESS": ""})
    lines = done.stderr.strip().splitlines()
    assert done.returncode == 2 and "--gpus-per-trial 2: no node of this Ray cluster offers more than 1 GPU" \
        in lines[-1], done.stderr[-2000:]
    assert not any(tmp_path.iterdir())


def test_trials_run_on_the_gpu_workers_two_to_a_gpu_never_on_the_head(cluster, tmp_path):
    storage = tmp_path / "shared"
    # 2 rates x 2 repeats = 4 trials of half a GPU on 2 workers with 1 GPU each
    done = subprocess.run(study(cluster, storage, "--num-samples", "2", "--set", "epochs=3"), cwd=ROOT,
                          capture_output=True, text=True, timeout=600, env={**os.environ, "RAY_ADDRESS": ""})
    assert done.returncode == 0, done.stderr[-3000:]
    out = storage / "lr_sweep"
    trials = pd.read_parquet(out / "trials.parquet")
    history = pd.read_parquet(out / "history.parquet")
    assert len(trials) == 4 and (trials["status"] == "completed").all()
    assert sorted(trials["arm"].unique()) == ["lr=0.03", "lr=0.3"]  # every arm completed
    nodes = history.groupby("trial_id")["node_id"].unique()
    assert nodes.map(len).eq(1).all()  # each trial stayed on one node
    placement = nodes.map(lambda n: n[0])
    assert cluster.head not in set(placement) and set(placement) <= set(cluster.workers)
    # each worker ran two trials at the same time: two trials shared its one declared GPU
    assert sorted(placement.value_counts().tolist()) == [2, 2]
    for node in cluster.workers:
        spans = [span(result_rows(out / f)) for f in trials["folder"][trials["trial_id"].isin(
            placement[placement == node].index)]]
        assert max(s for s, _ in spans) < min(e for _, e in spans), spans
    # results in the shared storage path: trial folders, Parquet, table, TensorBoard events
    assert {"trials.parquet", "history.parquet", "table.md", "manifest.json"} <= {p.name for p in out.iterdir()}
    assert len(list(out.glob("*/events.out.tfevents.*"))) >= 4


def test_a_killed_worker_nodes_trials_move_to_the_other_node_and_complete(cluster, tmp_path):
    storage, epochs = tmp_path / "shared", 12
    log = open(tmp_path / "driver.log", "w")
    # all 4,000 digits (~0.5 s an epoch even on an idle machine): the trials are mid-way at the kill
    driver = subprocess.Popen(study(cluster, storage, "--set", f"epochs={epochs}", "--set", "max_train=0",
                                           "--set", "checkpoint_every=1"),  # resume from the last epoch
                              cwd=ROOT, stdout=log,
                              stderr=subprocess.STDOUT, env={**os.environ, "RAY_ADDRESS": ""},
                              start_new_session=True)
    out, start = storage / "lr_sweep", time.monotonic()
    try:
        while True:  # both trials running on worker nodes, one epoch reported each
            assert driver.poll() is None, (tmp_path / "driver.log").read_text()[-3000:]
            assert time.monotonic() - start < 300, "the trials did not start"
            rows = {f.name: result_rows(f) for f in out.glob("lr=*")} if out.exists() else {}
            if len(rows) == 2 and all(rows.values()):
                break
            time.sleep(0.2)
        victim = next(iter(rows.values()))[-1]["node_id"]
        moved = [name for name, r in rows.items() if r[-1]["node_id"] == victim]
        before = {name: len(r) for name, r in rows.items()}
        cluster.kill(victim)
        assert driver.wait(timeout=600) == 0, (tmp_path / "driver.log").read_text()[-3000:]
    finally:
        if driver.poll() is None:
            os.killpg(driver.pid, signal.SIGKILL)
        log.close()
    trials = pd.read_parquet(out / "trials.parquet")
    history = pd.read_parquet(out / "history.parquet")
    assert (trials["status"] == "completed").all() and (trials["epochs"] == epochs).all()
    assert not history.duplicated(["trial_id", "epoch"]).any()
    [survivor] = cluster.workers
    for name in moved:
        rows = result_rows(out / name)
        epochs_seen = [(r["epoch"], r["node_id"][:8], r["iterations_since_restore"]) for r in rows]
        restarts = [i for i, r in enumerate(rows) if i and r["iterations_since_restore"] == 1]
        assert restarts, f"{name} was not restarted: {epochs_seen}"
        assert {r["node_id"] for r in rows[:restarts[0]]} == {victim}, epochs_seen
        assert {r["node_id"] for r in rows[restarts[-1]:]} == {survivor}, epochs_seen
        assert rows[restarts[-1]]["epoch"] > 1, epochs_seen  # from its last checkpoint, not from scratch
        assert (out / name / "error.txt").exists()
        print(f"\n{name}: (epoch, node, reports since restore) {epochs_seen}")
    print(f"\nkilled node {victim[:8]} with {len(moved)} trial(s) on it; they finished on {survivor[:8]}")
