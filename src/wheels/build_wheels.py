"""wheelwright build-host step: build every wheel one venv needs, once, on the build ("repo") host.

Sent by src/wheels/build.ts through src/remote/run.ts (`<python> -S -c <boot>`, src/remote/boot.py),
which gives it the JSON spec as WW_SPEC_JSON; the whole step is this one remote command. Standard library only (Python 3.6+).
Prints exactly one line on stdout: `WW-RESULT {json}`. Everything pip says goes to a log file.

Steps (docs/wheel-build.md has the details):
  1. flock `<requirements dir>/.<key>.lock` (timeout names the holder: pid, host, start time);
  2. ensure the builder venv (created offline, refreshed only when its recorded spec changes);
  3. write the three input files atomically (only when their content changed);
  4. nothing to do when the result file carries the hash of these inputs and every wheel it
     pins is in the wheel dir (and no rebuild was asked): no pip run at all;
  5. otherwise `pip wheel` into a fresh temp dir keyed by a hash of the full venv path and key,
     retrying network failures only; move the wheels into the shared wheel dir (never wiped);
     write the manifest and then the result pins, atomically;
  6. on failure remove the input and result files so that the next run retries.
"""
import errno
import os
import sys
import time

try:
    import wwremote  # noqa: F401  (defined in front of this script by src/remote/assemble.ts)
except ImportError:  # run from a checkout
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "remote"))
from wwremote import jsonfast, ownership, proc  # noqa: E402  (jsonfast: json without re)
from wwremote.distro import Remembered, missing_packages  # noqa: E402
from wwremote.errors import RemoteError, run_main, tail_of  # noqa: E402
from wwremote.fsutil import read_text, remove_quietly, sha256, sha256_file, write_atomic  # noqa: E402
from wwremote.lock import Lock, now_iso  # noqa: E402
from wwremote.relazy import compiled, re  # noqa: E402  (re, platform, shutil: imported only off the no-op path)
from wwremote.wheelfile import WHEEL_RE, find_newest_wheel, find_pip_wheel, parse_wheel_name, pep503, wheel_metadata_field  # noqa: E402  (by version: pip-23 over pip-9)

WW_SPEC_JSON = globals().get("WW_SPEC_JSON")  # this call's spec, set by src/remote/boot.py
UPSTREAM_HEADER = "# Managed with python_venv_build role"
SCRIPT_VERSION = 1
BUILDER_STAMP = ".ww-builder.json"
OWNED = ".wheelwright-owned"  # written into a builder venv dir before anything else: a leftover is provably ours

# pip output that means "the network failed": worth retrying. Checked only when no build error is seen.
NETWORK_RE = compiled(
    r"NewConnectionError|ConnectTimeoutError|ReadTimeoutError|ConnectionError|Connection (?:refused|reset|aborted)"
    r"|Max retries exceeded|Temporary failure in name resolution|Name or service not known|Could not fetch URL"
    r"|RemoteDisconnected|IncompleteRead|ProtocolError|timed out|Network is unreachable|No route to host"
    r"|HTTP error (?:429|5\d\d)|\b(?:429|5\d\d) Server Error|fatal: unable to access|Could not resolve host"
    r"|The remote end hung up unexpectedly|early EOF",
    "I",
)
# pip output that means "the build itself failed": never retried (the same sources fail the same way),
# even when some network warning was printed too.
BUILD_ERROR_RE = compiled(
    r"fatal error:|compilation terminated|error: command '[^']*' failed|Failed building wheel"
    r"|metadata-generation-failed|ResolutionImpossible|conflicting dependencies|SyntaxError",
    "I",
)


def sha256_bytes(data):
    h = sha256()
    h.update(data)
    return h.hexdigest()


def is_network_failure(output):
    return NETWORK_RE.search(output) is not None and BUILD_ERROR_RE.search(output) is None


# ------------------------------------------------------------------------------------------ commands


PROGRESS_PREFIX = "WW-PROGRESS "


def progress(msg):
    """A phase line for the controller's live view (stderr; the result stays alone on stdout)."""
    sys.stderr.write(PROGRESS_PREFIX + msg + "\n")
    sys.stderr.flush()


class PipWheelProgress(object):
    """Reads pip wheel's output as it comes and reports `resolving: N requirements`, then
    `building N/M wheels` (M: the packages pip builds from source; ready wheels are only saved)."""

    def __init__(self, say=progress):
        self.say = say
        self.collected = 0
        self.total = None
        self.built = 0

    def __call__(self, line):
        line = line.strip()
        if line.startswith("Collecting "):
            self.collected += 1
            self.say("resolving: %d requirements" % self.collected)
        elif line.startswith("Building wheels for collected packages:"):
            self.total = len([p for p in line.split(":", 1)[1].split(",") if p.strip()])
            self.say("building 0/%d wheels" % self.total)
        elif line.startswith("Created wheel for "):
            self.built += 1
            self.say("building %d/%s wheels" % (self.built, self.total if self.total is not None else "?"))


def run_logged(cmd, log, env=None, title=None, on_line=None):
    """Run cmd into the build log; (exit code, this command's output)."""
    start = log.tell()
    code = proc.run_logged(cmd, log, env=env, title=title, on_line=on_line)
    return code, log.since(start)


def run_with_retries(cmd, log, retries, delay, env=None, title="", before_attempt=None, on_line=None):
    """Retry only failures that look like the network's; a build/compile error fails at once."""
    attempts = 0
    while True:
        attempts += 1
        if before_attempt:
            before_attempt()
        code, out = run_logged(cmd, log, env=env, title="%s (attempt %d)" % (title, attempts), on_line=on_line() if on_line else None)
        if code == 0:
            return attempts, out
        network = is_network_failure(out)
        if not network or attempts > retries:
            kind = "a network failure" if network else "a build error, not retried"
            raise RemoteError(
                "build",
                "%s failed (exit code %s, %s) after %d attempt%s; log: %s"
                % (title, code, kind, attempts, "" if attempts == 1 else "s", log.path),
                log=log.path,
                tail=tail_of(out),
                attempts=attempts,
                network=network,
            )
        log.write("network failure; retrying in %gs\n" % delay)
        time.sleep(delay)


def pip_source_args(spec, extra_dirs=()):
    args = []
    for d in list(extra_dirs) + [spec["wheelDir"]] + list(spec["findLinks"]):
        args += ["--find-links", d]
    if spec.get("indexUrl"):
        args += ["--index-url", spec["indexUrl"]]
    elif not spec.get("defaultIndex"):
        args += ["--no-index"]
    return args


def base_env(spec, venv):
    """The environment pip runs in. Unless hostPipConfig, the host's pip configuration (pip.conf
    files, inherited PIP_* variables) is ignored: the build uses only the sources the spec names.
    venv_pip_build_env (buildEnv) is applied on top by the caller."""
    return proc.pip_env(isolated=not spec.get("hostPipConfig"), venv=venv)


# ------------------------------------------------------------------------------------- builder venv


def python_version():
    """platform.python_version(), without platform (nor the re it imports): sys.version's first
    word, with a patch level."""
    v = sys.version.split(None, 1)[0] if sys.version.strip() else ""
    if not v or not all(c.isalnum() or c in "._+" for c in v):
        import platform

        return platform.python_version()
    return v + ".0" if v.count(".") == 1 else v


def python_identity():
    return {"executable": os.path.realpath(sys.executable), "version": python_version()}


def venv_python_version(venv):
    """The `version` (or `version_info`) of the venv's pyvenv.cfg: re.search(r"^\\s*version(?:_info)?
    \\s*=\\s*(\\S+)", cfg, re.M), line by line while the answer is on one line."""
    cfg = read_text(os.path.join(venv, "pyvenv.cfg")) or ""
    for line in cfg.split("\n"):
        rest = line.lstrip()
        if not rest.startswith("version"):
            continue
        rest = rest[len("version"):]
        for r in ((rest[len("_info"):],) if rest.startswith("_info") else ()) + (rest,):
            r = r.lstrip()
            if r.startswith("="):
                value = r[1:].split()
                if not value:
                    break  # the value on a later line: as the pattern reads it
                return value[0]
        else:
            continue
        break
    else:
        return None
    m = re.search(r"^\s*version(?:_info)?\s*=\s*(\S+)", cfg, re.M)
    return m.group(1) if m else None


def ensurepip_projects(version_info=None):
    """What `python -m venv` puts into a venv through ensurepip: pip, and setuptools before
    Python 3.12 (ensurepip's _PACKAGE_NAMES)."""
    return ("setuptools", "pip") if tuple((version_info or sys.version_info)[:2]) < (3, 12) else ("pip",)


def bootstrap_wheels(boot_dirs, version_info=None):
    """The wheels to unpack into a fresh builder venv in place of ensurepip: the newest compatible
    wheel of each of ensurepip's projects in the bootstrap dirs (where Debian's ensurepip takes them
    from). None when there is no pip wheel there (then ensurepip itself runs)."""
    found = [(p, find_newest_wheel(boot_dirs, p, version_info)) for p in ensurepip_projects(version_info)]
    if not dict(found).get("pip"):
        return None
    return [w for _p, w in found if w]


def has_pip(venv):
    """pip is completely installed in the venv (its RECORD is written last, by pip and by
    wwremote.installer alike)."""
    import glob  # here: only a builder that is not up to date looks

    return bool(glob.glob(os.path.join(glob.escape(venv), "lib", "python*", "site-packages", "pip-*.dist-info", "RECORD")))


def clear_partial_builder(venv):
    """Empty a builder venv that has no complete pip (an earlier run died while making it), all
    but its ownership file: it is made again from scratch."""
    import shutil

    for n in os.listdir(venv):
        if n != OWNED:
            p = os.path.join(venv, n)
            shutil.rmtree(p) if os.path.isdir(p) and not os.path.islink(p) else os.unlink(p)


NAME_RE = compiled(r"^[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?$")
SDIST_RE = compiled(r"^(?P<name>.+?)-(?P<version>[0-9][^-]*)\.(?:tar\.gz|tgz|tar\.bz2|tar\.xz|tar|zip)$", "I")
FINAL_RE = compiled(r"^\d+(?:\.\d+)*$")


def final_key(version):
    """A final release's version as a comparable tuple (1.0 == 1.0.0)."""
    key = tuple(int(x) for x in version.split("."))
    while len(key) > 1 and key[-1] == 0:
        key = key[:-1]
    return key


def plain_find_links(spec):
    """The local find-links dirs of an offline build whose pip arguments say nothing else (only
    --no-build-isolation, --no-index, --find-links DIR): where `pip install --upgrade` of the build
    requirements would look. None when pip could see more or decide otherwise (an index, the host's
    pip configuration, any other argument, a URL)."""
    if spec.get("indexUrl") or spec.get("defaultIndex") or spec.get("hostPipConfig"):
        return None
    dirs = list(spec["bootstrapWheelDirs"]) + [spec["wheelDir"]] + list(spec["findLinks"])
    args = list(spec["pipArgs"])
    i = 0
    while i < len(args):
        a = args[i]
        if a in ("--no-build-isolation", "--no-index"):
            i += 1
        elif a in ("--find-links", "-f") and i + 1 < len(args):
            dirs.append(args[i + 1])
            i += 2
        elif a.startswith("--find-links="):
            dirs.append(a.split("=", 1)[1])
            i += 1
        else:
            return None
    out = []
    for d in dirs:
        if "://" in d or not os.path.isabs(d):
            return None
        if os.path.isdir(d) and d not in out:
            out.append(d)
    return out


def chosen_wheel(dirs, project, version_info=None):
    """The wheel `pip install --upgrade <project>` would take from these find-links dirs, when that
    is plain: the newest version is a final release (every candidate's version is N(.N)*), it has
    one pure-Python wheel (no sdist of a newer version), its Requires-Python is `>=` clauses this
    interpreter meets, and it requires nothing outside its extras. None otherwise (pip decides)."""
    want = pep503(project)
    cands = []  # (version key, is wheel, file name, path)
    for d in dirs:
        for n in sorted(os.listdir(d)):
            w = WHEEL_RE.match(n)
            if w:
                if pep503(w.group("name")) != want:
                    continue
                version, wheel = w.group("version"), True
            else:
                m = SDIST_RE.match(n)
                if not m or pep503(m.group("name")) != want:
                    continue
                version, wheel = m.group("version"), False
            if not FINAL_RE.match(version):
                return None
            cands.append((final_key(version), wheel, n, os.path.join(d, n)))
    if not cands:
        return None
    best = max(c[0] for c in cands)
    top = [c for c in cands if c[0] == best]
    names = set(c[2] for c in top)
    if len(names) != 1 or not all(c[1] for c in top):
        return None  # an sdist of the newest version, or two different wheels of it
    w = WHEEL_RE.match(top[0][2])
    if w.group("abi") != "none" or w.group("plat") != "any" or "py3" not in w.group("py").split("."):
        return None
    paths = [c[3] for c in top]
    if len(set(os.path.getsize(p) for p in paths)) != 1 or len(set(sha256_file(p) for p in paths)) != 1:
        return None  # the same name, different files: which one pip takes is not plain
    path = paths[0]
    rp = wheel_metadata_field(path, "Requires-Python")
    if rp:
        have = tuple((version_info or sys.version_info)[:3])
        for clause in rp.split(","):
            m = re.match(r"\s*>=\s*(\d+(?:\.\d+)*)\s*$", clause)
            if not m or have < tuple(int(x) for x in m.group(1).split(".")):
                return None
    for req in wheel_requires(path):
        if not re.search(r";.*\bextra\s*==", req):
            return None
    return path


def wheel_requires(path):
    """The Requires-Dist lines of a wheel's METADATA."""
    import zipfile  # here: a no-op opens no wheel

    with zipfile.ZipFile(path) as z:
        meta = [n for n in z.namelist() if re.match(r"^[^/]+\.dist-info/METADATA$", n)]
        head = z.read(meta[0]).decode("utf-8", "replace").split("\n\n", 1)[0] if meta else ""
    return [m.group(1) for m in re.finditer(r"^Requires-Dist:\s*(.+?)\s*$", head, re.M)]


def builder_plan(spec, boot, version_info=None):
    """Every wheel of a fresh builder venv, when `pip install --upgrade <build requirements>` after
    ensurepip's wheels (`boot`) is plain to foresee (plain_find_links, chosen_wheel): for each build
    requirement the wheel pip would take, for the rest of ensurepip's projects their bootstrap wheel.
    None when pip must run."""
    dirs = plain_find_links(spec)
    if dirs is None:
        return None
    plan = {}
    for path in boot:
        plan[pep503(WHEEL_RE.match(os.path.basename(path)).group("name"))] = path
    for req in spec["buildRequirements"]:
        if not NAME_RE.match(req) or pep503(req) == "pip":
            return None
        path = chosen_wheel(dirs, req, version_info)
        if path is None:
            return None
        have = plan.get(pep503(req))
        if have is not None:
            hv = WHEEL_RE.match(os.path.basename(have)).group("version")
            nv = WHEEL_RE.match(os.path.basename(path)).group("version")
            if FINAL_RE.match(hv) and final_key(hv) >= final_key(nv):
                continue  # already satisfied: pip keeps the bootstrap copy
        plan[pep503(req)] = path
    return [plan[k] for k in sorted(plan)]


def create_builder_venv(spec, venv, boot_dirs, log):
    """A builder venv with pip (and what else ensurepip would bring) in it, at the cost of a
    `--without-pip` venv and unpacking those wheels (no pip run, no byte-code: pip's first run
    writes the byte-code of what it imports). When builder_plan() can say which wheels `pip install
    --upgrade <build requirements>` would take, they are unpacked with them and True is returned
    (pip need not run). Without a pip wheel in the bootstrap dirs: ensurepip, then pip run from a
    wheel in the wheel dir or find-links, as before."""
    code, out = run_logged([sys.executable, "-m", "venv", "--without-pip", venv], log, title="create builder venv without pip")
    if code != 0:
        raise RemoteError("builder", "cannot create the builder venv %s" % venv, tail=tail_of(out), attempts=1)
    vpy = os.path.join(venv, "bin", "python")
    wheels = bootstrap_wheels(boot_dirs)
    if wheels:
        from wwremote import installer  # here: only a cold builder unpacks anything

        plan = builder_plan(spec, wheels)
        if plan:
            log.write("bootstrap: unpacking %s (the build requirements as `pip install --upgrade` would take them)\n" % ", ".join(plan))
        else:
            log.write("bootstrap: unpacking %s\n" % ", ".join(wheels))
        try:
            installer.install_wheels(venv, [{"path": w, "sha256": sha256_file(w)} for w in plan or wheels],
                                     requested=list(ensurepip_projects()) + (list(spec["buildRequirements"]) if plan else []),
                                     compile=False, log=log)
        except (RemoteError, OSError, ValueError) as e:
            raise RemoteError("builder", "cannot bootstrap pip into %s: %s" % (venv, getattr(e, "message", e)), attempts=1)
        return bool(plan)
    code, out = run_logged([vpy, "-m", "ensurepip", "--default-pip"], log, title="bootstrap pip with ensurepip")
    if code == 0 and os.access(os.path.join(venv, "bin", "pip"), os.X_OK):
        return False
    # No ensurepip here (e.g. Debian without python3-venv's wheels): run pip from a wheel.
    pip_whl = find_pip_wheel(boot_dirs + [spec["wheelDir"]] + list(spec["findLinks"]))
    if not pip_whl:
        raise RemoteError(
            "builder",
            "cannot bootstrap pip into %s: no pip wheel in %s" % (venv, ", ".join(boot_dirs + [spec["wheelDir"]])),
            tail=tail_of(out),
        )
    code, out = run_logged(
        [vpy, os.path.join(pip_whl, "pip"), "install", "--disable-pip-version-check"] + pip_source_args(spec, boot_dirs) + ["pip"],
        log,
        env=base_env(spec, venv),
        title="bootstrap pip",
    )
    if code != 0:
        raise RemoteError("builder", "cannot bootstrap pip into %s" % venv, tail=tail_of(out), attempts=1)
    return False


def ensure_builder(spec, log):
    """Create or refresh the builder venv; True when it changed. A stamp file records its spec.
    Ownership first (issue 8): a builder path that exists and is not ours (no stamp, no ownership
    file: a venv or directory someone else made) is refused, never wiped or installed into."""
    venv = spec["builderVenvPath"]
    vpy = os.path.join(venv, "bin", "python")
    stamp_path = os.path.join(venv, BUILDER_STAMP)
    want = {
        "scriptVersion": SCRIPT_VERSION,
        "python": python_identity(),
        "requirements": spec["buildRequirements"],
        "pipArgs": spec["pipArgs"],
    }
    parent = os.path.dirname(venv.rstrip("/")) or "/"
    os.makedirs(parent, exist_ok=True)
    lock_path = os.path.join(parent, "." + os.path.basename(venv.rstrip("/")) + ".lock")
    with Lock(lock_path, spec["lockTimeoutSec"], "builder venv %s" % venv, kind="lock"):
        try:
            ownership.check_replaceable(venv, markers=(BUILDER_STAMP, OWNED))
        except RemoteError as e:
            raise RemoteError("builder", e.message + " (the builder venv, venv_build_host_venv_path)")
        have = None
        raw = read_text(stamp_path)
        if raw:
            try:
                have = jsonfast.loads(raw)
            except ValueError:
                have = None
        usable = os.access(vpy, os.X_OK) and venv_python_version(venv) == python_version()
        if have == want and usable and not spec["recreateBuilder"]:
            return False
        import json
        import shutil
        wipe = spec["recreateBuilder"] or not usable or (have is not None and have.get("python") != want["python"])
        if wipe and os.path.lexists(venv):
            # check_replaceable() allowed it: ours (stamp or ownership file), or an empty directory
            if os.path.isdir(venv) and not os.path.islink(venv):
                shutil.rmtree(venv)
            else:
                os.unlink(venv)
        remove_quietly(stamp_path)  # a venv without the stamp is a partial one: redone next run
        if not os.path.isdir(venv):
            os.makedirs(venv)
        if not os.path.exists(os.path.join(venv, OWNED)):
            write_atomic(os.path.join(venv, OWNED), "created by wheelwright as a builder venv\n")
        boot_dirs = [d for d in spec["bootstrapWheelDirs"] if os.path.isdir(d)]
        installed = False
        if not (os.access(vpy, os.X_OK) and has_pip(venv)):
            clear_partial_builder(venv)
            installed = create_builder_venv(spec, venv, boot_dirs, log)
        if not installed:
            cmd = [vpy, "-m", "pip", "install", "--upgrade"] + pip_source_args(spec, boot_dirs) + spec["pipArgs"] + spec["buildRequirements"]
            run_with_retries(cmd, log, spec["retries"], spec["retryDelaySec"], env=base_env(spec, venv), title="install build requirements into the builder venv")
        write_atomic(stamp_path, json.dumps(want, sort_keys=True, indent=1) + "\n")
        return True


# -------------------------------------------------------------------------------------------- wheels


def wheel_metadata(path):
    """(project name, version) from the wheel's METADATA; falls back to the filename."""
    import zipfile  # here: a no-op opens no wheel

    m = WHEEL_RE.match(os.path.basename(path))
    name, version = (m.group("name"), m.group("version")) if m else (None, None)
    try:
        with zipfile.ZipFile(path) as z:
            meta = [n for n in z.namelist() if re.match(r"^[^/]+\.dist-info/METADATA$", n)]
            if meta:
                text = z.read(meta[0]).decode("utf-8", "replace")
                head = text.split("\n\n", 1)[0]
                nm = re.search(r"^Name:\s*(.+?)\s*$", head, re.M)
                vm = re.search(r"^Version:\s*(.+?)\s*$", head, re.M)
                if nm:
                    name = nm.group(1)
                if vm:
                    version = vm.group(1)
    except (zipfile.BadZipFile, OSError, KeyError):
        pass
    return name, version


def norm_version(v):
    return v.replace("_", "-").lower()


PIN_NAME_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-")


def parse_pin(line):
    """(name, version) of a stripped `name==version` (or ===) line: re.match(r"^([A-Za-z0-9][A-Za-z0-9._-]*)
    \\s*===?\\s*(\\S+)$", line).groups(), without re (a no-op reads every pin), or None."""
    i = 0
    while i < len(line) and line[i] in PIN_NAME_CHARS:
        i += 1
    if i == 0 or line[0] in "._-":
        return None
    rest = line[i:].lstrip()
    for op in ("===", "=="):
        if rest.startswith(op):
            v = rest[len(op):].lstrip()
            if v and not any(c.isspace() for c in v):
                return line[:i], v
    return None


def parse_pins(text):
    pins = []
    for line in (text or "").split("\n"):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        pin = parse_pin(line)
        if pin is None:
            return None
        pins.append(pin)
    return pins


def wheels_for_pins(wheel_dir, pins, manifest):
    """Map every pin to a wheel file in wheel_dir, preferring the manifest's; None if one is missing."""
    by_key = {}
    for w in (manifest or {}).get("wheels", []):
        by_key[(pep503(w["name"]), norm_version(w["version"]))] = w
    try:
        listing = sorted(os.listdir(wheel_dir))
    except OSError:
        return None
    found = {}
    for n in listing:
        m = parse_wheel_name(n)
        if m:
            found.setdefault((pep503(m["name"]), norm_version(m["version"])), []).append(n)
    out = []
    for name, version in pins:
        k = (pep503(name), norm_version(version))
        files = found.get(k)
        if not files:
            return None
        rec = by_key.get(k)
        file = rec["file"] if rec and rec["file"] in files else files[0]
        path = os.path.join(wheel_dir, file)
        st = os.stat(path)
        if rec and rec["file"] == file and rec.get("size") == st.st_size and rec.get("mtime") == int(st.st_mtime):
            sha = rec["sha256"]
        else:
            sha = sha256_file(path)
        out.append({"file": file, "name": name, "version": version, "sha256": sha, "size": st.st_size, "mtime": int(st.st_mtime)})
    return out


def move_into(src, wheel_dir, replace):
    """Move one wheel into the shared dir atomically. An existing file of that name is kept unless
    replace: pip took it from there (find-links) anyway, and its hash is what targets may have recorded."""
    dest = os.path.join(wheel_dir, os.path.basename(src))
    if os.path.exists(dest) and not replace:
        os.unlink(src)
        return dest
    try:
        os.replace(src, dest)
    except OSError as e:
        if e.errno != errno.EXDEV:
            raise
        tmp = os.path.join(wheel_dir, "." + os.path.basename(src) + ".ww-tmp-%d" % os.getpid())
        import shutil

        shutil.copyfile(src, tmp)
        os.chmod(tmp, 0o644)
        os.replace(tmp, dest)
        os.unlink(src)
    return dest


def public(wheels):
    return [{"file": w["file"], "name": w["name"], "version": w["version"], "sha256": w["sha256"], "size": w["size"]} for w in wheels]


# ---------------------------------------------------------------------------------------------- main


def inputs_header(spec):
    """The result file's first line: a hash of every build input, so "up to date" is one comparison."""
    fingerprint = sha256_bytes(
        jsonfast.dumps(
            {
                "v": SCRIPT_VERSION,
                "files": spec["files"],
                "pipArgs": spec["pipArgs"],
                "env": spec["buildEnv"],
                "indexUrl": spec.get("indexUrl") or None,
                "findLinks": spec["findLinks"],
                "python": python_version(),
            },
            sort_keys=True,
        ).encode("utf-8")
    )
    return fingerprint, "# wheelwright wheel build of %s for %s, inputs sha256:%s" % (spec["venvBasename"], spec["key"], fingerprint)


def current_result(spec, result_file, manifest_file, wheel_dir, header):
    """The pins and wheels of an up-to-date result, or None when a build is needed."""
    result_text = read_text(result_file)
    # line 1: upstream's header; line 2: the inputs' fingerprint
    if result_text is None or result_text.split("\n", 2)[1:2] != [header]:
        return None
    pins = parse_pins(result_text)
    manifest = None
    try:
        manifest = jsonfast.loads(read_text(manifest_file) or "null")
    except ValueError:
        manifest = None
    wheels = wheels_for_pins(wheel_dir, pins, manifest) if pins is not None else None
    if wheels is None:
        return None
    return pins, wheels, manifest


def unbuilt_result(base, pins, wheels, builder_changed, inputs_changed):
    """The answer when an up-to-date result is reused and pip does not run."""
    out = dict(base)
    out.update(ok=True, changed=builder_changed, built=False, builderChanged=builder_changed,
               inputsChanged=inputs_changed, attempts=0,
               constraints=["%s==%s" % p for p in pins], wheels=public(wheels))
    return out


def main(spec):
    req_dir = spec["requirementsDir"]
    wheel_dir = spec["wheelDir"]
    prefix = os.path.join(req_dir, spec["venvBasename"])
    files = {
        "requirements": prefix + "-requirements.txt",
        "globalConstraints": prefix + "-global-constraints.txt",
        "sourceConstraints": prefix + "-source-constraints.txt",
    }
    result_file = prefix + "-constraints.txt"
    manifest_file = prefix + "-wheels.json"
    log_path = prefix + "-wheel-build.log"
    log = proc.Log(log_path, fresh=True, header=proc.host_header("build-host"))
    ident = sha256_bytes(("%s\0%s\0%s" % (spec["venvPath"], spec["key"], req_dir)).encode("utf-8"))[:16]
    build_dir = os.path.join(os.path.dirname(wheel_dir.rstrip("/")) or "/", ".ww-build-" + ident)
    base = {
        "key": spec["key"],
        "log": log_path,
        "requirementsFile": files["requirements"],
        "globalConstraintsFile": files["globalConstraints"],
        "sourceConstraintsFile": files["sourceConstraints"],
        "constraintsFile": result_file,
        "buildDir": build_dir,
    }
    if spec.get("checkOnly"):
        # --tags install: read the result of an earlier build; never build, never write.
        fingerprint, header = inputs_header(spec)
        current = current_result(spec, result_file, manifest_file, wheel_dir, header)
        if current is None:
            raise RemoteError(
                "result",
                "wheels for %s (%s) are not built or out of date on this build host: run with --tags build" % (spec["venvPath"], spec["key"]),
            )
        pins, wheels, _manifest = current
        return unbuilt_result(base, pins, wheels, builder_changed=False, inputs_changed=False)

    # The build's distro packages: checked here (no package manager run), so that the build host's
    # no-op is this one command; the caller installs what is missing and asks again.
    try:
        remembered = Remembered()  # no dpkg run while dpkg's database is unchanged (wwremote.distro)
        missing = missing_packages(spec.get("distroPackages") or [], remembered)
        remembered.save()
    except RemoteError as e:
        raise RemoteError("builder", e.message)
    if missing:
        out = dict(base)
        out.update(ok=True, need="packages", packages=missing, changed=False)
        return out

    os.makedirs(req_dir, exist_ok=True)
    os.makedirs(wheel_dir, exist_ok=True)

    lock_path = os.path.join(req_dir, ".%s.lock" % spec["key"])
    with Lock(lock_path, spec["lockTimeoutSec"], "wheel build of %s, key %s" % (spec["venvPath"], spec["key"]), kind="lock"):
        try:
            builder_changed = ensure_builder(spec, log)

            inputs_changed = False
            for k, path in files.items():
                if read_text(path) != spec["files"][k]:
                    write_atomic(path, spec["files"][k])
                    inputs_changed = True

            fingerprint, header = inputs_header(spec)

            # Nothing to do? Decided here, in the same round trip, without running pip.
            if not spec["rebuild"]:
                current = current_result(spec, result_file, manifest_file, wheel_dir, header)
                if current is not None:
                    pins, wheels, manifest = current
                    new_manifest = {"inputs": fingerprint, "wheels": wheels}
                    if new_manifest != manifest:
                        import json

                        write_atomic(manifest_file, json.dumps(new_manifest, sort_keys=True, indent=1) + "\n")
                    return unbuilt_result(base, pins, wheels, builder_changed, inputs_changed)

            # Build. The build tools' byte-code compiles meanwhile (not on a no-op: finding the
            # tools hashes their wheels). The result file goes first: if we die half-way, the next run must rebuild.
            EARLY_PYCS.append(start_pycs(spec))
            proc.with_site()
            import json
            import shutil
            remove_quietly(result_file)
            remove_quietly(manifest_file)
            log.write("wheelwright wheel build of %s (venv %s) for %s, started %s\n" % (spec["venvBasename"], spec["venvPath"], spec["key"], now_iso()))
            builder_py = os.path.join(spec["builderVenvPath"], "bin", "python")
            cmd = [builder_py, "-m", "pip", "wheel", "--progress-bar", "off", "--wheel-dir", build_dir]
            cmd += pip_source_args(spec)
            cmd += ["--constraint", files["globalConstraints"], "--constraint", files["sourceConstraints"]]
            cmd += spec["pipArgs"]
            if spec["rebuild"]:
                cmd += ["--no-cache-dir"]
            cmd += ["--requirement", files["requirements"]]
            env = base_env(spec, spec["builderVenvPath"])
            env.update(spec["buildEnv"])

            def fresh_build_dir():
                shutil.rmtree(build_dir, ignore_errors=True)
                os.makedirs(build_dir)

            has_requirements = any(l.strip() and not l.strip().startswith("#") for l in spec["files"]["requirements"].split("\n"))
            try:
                if has_requirements:
                    attempts, _ = run_with_retries(
                        cmd, log, spec["retries"], spec["retryDelaySec"], env=env, title="pip wheel", before_attempt=fresh_build_dir, on_line=PipWheelProgress
                    )
                else:  # nothing to build: an empty result, without asking pip
                    attempts = 0
                    fresh_build_dir()
                built = []
                for n in sorted(os.listdir(build_dir)):
                    if not n.endswith(".whl"):
                        continue
                    src = os.path.join(build_dir, n)
                    name, version = wheel_metadata(src)
                    if not name or not version:
                        raise RemoteError("result", "cannot read the name and version of the built wheel %s" % n)
                    dest = move_into(src, wheel_dir, spec["rebuild"])
                    st = os.stat(dest)
                    built.append({"file": n, "name": name, "version": version, "sha256": sha256_file(dest), "size": st.st_size, "mtime": int(st.st_mtime)})
            finally:
                shutil.rmtree(build_dir, ignore_errors=True)

            byname = {}
            for w in built:
                prev = byname.get(pep503(w["name"]))
                if prev and norm_version(prev["version"]) != norm_version(w["version"]):
                    raise RemoteError("result", "pip produced two versions of %s: %s and %s" % (w["name"], prev["file"], w["file"]))
                byname[pep503(w["name"])] = w
            wheels = sorted(byname.values(), key=lambda w: (w["name"].lower(), w["name"]))
            pins = ["%s==%s" % (w["name"], w["version"]) for w in wheels]
            write_atomic(manifest_file, json.dumps({"inputs": fingerprint, "wheels": wheels}, sort_keys=True, indent=1) + "\n")
            write_atomic(result_file, UPSTREAM_HEADER + "\n" + header + "\n" + "".join(p + "\n" for p in pins))
            out = dict(base)
            out.update(
                ok=True,
                changed=True,
                built=True,
                builderChanged=builder_changed,
                inputsChanged=inputs_changed,
                attempts=attempts,
                constraints=pins,
                wheels=public(wheels),
            )
            return out
        except BaseException as exc:
            # Whatever failed, the next run must not see "inputs unchanged, result present".
            for path in list(files.values()) + [result_file, manifest_file]:
                try:
                    remove_quietly(path)
                except OSError:
                    pass
            if isinstance(exc, RemoteError):
                exc.log = exc.log or log_path
            elif isinstance(exc, Exception):
                exc.ww_log = log_path
            raise
        finally:
            log.close()


def requirement_name(r):
    """A requirement's text up to its first space, comparison, marker or extras (re.split(r"[\\s<>=!~;\\[]", r, 1)[0])."""
    for i, c in enumerate(r):
        if c.isspace() or c in "<>=!~;[":
            return r[:i]
    return r


EARLY_PYCS = []  # what start_pycs() started for this run's build (main() starts it once it builds)


def start_pycs(spec):
    """Byte-code for the targets, started before `pip wheel` (which mostly keeps one core busy): the
    pip wheel targets take from their distro and the build tools found in the local wheel dirs
    (setuptools, wheel: the bulk of the files to compile) are compiled by a forked child while pip
    builds. Not niced: on a loaded host a niced child starved and the build then waited for it (24 s
    for 2.3 CPU-s at load 30). Returns (pid, pipe) or None when all of it is cached already (a
    no-op forks nothing). with_pycs() waits for it and finds them cached."""
    if not spec.get("pycs") or spec.get("checkOnly"):
        return None
    try:
        from wwremote import pycache

        tag = pycache.interpreter_tag()
        if tag is None:
            return None
        wheel_dir = spec["wheelDir"]
        local = [d for d in spec["bootstrapWheelDirs"] + list(spec["findLinks"]) if "://" not in d]
        names = [requirement_name(r) for r in spec["buildRequirements"]]
        cands = pycache.likely_wheels(local, names)
        pip = pycache.pip_wheel_for_targets(spec["bootstrapWheelDirs"], os.path.join(wheel_dir, pycache.SUBDIR, "pip-wheel.json"))
        if pip:
            cands.append(pip)
        todo = [w for w in cands if pycache.cached(wheel_dir, w, tag) is None]
    except Exception:  # noqa: BLE001 (with_pycs() compiles them then)
        return None
    if not todo:
        return None
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: compile, report, exit (never returns into the build)
        code = 1
        try:
            os.close(r)
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, 1)  # the result line is the parent's alone
            pycache.companions(wheel_dir, todo)
            os.write(w, jsonfast.dumps(pycache.LAST_STATS).encode("utf-8"))
            code = 0
        finally:
            os._exit(code)
    os.close(w)
    return pid, r


def finish_pycs(started):
    """Wait for start_pycs()'s child; what it did ({wheels, files, seconds, cpu}) or None."""
    if not started:
        return None
    pid, r = started
    data = b""
    try:
        with os.fdopen(r, "rb") as f:
            data = f.read()
    finally:
        os.waitpid(pid, 0)
    try:
        return jsonfast.loads(data.decode("utf-8")) if data else None
    except ValueError:
        return None


def with_pycs(spec, out, early=None):
    """Byte-code for the targets (spec `pycs`, when they compile it): each wheel of the result, and
    the pip wheel targets add from their distro when the closure has none, compiled once here into
    a companion next to the wheels (cached by wheel sha256: a one-package change compiles that
    package); listed in the result as `pycs` [{wheel: sha256, file, sha256, size}]. Outside the
    build's lock: companions are written atomically and two builds write the same bytes. A
    failure here costs the targets their compile time, never the build."""
    if not spec.get("pycs") or not out.get("ok") or out.get("need") or "wheels" not in out:
        return out
    from wwremote import pycache

    wheel_dir = spec["wheelDir"]
    wheels = [{"file": w["file"], "sha256": w["sha256"]} for w in out["wheels"]]
    if not any(pep503(w["name"]) == "pip" for w in out["wheels"]):
        pip = pycache.pip_wheel_for_targets(spec["bootstrapWheelDirs"], os.path.join(wheel_dir, pycache.SUBDIR, "pip-wheel.json"))
        if pip:
            wheels.append(pip)
    log = None
    try:
        log = open(out.get("log") or os.devnull, "a")
        create = not spec.get("checkOnly")
        if create and any(pycache.cached(wheel_dir, w, pycache.interpreter_tag() or ("", "")) is None for w in wheels):
            progress("byte-compiling for the targets")
        pycache.LAST_STATS.clear()
        out["pycs"] = pycache.companions(wheel_dir, wheels, create=create, log=log)
        # what compiling cost here: during the build (early) and after it
        out["pycsCompiled"] = {"duringBuild": early, "afterBuild": dict(pycache.LAST_STATS) or None}
        if early and log:
            log.write("byte-code for the targets, during pip wheel: %d wheels, %d files in %.2f s (%.2f CPU-s)\n"
                      % (early["wheels"], early["files"], early["seconds"], early["cpu"]))
    except Exception as e:  # noqa: BLE001 (the targets compile themselves then)
        out["pycs"] = []
        if log:
            log.write("byte-code for the targets not made: %s: %s\n" % (type(e).__name__, e))
    finally:
        if log:
            log.close()
    return out


def load_spec():
    if WW_SPEC_JSON:
        spec = jsonfast.loads(WW_SPEC_JSON)
    elif len(sys.argv) > 1:  # debugging: python3 build_wheels.py spec.json (wwremote on PYTHONPATH)
        with open(sys.argv[1]) as f:
            spec = jsonfast.loads(f.read())
    else:
        raise RemoteError("spec", "no spec given")
    spec.setdefault("findLinks", [])
    spec.setdefault("bootstrapWheelDirs", ["/usr/share/python-wheels"])
    spec.setdefault("buildEnv", {})
    spec.setdefault("pipArgs", ["--no-build-isolation"])
    spec.setdefault("buildRequirements", ["setuptools", "wheel"])
    spec.setdefault("rebuild", False)
    spec.setdefault("hostPipConfig", False)
    spec.setdefault("recreateBuilder", False)
    spec.setdefault("lockTimeoutSec", 1800)
    spec.setdefault("retries", 2)
    spec.setdefault("retryDelaySec", 10)
    return spec


if __name__ == "__main__":
    def step():
        spec = load_spec()
        try:
            out = main(spec)
        finally:
            done = finish_pycs(EARLY_PYCS[0] if EARLY_PYCS else None)
        return with_pycs(spec, out, done)

    sys.exit(run_main(step))
