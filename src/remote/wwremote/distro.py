"""The host's distribution packages: which are missing (checked without running the package
manager, so a no-op stays one command)."""
import re
import shutil
import subprocess

from wwremote.errors import RemoteError


def run_quiet(argv):
    try:
        p = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        out, _err = p.communicate()
        return p.returncode, out.decode("utf-8", "replace")
    except OSError:
        return 127, ""


def missing_packages(pkgs):
    """Distro packages (apt `name`, `name=ver`, rpm `name`) that are not installed: one dpkg-query
    (or rpm -q per package), no package-manager run."""
    names = [re.split(r"[=<>]", x, 1)[0].strip() for x in pkgs if x and x.strip()]
    if not names:
        return []
    if shutil.which("dpkg-query"):
        _rc, out = run_quiet(["dpkg-query", "-W", "-f", "${Package} ${Status}\n"] + names)
        ok = set(l.split(" ", 1)[0] for l in out.splitlines() if l.endswith(" install ok installed"))
        return [n for n in names if n not in ok]
    if shutil.which("rpm"):
        return [n for n in names if run_quiet(["rpm", "-q", n])[0] != 0]
    raise RemoteError("spec", "cannot check distro packages: neither dpkg-query nor rpm found")
