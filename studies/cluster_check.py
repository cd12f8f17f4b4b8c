"""`tunestudies cluster-check [cluster.yaml]`: what would make `ray up` fail, bill an instance
for nothing, or open the cluster, found before anything is launched. Each problem is one line;
any problem exits 2. The firewall rules are checked here for `cluster_security_group.py` too."""
from __future__ import annotations

import ipaddress
import os
import re
import stat
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
CLUSTER_YAML = ROOT / "cluster.yaml"
IAM_POLICIES = ROOT / "cluster" / "iam"

# The shipped file's placeholders, each marked EDIT there: what the user must replace.
PLACEHOLDERS = {
    "the SSH CIDR": re.compile(r"^203\.0\.113\."),              # TEST-NET-3, a documentation range
    "the security group id": re.compile(r"^sg-0+$"),
    "the image id": re.compile(r"^ami-0+$"),
    "the instance profile's account": re.compile(r"::123456789012:"),  # AWS's documentation account
    "the EFS file system": re.compile(r"\bfs-0+\."),
}
INTERNET = (ipaddress.ip_network("0.0.0.0/0"), ipaddress.ip_network("::/0"))
PUBLIC_SHARE = 1 / 256  # a rule letting in more than this share of the internet is no allow-list


def rule_problems(rules: list[dict], group_name: str) -> list[str]:
    """Why these ingress rules are not "SSH from a few addresses, the rest from the group itself"."""
    problems, seen = [], {4: [], 6: []}
    for rule in rules:
        where = f"rule {rule.get('IpProtocol')} {rule.get('FromPort', 'all')}-{rule.get('ToPort', 'all')}"
        if rule.get("PrefixListIds"):
            problems.append(f"{where}: a prefix list ({rule['PrefixListIds'][0].get('PrefixListId')}) "
                            f"is not checkable here; name the CIDRs")
        for pair in rule.get("UserIdGroupPairs", []):
            if pair.get("GroupName") != group_name:
                problems.append(f"{where}: lets in another group ({pair}); only {group_name} itself")
        for key, field in (("IpRanges", "CidrIp"), ("Ipv6Ranges", "CidrIpv6")):
            for entry in rule.get(key, []):
                try:
                    net = ipaddress.ip_network(entry.get(field, ""), strict=False)
                except ValueError:
                    problems.append(f"{where}: {entry.get(field)!r} is not a CIDR")
                    continue
                seen[net.version].append(net)
                if net.prefixlen == 0:
                    problems.append(f"{where}: {net} lets the whole internet in")
                elif net.num_addresses / INTERNET[net.version == 6].num_addresses > PUBLIC_SHARE:
                    problems.append(f"{where}: {net} opens the port to a large part of the internet")
    for version, nets in seen.items():  # e.g. 0.0.0.0/1 + 128.0.0.0/1: the whole internet in pieces
        whole = INTERNET[version == 6]
        if nets and whole not in nets and \
                sum(n.num_addresses for n in ipaddress.collapse_addresses(nets)) >= whole.num_addresses:
            problems.append(f"the rules' CIDRs together cover the whole internet ({whole})")
    return problems


def _placeholders(config: dict) -> list[str]:
    """Each unedited placeholder, named once, with the key that holds it."""
    found: dict[str, str] = {}

    def walk(node, path):
        if isinstance(node, dict):
            for k, v in node.items():
                walk(v, f"{path}.{k}" if path else str(k))
        elif isinstance(node, list):
            for i, v in enumerate(node):
                walk(v, f"{path}[{i}]")
        elif isinstance(node, str):
            for what, pattern in PLACEHOLDERS.items():
                if pattern.search(node) and what not in found:
                    found[what] = path
    walk(config, "")
    return [f"{what} is still the shipped placeholder (at {path}; the line marked EDIT)"
            for what, path in found.items()]


def problems(path: Path, token: Path | None = None) -> list[str]:
    try:
        config = yaml.safe_load(Path(path).read_text())
    except (OSError, yaml.YAMLError) as err:
        return [f"{path}: cannot be read as YAML ({str(err).splitlines()[0]})"]
    if not isinstance(config, dict) or "provider" not in config:
        return [f"{path}: not a Ray cluster file (no provider)"]
    out = _placeholders(config)
    group = config["provider"].get("security_group") or {}
    out += rule_problems(group.get("IpPermissions", []), group.get("GroupName", ""))
    types = config.get("available_node_types", {})
    for name, t in types.items():
        nc = t.get("node_config", {})
        if not nc.get("ImageId"):
            out.append(f"node type {name}: no ImageId (Ray would pick its own default image, where the "
                       f"setup cannot install Python 3.11)")
        if not nc.get("SecurityGroupIds"):
            out.append(f"node type {name}: no SecurityGroupIds (Ray would make a group open to SSH from anywhere)")
        if not (nc.get("IamInstanceProfile") or {}).get("Arn"):
            out.append(f"node type {name}: no IamInstanceProfile (Ray would give the head EC2 and S3 full "
                       f"access); see cluster/iam/")
    token = Path(token or Path.home() / ".ray" / "auth_token")
    if not token.exists():
        out.append(f"{token}: no Ray token (make one: ray get-auth-token --generate; chmod 600 {token})")
    elif stat.S_IMODE(token.stat().st_mode) & 0o077:
        out.append(f"{token}: readable by others (mode {stat.S_IMODE(token.stat().st_mode):o}); chmod 600 {token}")
    for remote, local in (config.get("file_mounts") or {}).items():
        source = Path(os.path.expanduser(local))
        if not source.is_absolute():
            out.append(f"file_mounts {remote}: {local} depends on the folder ray up runs in; use an absolute path")
        elif remote.rstrip("/").endswith("tunestudies") and not (source / "pyproject.toml").exists():
            out.append(f"file_mounts {remote}: {local} holds no project (make cluster-src makes it)")
    return out


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] in ("-h", "--help"):
        print("usage: tunestudies cluster-check [CLUSTER_YAML] [--token FILE]\n\n" + __doc__.split("\n\n")[0])
        return 0
    token = None
    if "--token" in argv:
        at = argv.index("--token")
        token, argv = Path(argv[at + 1]) if at + 1 < len(argv) else None, argv[:at] + argv[at + 2:]
    path = Path(argv[0]) if argv else CLUSTER_YAML
    found = problems(path, token)
    for line in found:
        print(f"cluster-check: {line}", file=sys.stderr)
    if not found:
        print(f"cluster-check: {path} ok")
    return 2 if found else 0


if __name__ == "__main__":
    sys.exit(main())
