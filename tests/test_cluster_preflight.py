"""Before `ray up` launches (and bills) anything: `tunestudies cluster-check` on the shipped and on
an edited cluster.yaml, the firewall rules the security-group script refuses before it creates a
group, and the least-privilege instance profiles the YAML names (cluster/iam/)."""
from __future__ import annotations

import copy
import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from botocore.stub import Stubber

from studies.cluster_check import main as cluster_check
from studies.cluster_check import problems, rule_problems
from tests.conftest import ROOT

CLUSTER_YAML = ROOT / "cluster.yaml"
IAM = ROOT / "cluster" / "iam"


@pytest.fixture
def token(tmp_path) -> Path:
    path = tmp_path / "auth_token"
    path.write_text("a-token")
    path.chmod(0o600)
    return path


def edited(tmp_path: Path) -> dict:
    """cluster.yaml as a user edits it: every EDIT line filled in, the mount's source made."""
    text = CLUSTER_YAML.read_text()
    for old, new in (("203.0.113.0/32", "198.51.7.9/32"), ("sg-00000000000000000", "sg-0a1b2c3d4e5f60718"),
                     ("ami-00000000000000000", "ami-0f1e2d3c4b5a69788"), ("123456789012", "210987654321"),
                     ("fs-00000000.", "fs-0abc1234.")):
        assert old in text, old
        text = text.replace(old, new)
    config = yaml.safe_load(text)
    source = tmp_path / "cluster-src"
    source.mkdir()
    (source / "pyproject.toml").write_text((ROOT / "pyproject.toml").read_text())
    config["file_mounts"]["~/tunestudies"] = str(source)
    return config


def write(tmp_path: Path, config: dict) -> Path:
    path = tmp_path / "cluster.yaml"
    path.write_text(yaml.safe_dump(config))
    return path


def test_the_shipped_file_names_each_unedited_placeholder_in_one_line(token, capsys):
    assert cluster_check([str(CLUSTER_YAML), "--token", str(token)]) == 2
    err = capsys.readouterr().err.splitlines()
    named = {what for what in ("the SSH CIDR", "the security group id", "the image id",
                               "the instance profile's account", "the EFS file system")
             if any(what in line for line in err)}
    assert len(named) == 5, err
    assert all(line.startswith("cluster-check: ") for line in err)


def test_an_edited_file_passes_and_rays_schema_still_validates_it(tmp_path, token, capsys):
    from tests.test_cluster import prepared
    config = edited(tmp_path)
    assert problems(write(tmp_path, config), token) == []
    assert cluster_check([str(write(tmp_path, config)), "--token", str(token)]) == 0
    assert capsys.readouterr().out.strip().endswith("ok")
    prepared(config)  # Ray's own schema and defaults, with ImageId and IamInstanceProfile added
    shipped = prepared(yaml.safe_load(CLUSTER_YAML.read_text()))
    for node_type in shipped["available_node_types"].values():
        assert node_type["node_config"]["ImageId"] and node_type["node_config"]["IamInstanceProfile"]["Arn"]


MISTAKES = {
    "no token": lambda c, t: t.unlink(),
    "a token others can read": lambda c, t: t.chmod(0o644),
    "no image": lambda c, t: c["available_node_types"]["gpu"]["node_config"].pop("ImageId"),
    "no instance profile": lambda c, t: c["available_node_types"]["head"]["node_config"].pop("IamInstanceProfile"),
    "a relative mount source": lambda c, t: c["file_mounts"].update({"~/tunestudies": "."}),
    "the internet in two halves": lambda c, t: c["provider"]["security_group"]["IpPermissions"][0].update(
        IpRanges=[{"CidrIp": "0.0.0.0/1"}, {"CidrIp": "128.0.0.0/1"}]),
    "a /8": lambda c, t: c["provider"]["security_group"]["IpPermissions"][0].update(IpRanges=[{"CidrIp": "10.0.0.0/7"}]),
    "a prefix list": lambda c, t: c["provider"]["security_group"]["IpPermissions"][0].update(
        PrefixListIds=[{"PrefixListId": "pl-0123"}]),
    "IPv6 open": lambda c, t: c["provider"]["security_group"]["IpPermissions"][0].update(
        Ipv6Ranges=[{"CidrIpv6": "::/0"}]),
    "another group": lambda c, t: c["provider"]["security_group"]["IpPermissions"][1].update(
        UserIdGroupPairs=[{"GroupName": "default"}]),
}


@pytest.mark.parametrize("mistake", MISTAKES)
def test_each_mistake_is_one_line_and_exit_2(mistake, tmp_path, token, capsys):
    config = edited(tmp_path)
    MISTAKES[mistake](config, token)
    assert cluster_check([str(write(tmp_path, config)), "--token", str(token)]) == 2
    err = capsys.readouterr().err.strip().splitlines()  # one line per problem, nothing else
    assert err and all(line.startswith("cluster-check: ") for line in err), err
    assert len(err) == (3 if mistake == "the internet in two halves" else 1), err  # each half, and both


def test_tunestudies_cluster_check_runs_as_a_command():
    done = subprocess.run([sys.executable, "-m", "studies.cli", "cluster-check", str(CLUSTER_YAML)],
                          cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert "the image id is still the shipped placeholder" in done.stderr


# ---------------------------------------------------------------- the security-group script

def _stubbed_ec2(responses=()):
    import boto3
    ec2 = boto3.client("ec2", region_name="us-west-2", aws_access_key_id="x", aws_secret_access_key="x")
    stub = Stubber(ec2)
    for method, response in responses:
        stub.add_response(method, response)
    stub.activate()
    return ec2, stub


def test_the_security_group_script_refuses_bad_rules_before_it_creates_anything(tmp_path):
    from cluster_security_group import main as make_group
    config = edited(tmp_path)
    config["provider"]["security_group"]["IpPermissions"][0]["IpRanges"] = [{"CidrIp": "0.0.0.0/1"},
                                                                           {"CidrIp": "128.0.0.0/1"}]
    ec2, stub = _stubbed_ec2()  # no response queued: any AWS call would fail the test
    with pytest.raises(SystemExit, match="whole internet"):
        make_group(write(tmp_path, config), ec2)
    stub.assert_no_pending_responses()


def test_no_default_vpc_is_one_line(tmp_path):
    from cluster_security_group import main as make_group
    ec2, stub = _stubbed_ec2([("describe_vpcs", {"Vpcs": []})])
    with pytest.raises(SystemExit) as exit_:
        make_group(write(tmp_path, edited(tmp_path)), ec2)
    assert "no default VPC" in str(exit_.value) and "\n" not in str(exit_.value)
    stub.assert_no_pending_responses()


def test_rule_problems_accepts_ssh_from_one_address_and_the_group_itself():
    rules = copy.deepcopy(yaml.safe_load(CLUSTER_YAML.read_text())["provider"]["security_group"]["IpPermissions"])
    assert rule_problems(rules, "tunestudies-nodes") == []


# ---------------------------------------------------------------- least privilege

def _statements(name: str) -> list[dict]:
    return json.loads((IAM / name).read_text())["Statement"]


def _actions(statement: dict) -> list[str]:
    return [statement["Action"]] if isinstance(statement["Action"], str) else statement["Action"]


def test_the_instance_profiles_grant_only_what_the_cluster_uses():
    config = yaml.safe_load(CLUSTER_YAML.read_text())
    profiles = {name: t["node_config"]["IamInstanceProfile"]["Arn"].rsplit("/", 1)[1]
                for name, t in config["available_node_types"].items()}
    assert profiles == {"head": "tunestudies-head", "gpu": "tunestudies-worker"}
    for policy in ("head-policy.json", "worker-policy.json"):
        for st in _statements(policy):
            assert st["Effect"] == "Allow"
            assert not [a for a in _actions(st) if a == "*" or a.endswith(":*")], st  # no wildcard action
            if any(a.startswith("s3:") for a in _actions(st)):  # the results bucket only
                resources = [st["Resource"]] if isinstance(st["Resource"], str) else st["Resource"]
                assert all(r.startswith("arn:aws:s3:::tunestudies-results") for r in resources), st
    head = _statements("head-policy.json")
    # instances are launched, retagged and terminated only with this cluster's tag
    for action in ("ec2:TerminateInstances",):
        [st] = [s for s in head if action in _actions(s)]
        assert st["Condition"]["StringEquals"]["ec2:ResourceTag/ray-cluster-name"] == config["cluster_name"]
    launch = [s for s in head if "ec2:RunInstances" in _actions(s) and "instance/" in str(s["Resource"])]
    assert [s["Condition"]["StringEquals"]["aws:RequestTag/ray-cluster-name"] for s in launch] == [config["cluster_name"]]
    [pass_role] = [s for s in head if "iam:PassRole" in _actions(s)]
    assert pass_role["Resource"].endswith(":role/tunestudies-worker")
    worker_actions = {a for s in _statements("worker-policy.json") for a in _actions(s)}
    assert not {a for a in worker_actions if a.startswith(("ec2:", "iam:"))}
