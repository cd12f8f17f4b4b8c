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

from studies.cluster_check import PLACEHOLDERS, rule_problems

CLUSTER_YAML = Path(__file__).with_name("cluster.yaml")


def ingress_rules(config: dict, group_id: str) -> list[dict]:
    """The declared rules with the group's own name replaced by its id (AWS wants ids outside
    the default VPC). Refuses, before anything is made, any rule that is not "SSH from a few
    addresses, the rest from the group itself" (studies/cluster_check.py: the whole internet,
    also in pieces such as 0.0.0.0/1 + 128.0.0.0/1, a large range, a prefix list, another group)."""
    declared = config["provider"]["security_group"]
    wrong = rule_problems(declared["IpPermissions"], declared["GroupName"])
    if wrong:
        raise ValueError("cluster.yaml: " + "; ".join(wrong))
    rules = copy.deepcopy(declared["IpPermissions"])
    for rule in rules:
        for pair in rule.get("UserIdGroupPairs", []):
            if pair.pop("GroupName", None) == declared["GroupName"]:
                pair["GroupId"] = group_id
    return rules


def main(path: Path = CLUSTER_YAML, ec2=None) -> None:
    config = yaml.safe_load(path.read_text())
    cidrs = [r["CidrIp"] for rule in config["provider"]["security_group"]["IpPermissions"]
             for r in rule.get("IpRanges", [])]
    if any(PLACEHOLDERS["the SSH CIDR"].match(c) for c in cidrs):
        sys.exit("cluster.yaml: put your own address in the SSH rule first (the line marked EDIT)")
    try:
        ingress_rules(config, "sg-unmade")  # every rule checked before the group exists
    except ValueError as err:
        sys.exit(str(err))
    name = config["provider"]["security_group"]["GroupName"]
    region = config["provider"]["region"]
    if ec2 is None:
        import boto3
        ec2 = boto3.client("ec2", region_name=region)
    vpcs = ec2.describe_vpcs(Filters=[{"Name": "isDefault", "Values": ["true"]}])["Vpcs"]
    if not vpcs:
        sys.exit(f"{region} has no default VPC: create one (aws ec2 create-default-vpc --region {region}) "
                 f"or make the group in your VPC by hand with cluster.yaml's rules")
    vpc = vpcs[0]["VpcId"]
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
