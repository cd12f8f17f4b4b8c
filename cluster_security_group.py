"""Create the cluster's security group from cluster.yaml, before the first `ray up`.

    pip install 'boto3>=1.26'          # AWS credentials as for `ray up`
    python cluster_security_group.py   # prints the group's id: put it in cluster.yaml (EDIT)

Why not let `ray up` make it: Ray 2.60 gives a group it creates an SSH rule from 0.0.0.0/0
besides the rules it is given (ray/autoscaler/_private/aws/config.py,
_create_default_ssh_inbound_rules). This makes the group of `provider.security_group` with
exactly its rules (the group's own name in a rule means "members of this group") and nothing else.
"""
from __future__ import annotations

import copy
import sys
from pathlib import Path

import yaml

CLUSTER_YAML = Path(__file__).with_name("cluster.yaml")
OPEN = {"0.0.0.0/0", "::/0"}
PLACEHOLDER = "203.0.113."  # TEST-NET-3, a documentation range: cluster.yaml's SSH CIDR until edited


def ingress_rules(config: dict, group_id: str) -> list[dict]:
    """The declared rules with the group's own name replaced by its id (AWS wants ids outside
    the default VPC). Refuses a rule open to the whole internet."""
    declared = config["provider"]["security_group"]
    rules = copy.deepcopy(declared["IpPermissions"])
    for rule in rules:
        for pair in rule.get("UserIdGroupPairs", []):
            if pair.pop("GroupName", None) == declared["GroupName"]:
                pair["GroupId"] = group_id
        cidrs = {r.get("CidrIp") for r in rule.get("IpRanges", [])} | \
                {r.get("CidrIpv6") for r in rule.get("Ipv6Ranges", [])}
        if cidrs & OPEN:
            raise ValueError(f"cluster.yaml: a rule lets the whole internet in ({sorted(cidrs & OPEN)}): {rule}")
    return rules


def main(path: Path = CLUSTER_YAML) -> None:
    import boto3
    config = yaml.safe_load(path.read_text())
    cidrs = [r["CidrIp"] for rule in config["provider"]["security_group"]["IpPermissions"]
             for r in rule.get("IpRanges", [])]
    if any(c.startswith(PLACEHOLDER) for c in cidrs):
        sys.exit("cluster.yaml: put your own address in the SSH rule first (the line marked EDIT)")
    name = config["provider"]["security_group"]["GroupName"]
    ec2 = boto3.client("ec2", region_name=config["provider"]["region"])
    vpc = ec2.describe_vpcs(Filters=[{"Name": "isDefault", "Values": ["true"]}])["Vpcs"][0]["VpcId"]
    existing = ec2.describe_security_groups(Filters=[{"Name": "group-name", "Values": [name]},
                                                     {"Name": "vpc-id", "Values": [vpc]}])["SecurityGroups"]
    if existing:
        sys.exit(f"{name} already exists in {vpc} ({existing[0]['GroupId']}): check its rules "
                 f"against cluster.yaml, or delete it and run this again")
    group = ec2.create_security_group(GroupName=name, VpcId=vpc,
                                      Description="tunestudies Ray cluster: SSH from one CIDR, the rest within")
    ec2.authorize_security_group_ingress(GroupId=group["GroupId"],
                                         IpPermissions=ingress_rules(config, group["GroupId"]))
    print(group["GroupId"])


if __name__ == "__main__":
    main()
