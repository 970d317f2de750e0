"""The host's distribution packages: which are missing (checked without running the package
manager, so a no-op stays one command).

On dpkg hosts the answers are remembered in a small state file, keyed by dpkg's own database
stamp (the status file's inode, size and mtime, and the mtime of its journal directory
`updates/`): every install, upgrade or removal through dpkg/apt rewrites the status file (or adds
a journal entry), so an unchanged stamp means the answers still hold and a no-op runs no dpkg at
all; any package change re-runs the queries. rpm hosts always ask rpm."""
import os

from wwremote import jsonfast
from wwremote.errors import RemoteError
from wwremote.fsutil import which

DPKG_ADMIN = "/var/lib/dpkg"
STATE_FILE = "/var/cache/wheelwright/distro-state.json"
STATE_VERSION = 1


def run_quiet(argv):
    import subprocess  # here: a no-op with remembered answers runs nothing

    try:
        p = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        out, _err = p.communicate()
        return p.returncode, out.decode("utf-8", "replace")
    except OSError:
        return 127, ""


def dpkg_stamp():
    """dpkg's database as of now (None without dpkg): any package change alters it."""
    try:
        st = os.stat(os.path.join(DPKG_ADMIN, "status"))
        up = os.stat(os.path.join(DPKG_ADMIN, "updates"))
    except OSError:
        return None
    return [st.st_ino, st.st_size, st.st_mtime_ns, up.st_mtime_ns]


class Remembered(object):
    """Query answers valid for one dpkg database stamp. The stamp is read before any query, so a
    package change during the run can only file an answer under an older stamp, which makes the
    next run ask again, never trust a stale answer."""

    def __init__(self, path=None):
        self.path = path or STATE_FILE
        self.stamp = dpkg_stamp() if which("dpkg-query") else None
        self.known = {}
        self.dirty = False
        if self.stamp is None:
            return
        try:
            st = os.lstat(self.path)
            # only a regular file of ours (root's or the running user's) is trusted
            if not os.path.islink(self.path) and st.st_uid in (0, os.getuid()) and not st.st_mode & 0o022:
                with open(self.path) as f:
                    data = jsonfast.loads(f.read())
                if data.get("version") == STATE_VERSION and data.get("stamp") == self.stamp:
                    self.known = data.get("known") or {}
        except (OSError, ValueError, AttributeError):
            pass

    def get(self, key):
        return self.known.get(key) if self.stamp is not None else None

    def put(self, key, value):
        if self.stamp is not None:
            self.known[key] = value
            self.dirty = True

    def save(self):
        """Best effort: without a writable state directory the next run simply asks dpkg again."""
        if not self.dirty:
            return
        from wwremote.fsutil import write_atomic
        try:
            d = os.path.dirname(self.path)
            if not os.path.isdir(d):
                os.makedirs(d, 0o755)
            write_atomic(self.path, jsonfast.dumps({"version": STATE_VERSION, "stamp": self.stamp, "known": self.known}, sort_keys=True))
            self.dirty = False
        except OSError:
            pass


def package_names(pkgs):
    """The names of `name`, `name=ver`, `name>=ver`... (re.split(r"[=<>]", x, 1)[0].strip(), without re)."""
    out = []
    for x in pkgs:
        if x and x.strip():
            cut = min([i for i in (x.find("="), x.find("<"), x.find(">")) if i >= 0] or [len(x)])
            out.append(x[:cut].strip())
    return out


def missing_packages(pkgs, remembered=None):
    """Distro packages (apt `name`, `name=ver`, rpm `name`) that are not installed: one dpkg-query
    (or rpm -q per package), no package-manager run; none at all when `remembered` knows that all
    of them were installed at the current dpkg stamp."""
    names = package_names(pkgs)
    if not names:
        return []
    key = "installed:" + "\0".join(sorted(set(names)))
    if remembered is not None and remembered.get(key) is True:
        return []
    if which("dpkg-query"):
        _rc, out = run_quiet(["dpkg-query", "-W", "-f", "${Package} ${Status}\n"] + names)
        ok = set(l.split(" ", 1)[0] for l in out.splitlines() if l.endswith(" install ok installed"))
        missing = [n for n in names if n not in ok]
        if not missing and remembered is not None:
            remembered.put(key, True)
        return missing
    if which("rpm"):
        return [n for n in names if run_quiet(["rpm", "-q", n])[0] != 0]
    raise RemoteError("spec", "cannot check distro packages: neither dpkg-query nor rpm found")
