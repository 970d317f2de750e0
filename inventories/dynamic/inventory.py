#!/usr/bin/env python3
"""A dynamic inventory script, as Ansible runs one: `--list` prints every group (hosts, children,
vars) with all host variables under _meta.hostvars; `--host NAME` prints one host's variables.
The fleet comes from the JSON file in WHEELWRIGHT_FLEET (if set), else the small table below, so
a CMDB export can be dropped in without touching the script."""
import json
import os
import sys

FLEET = {
    "repo_all": {"repo1": {"ansible_host": "10.0.0.10"}},
    "compute": {f"compute{i:02d}": {"ansible_host": f"10.0.1.{i}", "rack": f"r{(i - 1) // 4 + 1}"} for i in range(1, 9)},
}


def inventory(fleet):
    groups = {name: {"hosts": sorted(hosts)} for name, hosts in fleet.items()}
    groups["openstack"] = {"children": sorted(fleet), "vars": {"openstack_release": "2025.1"}}
    hostvars = {h: v for hosts in fleet.values() for h, v in hosts.items()}
    groups["_meta"] = {"hostvars": hostvars}
    return groups


def main(argv):
    fleet = FLEET
    if os.environ.get("WHEELWRIGHT_FLEET"):
        with open(os.environ["WHEELWRIGHT_FLEET"]) as f:
            fleet = json.load(f)
    inv = inventory(fleet)
    if len(argv) == 2 and argv[1] == "--list":
        json.dump(inv, sys.stdout, indent=2, sort_keys=True)
    elif len(argv) == 3 and argv[1] == "--host":
        json.dump(inv["_meta"]["hostvars"].get(argv[2], {}), sys.stdout)
    else:
        sys.stderr.write("usage: inventory.py --list | --host NAME\n")
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
