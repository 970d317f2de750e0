# -*- coding: utf-8 -*-
"""wheelwright: make a venv hold exactly the packages a spec asks for.

Runs on the host that owns the venv (the controller for `wheelwright venv ...`, a target over SSH
for the python_venv_build role), in ONE round trip: `<python> -` with this text on stdin. The
TypeScript side (src/venv/ensure.ts) embeds the JSON spec below as base64; for debugging the spec
can also be given as a file: `python3 ensure_venv.py spec.json`.

Stdlib only, Python >= 3.6. Prints exactly one result line `WW-RESULT <json>` on stdout; progress
goes to stderr, pip's output to the log file. Exit status 0 on success, 1 on failure (the result
line then has ok=false, kind, error, log, logTail).

Actions: ensure (default), gc, rollback, role_target. (Wheels are built by src/wheels/build_wheels.py.) See docs/local-venvs.md for the spec.
"""
import base64
import configparser
import errno
import fcntl
import hashlib
import json
import os
import platform
import re
import shutil
import socket
import subprocess
import sys
import time

try:
    import wwremote  # noqa: F401  (defined in front of this script by src/remote/assemble.ts)
except ImportError:  # run from a checkout: python3 src/venv/ensure_venv.py spec.json
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "remote"))
from wwremote import distro as ww_distro  # noqa: E402
from wwremote import fetch as ww_fetch  # noqa: E402
from wwremote import installer as ww_installer  # noqa: E402
from wwremote.fsutil import sha256_file  # noqa: E402
from wwremote.wheelfile import find_pip_wheel as ww_find_pip_wheel, parse_wheel_name, pep503  # noqa: E402

SPEC_B64 = None  # @@WW_SPEC@@ (replaced by the TypeScript side)

RESULT_PREFIX = "WW-RESULT "
MARKER = ".wheelwright-marker.json"
ACTIVATED = ".wheelwright-activated"
OWNED = ".wheelwright-owned"  # written into a venv dir before anything else: a leftover is provably ours
MARKER_VERSION = 1
LOG_ROTATE_BYTES = 2 * 1024 * 1024
SYSTEM_WHEELS = "/usr/share/python-wheels"


class Failure(Exception):
    def __init__(self, kind, message, log=None, log_start=0, requirement=None, extra=None):
        Exception.__init__(self, message)
        self.kind = kind
        self.message = message
        self.log = log
        self.log_start = log_start
        self.requirement = requirement
        self.extra = extra or {}


def say(msg):
    sys.stderr.write("wheelwright: %s\n" % msg)
    sys.stderr.flush()


# ---------------------------------------------------------------- small file helpers

def write_atomic(path, data, mode=None):
    d = os.path.dirname(path) or "."
    tmp = os.path.join(d, ".%s.ww-tmp-%d" % (os.path.basename(path), os.getpid()))
    if isinstance(data, str):
        data = data.encode("utf-8")
    with open(tmp, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    if mode is not None:
        os.chmod(tmp, mode)
    os.replace(tmp, path)


def read_json(path):
    try:
        with open(path, "r") as f:
            return json.load(f)
    except (IOError, OSError, ValueError):
        return None


def rm_rf(path):
    if os.path.islink(path) or os.path.isfile(path):
        os.unlink(path)
    elif os.path.isdir(path):
        shutil.rmtree(path)


def clean_lines(lines):
    """Trim, drop empty entries and duplicates (first occurrence wins), keep order."""
    seen = set()
    out = []
    for line in lines or []:
        s = str(line).strip()
        if not s or s in seen:
            continue
        seen.add(s)
        out.append(s)
    return out


def lines_file(header, entries):
    """One header comment line, then one entry per line, newline-terminated."""
    body = "# " + header.replace("\n", " ") + "\n"
    for e in clean_lines(entries):
        body += e + "\n"
    return body


def touch(path):
    try:
        with open(path, "a"):
            pass
        os.utime(path, None)
    except OSError:
        pass


# ---------------------------------------------------------------- ownership before deletion
# wheelwright removes or replaces only what it can prove it created: a directory with its marker or
# ownership file, a generations symlink, a name of its own (generation/cache/temp names). Anything
# else that exists at a target is refused unless the caller forces it, and nothing forces `/`, the
# home directory, a mount point or a directory holding one.

def mount_points():
    """Mount points of this host (/proc/self/mountinfo: bind mounts too), else an empty set."""
    out = set()
    try:
        with open("/proc/self/mountinfo") as f:
            for line in f:
                fields = line.split(" ")
                if len(fields) > 4:
                    out.add(re.sub(r"\\([0-7]{3})", lambda m: chr(int(m.group(1), 8)), fields[4]))
    except (IOError, OSError):
        pass
    return out


def home_dirs():
    homes = set()
    for h in (os.environ.get("HOME"), os.path.expanduser("~")):
        if h and h.startswith("/"):
            homes.add(os.path.realpath(h))
    try:
        import pwd
        homes.add(os.path.realpath(pwd.getpwuid(os.getuid()).pw_dir))
    except (ImportError, KeyError):
        pass
    homes.discard("/")  # "/" is refused on its own; a home of "/" must not make everything an ancestor
    return homes


def is_wheelwright_owned(path):
    """A venv dir with our marker or ownership file, or a generations symlink of ours."""
    if os.path.islink(path):
        link = os.readlink(path).rstrip("/")
        return os.path.dirname(link) == os.path.basename(path.rstrip("/")) + ".generations"
    return os.path.isdir(path) and (os.path.exists(os.path.join(path, MARKER)) or os.path.exists(os.path.join(path, OWNED)))


def describe_existing(path):
    """What is at `path`, in words, for a refusal message."""
    if os.path.islink(path):
        return "a symlink to %s" % os.readlink(path)
    if os.path.isdir(path):
        try:
            names = sorted(os.listdir(path))
        except OSError as e:
            return "a directory that cannot be listed (%s)" % e.strerror
        shown = ", ".join(names[:5]) + (", ..." if len(names) > 5 else "")
        kind = "a virtualenv not made by wheelwright" if "pyvenv.cfg" in names else "a directory"
        return "%s with %d entr%s (%s) and no wheelwright marker" % (kind, len(names), "y" if len(names) == 1 else "ies", shown)
    if os.path.isfile(path):
        return "a regular file (%d bytes)" % os.path.getsize(path)
    return "a special file (neither file nor directory)"


def check_replaceable(path, force=False):
    """Ownership before deletion: raise Failure("refused") unless wheelwright may remove or replace
    what is at `path`. Nothing there, or ours: fine. An empty directory (not the current one): fine,
    it is used as it is. Anything else needs `force`; `/`, a home directory, a directory above one,
    a mount point or a directory holding one are refused even then."""
    if not os.path.lexists(path):
        return
    where = "%s on host %s" % (path, socket.gethostname())
    real = os.path.realpath(path) if not os.path.islink(path) else os.path.join(os.path.realpath(os.path.dirname(path)), os.path.basename(path))
    never = None
    if not os.path.islink(path):
        mounts = mount_points()
        homes = home_dirs()
        if real == "/":
            never = "the root directory"
        elif real in homes:
            never = "a home directory"
        elif any(h.startswith(real + "/") for h in homes):
            never = "a directory above a home directory"
        elif real in mounts or os.path.ismount(real):
            never = "a mount point"
        else:
            inner = sorted(m for m in mounts if m.startswith(real + "/"))
            if inner:
                never = "a directory holding the mount point %s" % inner[0]
    if never:
        raise Failure("refused", "refusing to remove or replace %s: it is %s; wheelwright never replaces that, even with --force"
                      % (where, never))
    if is_wheelwright_owned(path):
        return
    try:
        cwd = os.path.realpath(os.getcwd())
    except OSError:
        cwd = None
    at_cwd = ""
    if cwd == real:
        at_cwd = "the current directory, "
    elif cwd and cwd.startswith(real + "/"):
        at_cwd = "a directory above the current directory, "
    if not at_cwd and os.path.isdir(path) and not os.path.islink(path) and not os.listdir(path):
        return
    if force:
        say("%s: not created by wheelwright (%s%s): replacing it as forced" % (path, at_cwd, describe_existing(path)))
        return
    raise Failure("refused", "refusing to remove or replace %s: it is %s%s, not created by wheelwright; "
                  "move it away or choose another path (`wheelwright venv create --force` replaces it)"
                  % (where, at_cwd, describe_existing(path)))


# ---------------------------------------------------------------- locking

class Lock(object):
    """Exclusive flock on `path`, polled until `timeout`. The file records the holder so a waiter
    that times out can name it. A holder that dies releases the lock (the kernel closes its fd).
    A lock file removed by gc while we waited is detected (inode changed) and re-opened."""

    def __init__(self, path, timeout, shared=False, purpose="ensure"):
        self.path = path
        self.timeout = timeout
        self.shared = shared
        self.purpose = purpose
        self.fd = None

    def _try(self, blocking_deadline):
        waited = False
        while True:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
            op = (fcntl.LOCK_SH if self.shared else fcntl.LOCK_EX) | fcntl.LOCK_NB
            while True:
                try:
                    fcntl.flock(fd, op)
                    break
                except (IOError, OSError) as e:
                    if e.errno not in (errno.EAGAIN, errno.EACCES, errno.EWOULDBLOCK):
                        os.close(fd)
                        raise
                    if blocking_deadline is None or time.time() >= blocking_deadline:
                        os.close(fd)
                        return False
                    if not waited:
                        say("waiting for lock %s (%s)" % (self.path, self.holder() or "holder unknown"))
                        waited = True
                    time.sleep(0.1)
            try:
                same = os.fstat(fd).st_ino == os.stat(self.path).st_ino
            except OSError:
                same = False
            if same:
                self.fd = fd
                return True
            os.close(fd)  # removed (by gc) while we waited: lock the new file instead

    def acquire(self):
        deadline = time.time() + max(0, self.timeout)
        if not self._try(deadline):
            raise Failure(
                "lock-timeout",
                "timed out after %ss waiting for lock %s held by %s" % (self.timeout, self.path, self.holder() or "an unknown process"),
            )
        if not self.shared:
            info = "pid=%d host=%s since=%s purpose=%s\n" % (
                os.getpid(), socket.gethostname(), time.strftime("%Y-%m-%dT%H:%M:%S%z"), self.purpose)
            try:
                os.ftruncate(self.fd, 0)
                os.lseek(self.fd, 0, 0)
                os.write(self.fd, info.encode("utf-8"))
            except OSError:
                pass
        return self

    def try_acquire(self):
        return self._try(None)

    def holder(self):
        try:
            with open(self.path, "r") as f:
                return f.read().strip()
        except (IOError, OSError):
            return ""

    def release(self, unlink=False):
        if self.fd is None:
            return
        if unlink:
            try:
                os.unlink(self.path)
            except OSError:
                pass
        try:
            fcntl.flock(self.fd, fcntl.LOCK_UN)
        finally:
            os.close(self.fd)
            self.fd = None


# ---------------------------------------------------------------- interpreter and hashing

def interpreter_info():
    impl = getattr(sys, "implementation", None)
    name = impl.name if impl else "cpython"
    exe = sys.executable
    base = getattr(sys, "_base_executable", None) or exe
    return {
        "implementation": name,
        "version": "%d.%d.%d" % sys.version_info[:3],
        "pyver": "%d.%d" % sys.version_info[:2],
        "executable": exe,
        "realpath": os.path.realpath(base),
    }


def effective_hash(spec_hash, py):
    """The spec hash (computed by the TypeScript side) plus the interpreter identity: a venv is
    only valid for the interpreter (implementation, major.minor, real path) that created it."""
    h = hashlib.sha256()
    h.update(("%s\n%s\n%s\n%s\n" % (spec_hash, py["implementation"], py["pyver"], py["realpath"])).encode("utf-8"))
    return h.hexdigest()


def expand_path(path, py, hsh):
    path = path.replace("{pyver}", py["pyver"]).replace("{hash}", hsh[:16])
    return os.path.abspath(os.path.expanduser(path))


# ---------------------------------------------------------------- venv internals

def venv_python(venv):
    return os.path.join(venv, "bin", "python")


def site_packages(venv):
    lib = os.path.join(venv, "lib")
    cand = os.path.join(lib, "python%d.%d" % sys.version_info[:2], "site-packages")
    if os.path.isdir(cand):
        return cand
    try:
        for d in sorted(os.listdir(lib)):
            p = os.path.join(lib, d, "site-packages")
            if os.path.isdir(p):
                return p
    except OSError:
        pass
    return cand


def read_metadata(path):
    name = version = None
    try:
        with open(path, "r", encoding="utf-8", errors="replace") as f:
            for line in f:
                if not line.strip():
                    break
                if line.startswith("Name:") and name is None:
                    name = line[5:].strip()
                elif line.startswith("Version:") and version is None:
                    version = line[8:].strip()
    except (IOError, OSError):
        pass
    return name, version


def installed_packages(venv):
    """name -> version from the venv's *.dist-info / *.egg-info, read directly (no subprocess)."""
    sp = site_packages(venv)
    out = {}
    try:
        entries = sorted(os.listdir(sp))
    except OSError:
        return out
    for e in entries:
        p = os.path.join(sp, e)
        if e.endswith(".dist-info"):
            name, ver = read_metadata(os.path.join(p, "METADATA"))
        elif e.endswith(".egg-info"):
            name, ver = read_metadata(os.path.join(p, "PKG-INFO") if os.path.isdir(p) else p)
        else:
            continue
        if name and ver:
            out[name] = ver
    return out


def version_tuple(v):
    parts = []
    for p in re.split(r"[.+-]", v):
        if p.isdigit():
            parts.append(int(p))
        else:
            break
    return tuple(parts)


def bootstrap_pip(venv, find_links, log):
    """Put pip into a fresh `--without-pip` venv without network: install the newest compatible
    local pip wheel with the wheel installer (RECORD and scripts as pip writes them, so `pip
    uninstall pip` works too). Falls back to ensurepip."""
    dirs = [d for d in find_links if d and "://" not in d and os.path.isdir(d)] + [SYSTEM_WHEELS]
    wheel = ww_find_pip_wheel(dirs)
    if wheel and os.path.isdir(site_packages(venv)):
        log.write("bootstrap: installing %s\n" % wheel)
        ww_installer.install_wheels(venv, [{"path": wheel, "sha256": sha256_file(wheel)}], log=log)
        return "wheel:" + os.path.basename(wheel)
    log.write("bootstrap: ensurepip\n")
    rc = run_logged([venv_python(venv), "-m", "ensurepip", "--default-pip"], log, {})
    if rc != 0:
        raise Failure("venv", "could not bootstrap pip into %s (no local pip wheel and ensurepip failed)" % venv)
    return "ensurepip"


def pip_version(venv):
    sp = site_packages(venv)
    try:
        for e in os.listdir(sp):
            m = re.match(r"^pip-([0-9][^-]*)\.dist-info$", e)
            if m:
                return version_tuple(m.group(1))
    except OSError:
        pass
    return ()


# ---------------------------------------------------------------- logging and subprocesses

class Log(object):
    """Append-only build log next to the venv; each build starts a section. The tail of the current
    section goes into the error on failure."""

    def __init__(self, path):
        self.path = path
        d = os.path.dirname(path)
        if d and not os.path.isdir(d):
            os.makedirs(d)
        try:
            if os.path.getsize(path) > LOG_ROTATE_BYTES:
                os.replace(path, path + ".1")
        except OSError:
            pass
        self.f = open(path, "a")
        self.f.seek(0, 2)
        self.start = self.f.tell()

    def write(self, s):
        self.f.write(s)
        self.f.flush()

    def close(self):
        try:
            self.f.close()
        except Exception:
            pass


ISOLATED = [False]  # set from spec.isolated by main(): ignore the host's pip config and PIP_* variables


def redact(s):
    """Hide passwords in URLs (index URLs with credentials) before they reach the log."""
    return re.sub(r"(://[^/:@\s]+:)[^@\s/]+@", r"\1****@", s)


def run_logged(argv, log, env, cwd=None):
    log.write("$ %s\n" % redact(" ".join(argv)))
    full = dict(os.environ)
    if ISOLATED[0]:
        for k in list(full):
            if k.startswith("PIP_"):
                del full[k]
        full["PIP_CONFIG_FILE"] = os.devnull
    full.update(env or {})
    full["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    full["PIP_NO_INPUT"] = "1"
    full.pop("PYTHONHOME", None)
    full.pop("PIP_REQUIRE_VIRTUALENV", None)
    p = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=log.f, stderr=subprocess.STDOUT, env=full, cwd=cwd)
    rc = p.wait()
    log.write("[exit %d]\n" % rc)
    return rc


def log_tail(path, start, lines=40):
    try:
        with open(path, "rb") as f:
            f.seek(start)
            text = f.read().decode("utf-8", "replace")
    except (IOError, OSError):
        return ""
    return "\n".join(text.rstrip("\n").split("\n")[-lines:])


def log_section(path, start):
    try:
        with open(path, "rb") as f:
            f.seek(start)
            return f.read().decode("utf-8", "replace")
    except (IOError, OSError):
        return ""


def missing_requirement(text):
    m = re.findall(r"No matching distribution found for ([^\n]+)", text)
    if m:
        return m[-1].strip()
    m = re.findall(r"Could not find a version that satisfies the requirement (\S+)", text)
    return m[-1].strip() if m else None


def pip_failure(what, log, venv_desc, spec):
    text = log_section(log.path, log.start)
    req = missing_requirement(text)
    if req:
        where = ", ".join(spec.get("findLinks") or []) or "(no find-links)"
        idx = "no index" if spec.get("noIndex") else (spec.get("indexUrl") or "default index")
        msg = "%s: no distribution found for requirement '%s' (find-links: %s; %s)" % (venv_desc, req, where, idx)
        return Failure("missing", msg, log.path, log.start, requirement=req)
    return Failure("pip", "%s: %s failed" % (venv_desc, what), log.path, log.start)


# ---------------------------------------------------------------- pip invocations

def pip_common(spec):
    args = []
    if spec.get("noIndex"):
        args.append("--no-index")
    if spec.get("indexUrl"):
        args += ["--index-url", spec["indexUrl"]]
    for h in clean_lines(spec.get("trustedHosts")):
        args += ["--trusted-host", h]
    for fl in clean_lines(spec.get("findLinks")):
        args += ["--find-links", fl]
    if spec.get("pre"):
        args.append("--pre")
    return args


def constraint_args(files_dir):
    return ["-c", os.path.join(files_dir, "constraints.txt"), "-c", os.path.join(files_dir, "global-constraints.txt")]


UPSTREAM_HEADER = "Managed with python_venv_build role"  # upstream's first line; tools look for it


def write_input_files(d, spec, label):
    write_atomic(os.path.join(d, "requirements.txt"), lines_file(UPSTREAM_HEADER, spec.get("requirements")))
    write_atomic(os.path.join(d, "constraints.txt"), lines_file(UPSTREAM_HEADER, spec.get("constraints")))
    write_atomic(os.path.join(d, "global-constraints.txt"), lines_file(UPSTREAM_HEADER, spec.get("globalConstraints")))


def requirement_name(line):
    m = re.match(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)", line)
    return m.group(1) if m and not line.lstrip().startswith("-") else None


def pre_resolve(venv, files_dir, spec, log, desc):
    """Resolve the whole closure before touching a good venv, so a missing wheel fails first.
    pip >= 22.2: `install --dry-run --ignore-installed`; older pip: `download` into a temp dir."""
    py = venv_python(venv)
    env = spec.get("env") or {}
    reqs = clean_lines(spec.get("buildRequirements")) + clean_lines(spec.get("requirements"))
    if not reqs or spec.get("packageState") == "absent":
        return
    tmp_req = os.path.join(files_dir, "pre-resolve.txt")
    write_atomic(tmp_req, lines_file("wheelwright pre-resolve", reqs))
    log.write("pre-resolve: checking that every requirement resolves before changing %s\n" % venv)
    if pip_version(venv) >= (22, 2):
        argv = [py, "-m", "pip", "install", "--dry-run", "--ignore-installed"]
    else:
        dl = os.path.join(files_dir, "pre-resolve-download")
        argv = [py, "-m", "pip", "download", "-d", dl]
    argv += pip_common(spec) + constraint_args(files_dir) + list(spec.get("pipArgs") or []) + ["-r", tmp_req]
    rc = run_logged(argv, log, env)
    if rc != 0:
        raise pip_failure("resolving requirements", log, desc, spec)


def install(venv, spec, log, desc):
    py = venv_python(venv)
    env = spec.get("env") or {}
    common = pip_common(spec) + constraint_args(venv) + list(spec.get("pipArgs") or [])
    state = spec.get("packageState") or "latest"
    build = clean_lines(spec.get("buildRequirements"))
    if build:
        say("%s: installing build requirements" % desc)
        up = ["--upgrade"] if state in ("latest", "forcereinstall") else []
        rc = run_logged([py, "-m", "pip", "install"] + up + common + build, log, env)
        if rc != 0:
            raise pip_failure("installing build requirements", log, desc, spec)
    reqs = clean_lines(spec.get("requirements"))
    if not reqs:
        return
    if state == "absent":
        names = [n for n in (requirement_name(r) for r in reqs) if n]
        if names:
            rc = run_logged([py, "-m", "pip", "uninstall", "--yes"] + names, log, env)
            if rc != 0:
                raise pip_failure("uninstalling", log, desc, spec)
        return
    argv = [py, "-m", "pip", "install"]
    if state == "latest":
        argv.append("--upgrade")
    elif state == "forcereinstall":
        argv += ["--upgrade", "--force-reinstall"]
    argv += common + ["-r", os.path.join(venv, "requirements.txt")]
    say("%s: installing %d requirement(s)" % (desc, len(reqs)))
    rc = run_logged(argv, log, env)
    if rc != 0:
        raise pip_failure("pip install", log, desc, spec)


def create_venv(venv, spec, log, desc, bootstrap=True):
    say("%s: creating venv with %s" % (desc, sys.executable))
    if not os.path.isdir(venv):
        os.makedirs(venv)
    write_atomic(os.path.join(venv, OWNED), "created by wheelwright pid=%d host=%s at %s\n" % (
        os.getpid(), socket.gethostname(), time.strftime("%Y-%m-%dT%H:%M:%S%z")))
    rc = run_logged([sys.executable, "-m", "venv", "--without-pip", venv], log, {})
    if rc != 0:
        raise Failure("venv", "%s: `%s -m venv` failed (is the venv module installed? on Debian/Ubuntu: python3-venv)" % (desc, sys.executable), log.path, log.start)
    if not bootstrap:
        return
    how = bootstrap_pip(venv, spec.get("findLinks") or [], log)
    log.write("pip bootstrapped via %s\n" % how)


def link_symlinks(venv, spec, log):
    """Hook for the role: link distro-packaged top-level modules/packages (absolute paths, already
    filtered to python3*/(site|dist)-packages and without __pycache__) into the venv."""
    sp = site_packages(venv)
    made = 0
    for src in clean_lines(spec.get("symlinks")):
        dest = os.path.join(sp, os.path.basename(src.rstrip("/")))
        if os.path.islink(dest) and os.readlink(dest) == src:
            continue
        made += 1
        tmp = dest + ".ww-tmp-%d" % os.getpid()
        rm_rf(tmp)
        os.symlink(src, tmp)
        if os.path.isdir(dest) and not os.path.islink(dest):
            shutil.rmtree(dest)
        os.replace(tmp, dest)
        log.write("symlinked %s -> %s\n" % (dest, src))
    return made


def write_facts(facts):
    """Hook for the role: INI facts file ({path, values: [{section, option, value}]}), other
    sections preserved. Only called when the venv changed."""
    if not facts or not facts.get("path") or not facts.get("values"):
        return False
    path = facts["path"]
    cp = configparser.RawConfigParser()
    cp.optionxform = str
    if os.path.exists(path):
        cp.read(path)
    for v in facts["values"]:
        sec = str(v["section"])
        if not cp.has_section(sec):
            cp.add_section(sec)
        cp.set(sec, str(v["option"]), str(v["value"]))
    d = os.path.dirname(path)
    if d and not os.path.isdir(d):
        os.makedirs(d)
    from io import StringIO
    buf = StringIO()
    cp.write(buf)
    write_atomic(path, buf.getvalue(), 0o644)
    return True


def marker_ok_any(venv):
    """A complete venv (marker present), whatever it was built from."""
    return os.path.exists(os.path.join(venv, MARKER)) and os.path.exists(venv_python(venv))


def marker_ok(venv, hsh):
    m = read_json(os.path.join(venv, MARKER))
    if not m or m.get("hash") != hsh:
        return None
    if not os.path.exists(venv_python(venv)):
        return None
    return m


def write_marker(venv, spec, hsh, py, installed, generation=None, dists=None):
    marker = {
        "markerVersion": MARKER_VERSION,
        "hash": hsh,
        "specHash": spec.get("hash"),
        "python": py,
        "requirements": clean_lines(spec.get("requirements")),
        "constraints": clean_lines(spec.get("constraints")),
        "globalConstraints": clean_lines(spec.get("globalConstraints")),
        "buildRequirements": clean_lines(spec.get("buildRequirements")),
        "packageState": spec.get("packageState") or "latest",
        "installed": ["%s==%s" % (k, installed[k]) for k in sorted(installed, key=lambda s: s.lower())],
        "extraMarker": spec.get("extraMarker"),
        "generation": generation,
        "wheelDists": dists or {},
        "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "host": socket.gethostname(),
    }
    write_atomic(os.path.join(venv, MARKER), json.dumps(marker, indent=1, sort_keys=True) + "\n")
    return marker


def pinned_mode(spec, fresh):
    """Wheel-build targets: the build result names every wheel of the closure; a fresh venv gets
    exactly those, without pip's resolver (an in-place update or `absent` goes through pip)."""
    return bool(spec.get("pinned")) and fresh and (spec.get("packageState") or "latest") != "absent"


def install_pinned(venv, spec, log, desc, prev):
    """Install the pinned closure (already in the local wheelhouse, verified) plus pip itself.
    Unchanged packages are hard-linked from the previous generation `prev`. Returns the marker's
    {wheel sha256: dist-info name}."""
    pinned = spec["pinned"]
    wh = pinned["wheelhouse"]
    wheels = [{"path": os.path.join(wh, w["file"]), "sha256": w["sha256"]} for w in pinned["wheels"]]
    names = set(pep503((parse_wheel_name(w["file"]) or {"name": w["file"]})["name"]) for w in pinned["wheels"])
    pip_whl = None
    if "pip" not in names:
        pip_whl = ww_find_pip_wheel([wh, SYSTEM_WHEELS])
        if pip_whl:
            wheels.append({"path": pip_whl, "sha256": sha256_file(pip_whl)})
    requested = [n for n in (requirement_name(r) for r in clean_lines(spec.get("requirements")) + clean_lines(spec.get("buildRequirements"))) if n]
    prev_marker = read_json(os.path.join(prev, MARKER)) if prev else None
    prev_dists = (prev_marker or {}).get("wheelDists") or {}
    say("%s: installing %d pinned wheel(s)" % (desc, len(pinned["wheels"])))
    try:
        if spec.get("pipArgs"):
            # extra pip arguments asked for: pip installs the explicit files, still without resolving
            ww_installer.install_wheels(venv, wheels[len(pinned["wheels"]):], log=log)
            argv = [venv_python(venv), "-m", "pip", "install", "--no-deps", "--no-index"] + list(spec["pipArgs"])
            rc = run_logged(argv + [w["path"] for w in wheels[:len(pinned["wheels"])]], log, spec.get("env") or {})
            if rc != 0:
                raise pip_failure("pip install --no-deps", log, desc, spec)
            dists = {}
        else:
            res = ww_installer.install_wheels(venv, wheels, requested, prev_venv=prev if prev_dists else None,
                                              prev_dists=prev_dists, compile=spec.get("compile", True), log=log)
            dists = res["dists"]
    except ww_installer.InstallError as e:
        raise Failure("pip", "%s: installing the pinned wheels failed: %s" % (desc, e), log.path, log.start)
    if not pip_whl and "pip" not in names:
        log.write("bootstrap: no pip wheel in %s or %s: ensurepip\n" % (wh, SYSTEM_WHEELS))
        if run_logged([venv_python(venv), "-m", "ensurepip", "--default-pip"], log, {}) != 0:
            raise Failure("venv", "could not put pip into %s (no pip wheel and ensurepip failed)" % venv)
    return dists


def build_into(venv, spec, hsh, py, log, desc, fresh, generation=None, prev=None):
    """Make `venv` hold the spec's packages; the marker is written LAST."""
    pinned = pinned_mode(spec, fresh)
    if fresh:
        if os.path.lexists(venv) and not (os.path.isdir(venv) and not os.path.islink(venv) and not os.listdir(venv)):
            rm_rf(venv)  # check_replaceable() allowed it: ours, or forced; an empty dir is used as it is
        create_venv(venv, spec, log, desc, bootstrap=not pinned)
    write_input_files(venv, spec, desc)
    dists = None
    if pinned:
        dists = install_pinned(venv, spec, log, desc, prev)
    else:
        install(venv, spec, log, desc)
    link_symlinks(venv, spec, log)
    installed = installed_packages(venv)
    write_marker(venv, spec, hsh, py, installed, generation, dists)
    return installed


def log_header(log, action, path, hsh):
    log.write("=== wheelwright build %s pid=%d host=%s action=%s path=%s hash=%s\n" % (
        time.strftime("%Y-%m-%dT%H:%M:%S%z"), os.getpid(), socket.gethostname(), action, path, hsh[:12]))


# ---------------------------------------------------------------- ensure: in place

def ensure_inplace(spec, path, hsh, py):
    venv = path
    desc = "venv %s" % venv
    m = None if spec.get("rebuild") else marker_ok(venv, hsh)
    if m:
        return {"changed": False, "venvDir": venv, "installed": dict(x.split("==", 1) for x in m.get("installed", []))}
    log = Log(path + ".log")
    log_header(log, "ensure-inplace", path, hsh)
    staging = None
    try:
        old = read_json(os.path.join(venv, MARKER)) if os.path.isdir(venv) else None
        before = installed_packages(venv) if old else {}
        py_changed = bool(old) and (old.get("python") or {}).get("realpath") != py["realpath"]
        fresh = not old or py_changed or bool(spec.get("rebuild"))
        if os.path.isdir(venv) and not old and os.path.exists(os.path.join(venv, OWNED)):
            say("%s: no marker: leftover of an unfinished run, recreating" % desc)
            log.write("no marker in existing %s: partial venv, removing\n" % venv)
        if old and not py_changed:
            # A good venv exists: prove the new closure resolves before touching it.
            staging = path + ".ww-staging-%d" % os.getpid()
            rm_rf(staging)
            os.makedirs(staging)
            write_input_files(staging, spec, desc)
            pre_resolve(venv, staging, spec, log, desc)
        elif old:
            say("%s: interpreter changed (%s -> %s): recreating" % (desc, (old.get("python") or {}).get("realpath"), py["realpath"]))
        if old:
            os.unlink(os.path.join(venv, MARKER))
        installed = build_into(venv, spec, hsh, py, log, desc, fresh)
        log.write("=== done\n")
        return {"changed": True, "venvDir": venv, "installed": installed,
                "packagesChanged": installed != before, "log": log.path}
    except Failure as f:
        if f.log is None:
            f.log, f.log_start = log.path, log.start
        raise
    except Exception as e:
        raise Failure("internal", "%s: %s: %s" % (desc, type(e).__name__, e), log.path, log.start)
    finally:
        if staging:
            rm_rf(staging)
        log.close()


# ---------------------------------------------------------------- ensure: generations

GENERATION_NAME = re.compile(r"^(?:[0-9a-f]{12}(?:-[0-9]+)?|legacy-[0-9]+)$")


def gens_dir(path):
    return path + ".generations"


def current_generation(path):
    if os.path.islink(path):
        return os.path.basename(os.readlink(path).rstrip("/"))
    return None


def activation_time(d):
    try:
        return os.stat(os.path.join(d, ACTIVATED)).st_mtime
    except OSError:
        return 0.0


def switch_to(path, gen):
    """Atomically point `path` at generation `gen` (relative symlink to temp name + rename)."""
    rel = os.path.join(os.path.basename(path) + ".generations", gen)
    tmp = path + ".ww-link-%d" % os.getpid()
    rm_rf(tmp)
    os.symlink(rel, tmp)
    if os.path.isdir(path) and not os.path.islink(path):
        if os.path.exists(os.path.join(path, MARKER)):
            # Migration from an in-place wheelwright venv: keep it as a generation, then link.
            legacy = "legacy-%d" % int(time.time())
            os.rename(path, os.path.join(gens_dir(path), legacy))
            say("moved the in-place venv %s to generation %s" % (path, legacy))
        else:
            rm_rf(path)  # check_replaceable() allowed it: an unfinished venv of ours, empty, or forced
    os.replace(tmp, path)
    touch(os.path.join(gens_dir(path), gen, ACTIVATED))


def prune(path, keep, protect):
    """Keep the `keep` most recently activated generations with a marker (always the ones in
    `protect`); remove the others and any unmarked leftovers."""
    gd = gens_dir(path)
    removed = []
    try:
        names = sorted(os.listdir(gd))
    except OSError:
        return removed
    # only names wheelwright gives generations: anything else in there is not ours to remove
    dirs = [n for n in names if GENERATION_NAME.match(n) and os.path.isdir(os.path.join(gd, n)) and not os.path.islink(os.path.join(gd, n))]
    good = [n for n in dirs if os.path.exists(os.path.join(gd, n, MARKER))]
    good.sort(key=lambda n: activation_time(os.path.join(gd, n)), reverse=True)
    keepset = set(p for p in protect if p)
    for n in good:
        if len(keepset) >= max(1, keep):
            break
        keepset.add(n)
    for n in dirs:
        if n not in keepset:
            rm_rf(os.path.join(gd, n))
            removed.append(n)
    return removed


def ensure_generations(spec, path, hsh, py):
    gd = gens_dir(path)
    desc = "venv %s" % path
    cur = current_generation(path)
    keep = int(spec.get("keep") or 2)
    if cur and not spec.get("rebuild"):
        m = marker_ok(os.path.join(gd, cur), hsh)
        if m:
            return {"changed": False, "venvDir": os.path.join(gd, cur), "generation": cur,
                    "installed": dict(x.split("==", 1) for x in m.get("installed", []))}
    if not os.path.isdir(gd):
        os.makedirs(gd)
    h12 = hsh[:12]
    # An existing good generation for this hash (e.g. after a rollback): just switch back to it.
    if not spec.get("rebuild"):
        cands = [n for n in os.listdir(gd) if (n == h12 or n.startswith(h12 + "-")) and marker_ok(os.path.join(gd, n), hsh)]
        cands.sort(key=lambda n: activation_time(os.path.join(gd, n)), reverse=True)
        if cands:
            gen = cands[0]
            switch_to(path, gen)
            removed = prune(path, keep, [gen, cur])
            m = read_json(os.path.join(gd, gen, MARKER)) or {}
            say("%s: switched to existing generation %s" % (desc, gen))
            return {"changed": True, "venvDir": os.path.join(gd, gen), "generation": gen, "previous": cur,
                    "pruned": removed, "installed": dict(x.split("==", 1) for x in m.get("installed", []))}
    # Name: <hash12>, or <hash12>-N when that one is taken by a good or current generation
    # (rebuild asked, or the current one is damaged). Unmarked leftovers of failed runs are reused.
    gen = h12
    n = 1
    while os.path.exists(os.path.join(gd, gen)):
        if gen != cur and not os.path.exists(os.path.join(gd, gen, MARKER)):
            break
        n += 1
        gen = "%s-%d" % (h12, n)
    venv = os.path.join(gd, gen)
    log = Log(path + ".log")
    log_header(log, "ensure-generation", venv, hsh)
    before = installed_packages(os.path.join(gd, cur)) if cur else {}
    try:
        if os.path.exists(venv):
            log.write("removing leftover %s\n" % venv)
        prev = os.path.join(gd, cur) if cur and marker_ok_any(os.path.join(gd, cur)) else None
        installed = build_into(venv, spec, hsh, py, log, "%s (generation %s)" % (desc, gen), True, gen, prev)
        switch_to(path, gen)
        removed = prune(path, keep, [gen, cur])
        log.write("=== done: %s -> %s (previous %s; pruned %s)\n" % (path, gen, cur, ",".join(removed) or "-"))
        say("%s: now generation %s (previous: %s)" % (desc, gen, cur or "none"))
        return {"changed": True, "venvDir": venv, "generation": gen, "previous": cur, "pruned": removed,
                "installed": installed, "packagesChanged": installed != before, "log": log.path}
    except Failure as f:
        if f.log is None:
            f.log, f.log_start = log.path, log.start
        raise
    except Exception as e:
        raise Failure("internal", "%s: %s: %s" % (desc, type(e).__name__, e), log.path, log.start)
    finally:
        log.close()


def do_ensure(spec):
    py = interpreter_info()
    if not spec.get("hash"):
        raise Failure("spec", "spec has no hash")
    hsh = effective_hash(spec["hash"], py)
    path = expand_path(spec["path"], py, hsh)
    layout = spec.get("layout") or "inplace"
    check_replaceable(path, spec.get("force"))  # before the lock and log files appear next to it
    parent = os.path.dirname(path)
    if not os.path.isdir(parent):
        os.makedirs(parent)
    lock = Lock(path + ".lock", float(spec.get("lockTimeoutSec") or 600), purpose="ensure").acquire()
    try:
        check_replaceable(path, spec.get("force"))  # again under the lock: what we waited for may have changed it
        # Temp names left by a killed run (we hold the lock: nobody else is using them).
        base = os.path.basename(path)
        for n in os.listdir(parent):
            if n.startswith(base + ".ww-link-") or n.startswith(base + ".ww-staging-"):
                rm_rf(os.path.join(parent, n))
        if layout == "generations":
            res = ensure_generations(spec, path, hsh, py)
        elif layout == "inplace":
            if os.path.islink(path):
                raise Failure("spec", "%s is a symlink (generations layout?); refusing to build in place" % path)
            res = ensure_inplace(spec, path, hsh, py)
        else:
            raise Failure("spec", "unknown layout %r" % layout)
        factsChanged = False
        if res["changed"] and spec.get("facts"):
            factsChanged = write_facts(spec.get("facts"))
        if spec.get("stampUse"):
            touch(path + ".used")
        res.update({"path": path, "hash": hsh, "python": py, "log": res.get("log") or path + ".log",
                    "layout": layout, "factsChanged": factsChanged})
        return res
    finally:
        lock.release()


# ---------------------------------------------------------------- rollback

def do_rollback(spec):
    path = os.path.abspath(os.path.expanduser(spec["path"]))
    if not os.path.islink(path) or not is_wheelwright_owned(path):
        what = describe_existing(path) if os.path.lexists(path) else "nothing"
        raise Failure("spec", "%s is not a wheelwright generations venv (a symlink into %s.generations): it is %s"
                      % (path, os.path.basename(path), what))
    lock = Lock(path + ".lock", float(spec.get("lockTimeoutSec") or 600), purpose="rollback").acquire()
    try:
        gd = gens_dir(path)
        cur = current_generation(path)
        target = spec.get("generation")
        if not target:
            good = [n for n in os.listdir(gd) if n != cur and os.path.exists(os.path.join(gd, n, MARKER))]
            good.sort(key=lambda n: activation_time(os.path.join(gd, n)), reverse=True)
            if not good:
                raise Failure("rollback", "%s: no previous generation to roll back to" % path)
            target = good[0]
        elif not os.path.exists(os.path.join(gd, target, MARKER)):
            raise Failure("rollback", "%s: generation %s does not exist or is incomplete" % (path, target))
        switch_to(path, target)
        m = read_json(os.path.join(gd, target, MARKER)) or {}
        return {"changed": target != cur, "path": path, "venvDir": os.path.join(gd, target), "generation": target,
                "previous": cur, "installed": dict(x.split("==", 1) for x in m.get("installed", []))}
    finally:
        lock.release()


# ---------------------------------------------------------------- gc of a cache directory

CACHE_NAME = re.compile(r"^[0-9]+\.[0-9]+-[0-9a-f]{16}$")  # `{pyver}-{hash}`, the cache path of `venv ensure`


def do_gc(spec):
    root = os.path.abspath(os.path.expanduser(spec["root"]))
    keep_days = float(spec.get("keepDays", 30))
    now = float(spec.get("now") or time.time())
    cutoff = now - keep_days * 86400
    removed, busy, kept = [], [], []
    try:
        names = sorted(os.listdir(root))
    except OSError:
        names = []
    for n in names:
        d = os.path.join(root, n)
        if n.startswith(".") or not os.path.isdir(d) or os.path.islink(d):
            continue
        if not (CACHE_NAME.match(n) or is_wheelwright_owned(d)):
            continue  # not a cache venv of ours: never removed
        stamp = d + ".used"
        try:
            last = os.stat(stamp).st_mtime
        except OSError:
            try:
                last = os.stat(os.path.join(d, MARKER)).st_mtime
            except OSError:
                try:
                    last = os.stat(d).st_mtime
                except OSError:
                    continue
        if last >= cutoff:
            kept.append(n)
            continue
        build = Lock(d + ".lock", 0, purpose="gc")
        if not build.try_acquire():
            busy.append(n)
            continue
        use = Lock(stamp, 0, purpose="gc")
        if not use.try_acquire():  # a `venv run` holds it shared while its command runs
            build.release()
            busy.append(n)
            continue
        try:
            rm_rf(d)
            for extra in (d + ".log", d + ".log.1"):
                if os.path.exists(extra):
                    os.unlink(extra)
            removed.append(n)
        finally:
            use.release(unlink=True)
            build.release(unlink=True)
    return {"changed": bool(removed), "root": root, "removed": removed, "busy": busy, "kept": kept}


# ---------------------------------------------------------------- role target (python_venv_build)
# One command per target: pick the spec for this host's build key, report what the controller must
# provide first (a build for the key, distro packages, pushed wheels), else ensure the venv and check
# its symlinks and facts. A no-op run touches nothing and runs no pip.

DISTRO_NAMES = {
    "debian": "Debian", "ubuntu": "Ubuntu", "linuxmint": "Linux Mint", "raspbian": "Debian", "pop": "Pop!_OS",
    "kali": "Kali", "centos": "CentOS", "rhel": "RedHat", "rocky": "Rocky", "almalinux": "AlmaLinux",
    "fedora": "Fedora", "ol": "OracleLinux", "amzn": "Amazon", "opensuse-leap": "openSUSE Leap",
    "opensuse-tumbleweed": "openSUSE Tumbleweed", "sles": "SLES", "arch": "Archlinux", "alpine": "Alpine",
    "gentoo": "Gentoo",
}


def distro_key():
    """<distro>-<version>-<arch> as the build side computes it from facts (src/wheels/build.ts buildKey)."""
    osr = {}
    for p in ("/etc/os-release", "/usr/lib/os-release"):
        try:
            with open(p) as f:
                for line in f:
                    line = line.strip()
                    if "=" in line and not line.startswith("#"):
                        k, v = line.split("=", 1)
                        osr[k] = v.strip().strip('"').strip("'")
            break
        except (IOError, OSError):
            continue
    ident = osr.get("ID", "").lower()
    distro = DISTRO_NAMES.get(ident) or osr.get("NAME") or platform.system() or "Unknown"
    version = osr.get("VERSION_ID", "")
    if ident == "debian":
        try:
            with open("/etc/debian_version") as f:
                dv = f.readline().strip()
            if re.match(r"^\d+(\.\d+)*$", dv):
                version = dv
        except (IOError, OSError):
            pass
    if distro.lower() == "ubuntu":
        v = ".".join(version.split(".")[:2])
    else:
        v = version.split(".")[0]
    return "-".join(re.sub(r"\s+", "_", x.strip().lower()) for x in (distro, v, platform.machine()))


_run_quiet = ww_distro.run_quiet


def missing_distro_packages(pkgs):
    """Distro packages (apt `name`, `name=ver`, rpm `name`) that are not installed."""
    try:
        return ww_distro.missing_packages(pkgs)
    except ww_distro.DistroError as e:
        raise Failure("spec", str(e))


SITE_RE = re.compile(r"^(.*/python3[^/]*/(?:site|dist)-packages)/([^/]+)")


def symlink_sources(pkgs):
    """Top-level modules/packages a distro package installs under python3*/(site|dist)-packages."""
    out = []
    for pkg in pkgs:
        if shutil.which("dpkg-query"):
            rc, listing = _run_quiet(["dpkg", "-L", pkg])
        else:
            rc, listing = _run_quiet(["rpm", "-ql", pkg])
        if rc != 0:
            raise Failure("spec", "venv_packages_to_symlink: package %s is not installed (listing its files failed)" % pkg)
        found = 0
        for line in listing.splitlines():
            m = SITE_RE.match(line.strip())
            if not m or m.group(2) == "__pycache__":
                continue
            top = os.path.join(m.group(1), m.group(2))
            if top not in out:
                out.append(top)
                found += 1
        if not found:
            raise Failure("spec", "venv_packages_to_symlink: package %s has no Python modules under python3*/site-packages or dist-packages" % pkg)
    return out


def facts_current(facts):
    if not facts or not facts.get("path") or not facts.get("values"):
        return True
    cp = configparser.RawConfigParser()
    cp.optionxform = str
    try:
        cp.read(facts["path"])
    except configparser.Error:
        return False
    for v in facts["values"]:
        if not cp.has_section(str(v["section"])) or not cp.has_option(str(v["section"]), str(v["option"])):
            return False
        if cp.get(str(v["section"]), str(v["option"])) != str(v["value"]):
            return False
    return True


def venv_current(spec, path, hsh):
    """The venv the path serves already holds this spec (the no-op test, without the lock)."""
    if spec.get("rebuild"):
        return False
    if (spec.get("layout") or "inplace") == "generations":
        cur = current_generation(path)
        return bool(cur and marker_ok(os.path.join(gens_dir(path), cur), hsh))
    return bool(marker_ok(path, hsh))


class _Quiet(object):
    def write(self, _text):
        pass


def check_repositories(spec):
    """An unreachable http wheel repository makes pip report a misleading resolution conflict: say what it is."""
    import urllib.request
    for url in spec.get("findLinks") or []:
        if not re.match(r"^https?://", url):
            continue
        try:
            urllib.request.urlopen(url, timeout=15).close()
        except Exception as e:  # URLError, HTTPError, socket errors
            raise Failure("missing", "the wheel repository %s is not reachable from %s: %s (check openstack_repo_url and that the repo server serves it)"
                          % (url, socket.gethostname(), getattr(e, "reason", e)))


def do_role_target(p):
    key = distro_key()
    cands = p.get("candidates")
    if cands is not None:
        spec = cands.get(key)
        if spec is None:
            return {"need": "key", "key": key, "changed": False}
    else:
        spec = p["spec"]
    spec = dict(spec)
    missing = missing_distro_packages(p.get("distroPackages") or [])
    if missing:
        return {"need": "packages", "packages": missing, "key": key, "changed": False}
    spec["symlinks"] = symlink_sources(p.get("symlinkPackages") or [])
    env = dict(spec.get("env") or {})
    if "REQUESTS_CA_BUNDLE" not in env:
        # venv_pip_install_env's default: the distro's CA bundle (TLS to an internal repo)
        for bundle in ("/etc/ssl/certs/ca-certificates.crt", "/etc/pki/tls/certs/ca-bundle.crt", "/etc/ssl/ca-bundle.pem"):
            if os.path.exists(bundle):
                env["REQUESTS_CA_BUNDLE"] = bundle
                break
    spec["env"] = env
    py = interpreter_info()
    hsh = effective_hash(spec["hash"], py)
    path = expand_path(spec["path"], py, hsh)
    current = venv_current(spec, path, hsh)
    if p.get("check"):
        return {"changed": not current or not facts_current(spec.get("facts")), "key": key, "check": True, "path": path}
    pinned = spec.get("pinned")
    if not current and pinned:
        # exactly the build's wheels, verified by sha256: http fetches what is missing itself (in
        # parallel); push asks the controller for the missing ones
        wh = pinned["wheelhouse"]
        if pinned.get("url"):
            try:
                got = ww_fetch.fetch(pinned["url"], pinned["wheels"], wh)
            except ww_fetch.FetchError as e:
                raise Failure("missing", "the wheel repository %s is not reachable from %s, or does not serve the built wheels: %s "
                              "(check openstack_repo_url and that the repo server serves it)" % (pinned["url"], socket.gethostname(), e.message))
            if got:
                say("fetched %d wheel(s) from %s" % (len(got), pinned["url"]))
        else:
            if not os.path.isdir(wh):
                os.makedirs(wh)
            lacking = ww_fetch.lacking(wh, pinned["wheels"])
            if lacking:
                return {"need": "wheels", "wheels": [w["file"] for w in lacking], "key": key, "changed": False}
    elif not current:
        check_repositories(spec)
    res = do_ensure(spec)
    res["key"] = key
    res["repaired"] = []
    if not res["changed"]:
        # the same round trip checks what a no-op must still guarantee: links and facts in place
        if link_symlinks(res["venvDir"], spec, _Quiet()):
            res["repaired"].append("symlinks")
        if not facts_current(spec.get("facts")):
            write_facts(spec.get("facts"))
            res["factsChanged"] = True
            res["repaired"].append("facts")
        res["changed"] = bool(res["repaired"])
    elif spec.get("facts") and not res.get("factsChanged"):
        res["factsChanged"] = write_facts(spec.get("facts"))
    return res


# ---------------------------------------------------------------- main

def load_spec():
    if SPEC_B64:
        return json.loads(base64.b64decode(SPEC_B64).decode("utf-8"))
    if len(sys.argv) > 1:
        with open(sys.argv[1]) as f:
            return json.load(f)
    raise Failure("spec", "no spec given")


def emit(obj):
    sys.stdout.write(RESULT_PREFIX + json.dumps(obj, sort_keys=True) + "\n")
    sys.stdout.flush()


def main():
    try:
        spec = load_spec()
        action = spec.get("action") or "ensure"
        ISOLATED[0] = bool(spec.get("isolated") or (spec.get("builder") or {}).get("isolated"))
        if action == "ensure":
            res = do_ensure(spec)
        elif action == "rollback":
            res = do_rollback(spec)
        elif action == "gc":
            res = do_gc(spec)
        elif action == "role_target":
            ISOLATED[0] = bool((spec.get("spec") or {}).get("isolated") or any(c.get("isolated") for c in (spec.get("candidates") or {}).values()))
            res = do_role_target(spec)
        else:
            raise Failure("spec", "unknown action %r" % action)
        res["ok"] = True
        emit(res)
        return 0
    except Failure as f:
        out = {"ok": False, "kind": f.kind, "error": f.message}
        if f.log:
            out["log"] = f.log
            out["logTail"] = log_tail(f.log, f.log_start)
        if f.requirement:
            out["requirement"] = f.requirement
        out.update(f.extra)
        emit(out)
        return 1
    except Exception as e:  # never leave the caller without a result line
        import traceback
        emit({"ok": False, "kind": "internal", "error": "%s: %s" % (type(e).__name__, e), "traceback": traceback.format_exc()})
        return 1


if __name__ == "__main__":
    sys.exit(main())
