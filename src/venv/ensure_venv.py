# -*- coding: utf-8 -*-
"""wheelwright: make a venv hold exactly the packages a spec asks for.

Runs on the host that owns the venv (the controller for `wheelwright venv ...`, a target over SSH
for the python_venv_build role), in ONE round trip: src/remote/run.ts sends it with the JSON spec
(WW_SPEC_JSON) through src/remote/boot.py, which keeps its compiled code on the host. renderScript()
(src/venv/ensure.ts) can instead embed the spec as base64 for `python3 -` with the text on stdin;
for debugging the spec can also be given as a file: `python3 ensure_venv.py spec.json`.

Stdlib only, Python >= 3.6. Prints exactly one result line `WW-RESULT <json>` on stdout; progress
goes to stderr, pip's output to the log file. Exit status 0 on success, 1 on failure (the result
line then has ok=false, kind, error, log, logTail).

Actions: ensure (default), gc, rollback, role_target. (Wheels are built by src/wheels/build_wheels.py.) See docs/local-venvs.md for the spec.
"""
import os
import sys
import time

try:
    import wwremote  # noqa: F401  (defined in front of this script by src/remote/assemble.ts)
except ImportError:  # run from a checkout: python3 src/venv/ensure_venv.py spec.json
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "remote"))
from wwremote import distro as ww_distro  # noqa: E402
from wwremote import jsonfast  # noqa: E402  (json without re: the no-op check imports neither)
from wwremote import ownership, proc  # noqa: E402
from wwremote.errors import RemoteError, run_main  # noqa: E402
from wwremote.facts import facts_current, write_facts  # noqa: E402
from wwremote.fsutil import read_json, rm_rf, sha256, sha256_file, write_atomic  # noqa: E402
from wwremote.lock import Lock  # noqa: E402
from wwremote.relazy import compiled, re  # noqa: E402
from wwremote.symlinks import link_into, symlink_sources  # noqa: E402
from wwremote.wheelfile import find_pip_wheel as ww_find_pip_wheel, parse_wheel_name, pep503  # noqa: E402

SPEC_B64 = None  # @@WW_SPEC@@ (replaced by the TypeScript side in a script run as `python3 -`)
WW_SPEC_JSON = globals().get("WW_SPEC_JSON")  # this call's spec, set by src/remote/boot.py

MARKER = ".wheelwright-marker.json"
ACTIVATED = ".wheelwright-activated"
OWNED = ".wheelwright-owned"  # written into a venv dir before anything else: a leftover is provably ours
MARKER_VERSION = 1
SYSTEM_WHEELS = "/usr/share/python-wheels"


def say(msg):
    sys.stderr.write("wheelwright: %s\n" % msg)
    sys.stderr.flush()


# ---------------------------------------------------------------- small helpers

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
# (wwremote.ownership): a venv dir is ours when it holds MARKER or OWNED, or is a generations symlink.

def is_wheelwright_owned(path):
    return ownership.is_wheelwright_owned(path, (MARKER, OWNED))


def check_replaceable(path, force=False):
    ownership.check_replaceable(path, force, markers=(MARKER, OWNED), say=say)


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
    h = sha256()
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
    from wwremote import installer as ww_installer  # loaded only when something is installed
    dirs = [d for d in find_links if d and "://" not in d and os.path.isdir(d)] + [SYSTEM_WHEELS]
    wheel = ww_find_pip_wheel(dirs)
    if wheel and os.path.isdir(site_packages(venv)):
        log.write("bootstrap: installing %s\n" % wheel)
        ww_installer.install_wheels(venv, [{"path": wheel, "sha256": sha256_file(wheel)}], log=log)
        return "wheel:" + os.path.basename(wheel)
    log.write("bootstrap: ensurepip\n")
    rc = run_logged([venv_python(venv), "-m", "ensurepip", "--default-pip"], log, {})
    if rc != 0:
        raise RemoteError("venv", "could not bootstrap pip into %s (no local pip wheel and ensurepip failed)" % venv)
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

ISOLATED = [False]  # set from spec.isolated by main(): ignore the host's pip config and PIP_* variables


def run_logged(argv, log, env, cwd=None):
    """A logged pip/venv command in the environment pip runs in here (isolated from the host's pip
    configuration when the spec says so); the exit code."""
    return proc.run_logged(argv, log, proc.pip_env(env, ISOLATED[0]), cwd=cwd)


def missing_requirement(text):
    m = re.findall(r"No matching distribution found for ([^\n]+)", text)
    if m:
        return m[-1].strip()
    m = re.findall(r"Could not find a version that satisfies the requirement (\S+)", text)
    return m[-1].strip() if m else None


def pip_failure(what, log, venv_desc, spec):
    text = log.section()
    req = missing_requirement(text)
    if req:
        where = ", ".join(spec.get("findLinks") or []) or "(no find-links)"
        idx = "no index" if spec.get("noIndex") else (spec.get("indexUrl") or "default index")
        msg = "%s: no distribution found for requirement '%s' (find-links: %s; %s)" % (venv_desc, req, where, idx)
        return RemoteError("missing", msg, log.path, log.start, requirement=req)
    return RemoteError("pip", "%s: %s failed" % (venv_desc, what), log.path, log.start)


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
        os.getpid(), os.uname()[1], time.strftime("%Y-%m-%dT%H:%M:%S%z")))
    rc = run_logged([sys.executable, "-m", "venv", "--without-pip", venv], log, {})
    if rc != 0:
        raise RemoteError("venv", "%s: `%s -m venv` failed (is the venv module installed? on Debian/Ubuntu: python3-venv)" % (desc, sys.executable), log.path, log.start)
    if not bootstrap:
        return
    how = bootstrap_pip(venv, spec.get("findLinks") or [], log)
    log.write("pip bootstrapped via %s\n" % how)


def link_symlinks(venv, spec, log):
    """Hook for the role: link distro-packaged top-level modules/packages (absolute paths, already
    filtered to python3*/(site|dist)-packages and without __pycache__) into the venv."""
    return link_into(site_packages(venv), clean_lines(spec.get("symlinks")), log)


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
        "host": os.uname()[1],
    }
    import json

    write_atomic(os.path.join(venv, MARKER), json.dumps(marker, indent=1, sort_keys=True) + "\n")
    return marker


def pinned_mode(spec, fresh):
    """Wheel-build targets: the build result names every wheel of the closure; a fresh venv gets
    exactly those, without pip's resolver (an in-place update or `absent` goes through pip)."""
    return bool(spec.get("pinned")) and fresh and (spec.get("packageState") or "latest") != "absent"


def pip_install_listed(venv, paths, pip_args, log, env, tmp_parent):
    """pip installs exactly the wheel files `paths`, without resolving, but BY NAME (`name==version`
    from a directory holding links to those files only), as upstream's targets install: given file
    paths, pip would write a direct_url.json for each and `pip freeze` would print `name @
    file:///...` instead of `name==version`. The exit code."""
    import tempfile
    only = tempfile.mkdtemp(prefix=".ww-listed-", dir=tmp_parent)
    try:
        reqs = []
        for p in paths:
            os.symlink(os.path.abspath(p), os.path.join(only, os.path.basename(p)))
            w = parse_wheel_name(p)
            reqs.append("%s==%s" % (w["name"], w["version"]) if w else p)
        argv = [venv_python(venv), "-m", "pip", "install", "--no-deps", "--no-index", "--find-links", only] + pip_args
        return run_logged(argv + reqs, log, env)
    finally:
        rm_rf(only)


def install_pinned(venv, spec, log, desc, prev):
    """Install the pinned closure (already in the local wheelhouse, verified) plus pip itself.
    Unchanged packages are hard-linked from the previous generation `prev`. Returns the marker's
    {wheel sha256: dist-info name}."""
    from wwremote import installer as ww_installer  # loaded only when something is installed
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
    # pip's --compile / --no-compile (venv_pip_install_args) are the installer's own choice too; any
    # other pip argument makes pip install the explicit files
    pip_args = list(spec.get("pipArgs") or [])
    compile_pycs = spec.get("compile", True)
    if pip_args and all(a in ("--compile", "--no-compile") for a in pip_args):
        compile_pycs = pip_args[-1] == "--compile"  # the last one wins, as in pip
        pip_args = []
    try:
        if pip_args:
            # extra pip arguments asked for: pip installs the listed files, still without resolving
            flags = [a for a in pip_args if a in ("--compile", "--no-compile")]
            ww_installer.install_wheels(venv, wheels[len(pinned["wheels"]):], log=log,
                                        compile=flags[-1] == "--compile" if flags else compile_pycs)
            rc = pip_install_listed(venv, [w["path"] for w in wheels[:len(pinned["wheels"])]], pip_args, log, spec.get("env") or {}, wh)
            if rc != 0:
                raise pip_failure("pip install --no-deps", log, desc, spec)
            dists = {}
        else:
            res = ww_installer.install_wheels(venv, wheels, requested, prev_venv=prev if prev_dists else None,
                                              prev_dists=prev_dists, compile=compile_pycs, log=log, pycs=shipped_pycs(pinned))
            dists = res["dists"]
    except RemoteError as e:
        if e.kind != "install":
            raise
        raise RemoteError("pip", "%s: installing the pinned wheels failed: %s" % (desc, e), log.path, log.start)
    if not pip_whl and "pip" not in names:
        log.write("bootstrap: no pip wheel in %s or %s: ensurepip\n" % (wh, SYSTEM_WHEELS))
        if run_logged([venv_python(venv), "-m", "ensurepip", "--default-pip"], log, {}) != 0:
            raise RemoteError("venv", "could not put pip into %s (no pip wheel and ensurepip failed)" % venv)
    return dists


def shipped_pycs(pinned):
    """{wheel sha256: companion path} of the byte-code companions in the wheelhouse (fetched or
    pushed and verified by sha256 in this run; the installer checks each against the interpreter)."""
    out = {}
    for p in pinned.get("pycs") or []:
        path = os.path.join(pinned["wheelhouse"], *p["file"].split("/"))
        if os.path.isfile(path):
            out[p["wheel"]] = path
    return out


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
        time.strftime("%Y-%m-%dT%H:%M:%S%z"), os.getpid(), os.uname()[1], action, path, hsh[:12]))


# ---------------------------------------------------------------- ensure: in place

def ensure_inplace(spec, path, hsh, py):
    venv = path
    desc = "venv %s" % venv
    m = None if spec.get("rebuild") else marker_ok(venv, hsh)
    if m:
        return {"changed": False, "venvDir": venv, "installed": dict(x.split("==", 1) for x in m.get("installed", []))}
    log = proc.Log(path + ".log")
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
    except RemoteError as f:
        if f.log is None:
            f.log, f.log_start = log.path, log.start
        raise
    except Exception as e:
        raise RemoteError("internal", "%s: %s: %s" % (desc, type(e).__name__, e), log.path, log.start)
    finally:
        if staging:
            rm_rf(staging)
        log.close()


# ---------------------------------------------------------------- ensure: generations

GENERATION_NAME = compiled(r"^(?:[0-9a-f]{12}(?:-[0-9]+)?|legacy-[0-9]+)$")


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
    log = proc.Log(path + ".log")
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
    except RemoteError as f:
        if f.log is None:
            f.log, f.log_start = log.path, log.start
        raise
    except Exception as e:
        raise RemoteError("internal", "%s: %s: %s" % (desc, type(e).__name__, e), log.path, log.start)
    finally:
        log.close()


def do_ensure(spec):
    py = interpreter_info()
    if not spec.get("hash"):
        raise RemoteError("spec", "spec has no hash")
    hsh = effective_hash(spec["hash"], py)
    path = expand_path(spec["path"], py, hsh)
    layout = spec.get("layout") or "inplace"
    check_replaceable(path, spec.get("force"))  # before the lock and log files appear next to it
    ownership.check_side_files(path)  # and those, if there, are ours too
    parent = os.path.dirname(path)
    os.makedirs(parent, exist_ok=True)  # another run may make it at the same time (no lock exists yet)
    lock = Lock(path + ".lock", float(spec.get("lockTimeoutSec") or 600), say=say, what="ensure").acquire()
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
                raise RemoteError("spec", "%s is a symlink (generations layout?); refusing to build in place" % path)
            res = ensure_inplace(spec, path, hsh, py)
        else:
            raise RemoteError("spec", "unknown layout %r" % layout)
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
        what = ownership.describe_existing(path) if os.path.lexists(path) else "nothing"
        raise RemoteError("spec", "%s is not a wheelwright generations venv (a symlink into %s.generations): it is %s"
                      % (path, os.path.basename(path), what))
    ownership.check_side_files(path)
    lock = Lock(path + ".lock", float(spec.get("lockTimeoutSec") or 600), say=say, what="rollback").acquire()
    try:
        gd = gens_dir(path)
        cur = current_generation(path)
        target = spec.get("generation")
        if not target:
            good = [n for n in os.listdir(gd) if n != cur and os.path.exists(os.path.join(gd, n, MARKER))]
            good.sort(key=lambda n: activation_time(os.path.join(gd, n)), reverse=True)
            if not good:
                raise RemoteError("rollback", "%s: no previous generation to roll back to" % path)
            target = good[0]
        elif not os.path.exists(os.path.join(gd, target, MARKER)):
            raise RemoteError("rollback", "%s: generation %s does not exist or is incomplete" % (path, target))
        switch_to(path, target)
        m = read_json(os.path.join(gd, target, MARKER)) or {}
        return {"changed": target != cur, "path": path, "venvDir": os.path.join(gd, target), "generation": target,
                "previous": cur, "installed": dict(x.split("==", 1) for x in m.get("installed", []))}
    finally:
        lock.release()


# ---------------------------------------------------------------- gc of a cache directory

CACHE_NAME = compiled(r"^[0-9]+\.[0-9]+-[0-9a-f]{16}$")  # `{pyver}-{hash}`, the cache path of `venv ensure`


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
        build = Lock(d + ".lock", 0, say=say, what="gc")
        if not build.try_acquire():
            busy.append(n)
            continue
        use = Lock(stamp, 0, say=say, what="gc")
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
    distro = DISTRO_NAMES.get(ident) or osr.get("NAME") or os.uname()[0] or "Unknown"
    version = osr.get("VERSION_ID", "")
    if ident == "debian":
        try:
            with open("/etc/debian_version") as f:
                dv = f.readline().strip()
            if all(x.isdecimal() for x in dv.split(".")):  # re.match(r"^\d+(\.\d+)*$", dv)
                version = dv
        except (IOError, OSError):
            pass
    if distro.lower() == "ubuntu":
        v = ".".join(version.split(".")[:2])
    else:
        v = version.split(".")[0]
    return "-".join("_".join(x.strip().lower().split()) for x in (distro, v, os.uname()[4]))  # whitespace runs: _


def missing_distro_packages(pkgs, remembered=None):
    """Distro packages (apt `name`, `name=ver`, rpm `name`) that are not installed."""
    return ww_distro.missing_packages(pkgs, remembered)


def venv_current(spec, path, hsh):
    """The venv the path serves already holds this spec (the no-op test, without the lock)."""
    if spec.get("rebuild"):
        return False
    if (spec.get("layout") or "inplace") == "generations":
        cur = current_generation(path)
        return bool(cur and marker_ok(os.path.join(gens_dir(path), cur), hsh))
    return bool(marker_ok(path, hsh))


def check_repositories(spec):
    """An unreachable http wheel repository makes pip report a misleading resolution conflict: say what it is."""
    import urllib.request
    for url in spec.get("findLinks") or []:
        if not re.match(r"^https?://", url):
            continue
        try:
            urllib.request.urlopen(url, timeout=15).close()
        except Exception as e:  # URLError, HTTPError, socket errors
            raise RemoteError("missing", "the wheel repository %s is not reachable from %s: %s (check openstack_repo_url and that the repo server serves it)"
                          % (url, os.uname()[1], getattr(e, "reason", e)))


def fetch_pinned(ww_fetch, url, wheels, pycs, wh):
    """Fetch what the wheelhouse lacks of the wheels and their byte-code companions. A companion
    that cannot be fetched costs only the target's compile time: the wheels are fetched alone then."""
    try:
        return ww_fetch.fetch(url, list(wheels) + list(pycs), wh)
    except RemoteError as e:
        if e.kind != "fetch" or not pycs:
            raise
        say("byte-code from the build host not fetched (%s): compiling here" % e.message)
        return ww_fetch.fetch(url, wheels, wh)


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
    # no dpkg run on a no-op: answers are remembered per dpkg database stamp (wwremote.distro)
    remembered = ww_distro.Remembered()
    missing = missing_distro_packages(p.get("distroPackages") or [], remembered)
    if missing:
        return {"need": "packages", "packages": missing, "key": key, "changed": False}
    spec["symlinks"] = symlink_sources(p.get("symlinkPackages") or [], remembered)
    if not p.get("check"):
        remembered.save()
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
    if not current:
        proc.with_site()  # real work: the host's Python as usual from here on
    pinned = spec.get("pinned")
    if not current and pinned:
        from wwremote import fetch as ww_fetch  # loaded only when something is installed
        # exactly the build's wheels, verified by sha256: http fetches what is missing itself (in
        # parallel); push asks the controller for the missing ones
        wh = pinned["wheelhouse"]
        # with the wheels, their byte-code compiled on the build host (wwremote.pycache), if any
        pycs = pinned.get("pycs") or [] if spec.get("compile", True) else []
        if pinned.get("url"):
            try:
                got = fetch_pinned(ww_fetch, pinned["url"], pinned["wheels"], pycs, wh)
            except RemoteError as e:
                if e.kind != "fetch":
                    raise
                raise RemoteError("missing", "the wheel repository %s is not reachable from %s, or does not serve the built wheels: %s "
                              "(check openstack_repo_url and that the repo server serves it)" % (pinned["url"], os.uname()[1], e.message))
            if got:
                say("fetched %d file(s) from %s" % (len(got), pinned["url"]))
        else:
            # the wheelhouse is shared by every venv of the host and no lock is held here
            os.makedirs(os.path.join(wh, "pyc"), exist_ok=True)
            lacking = ww_fetch.lacking(wh, list(pinned["wheels"]) + list(pycs))
            if lacking:
                return {"need": "wheels", "wheels": [w["file"] for w in lacking], "key": key, "changed": False}
    elif not current:
        check_repositories(spec)
    res = do_ensure(spec)
    res["key"] = key
    res["repaired"] = []
    if not res["changed"]:
        # the same round trip checks what a no-op must still guarantee: links and facts in place
        if link_symlinks(res["venvDir"], spec, None):
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
    if WW_SPEC_JSON:
        return jsonfast.loads(WW_SPEC_JSON)
    if SPEC_B64:
        import base64

        return jsonfast.loads(base64.b64decode(SPEC_B64).decode("utf-8"))
    if len(sys.argv) > 1:
        with open(sys.argv[1]) as f:
            return jsonfast.loads(f.read())
    raise RemoteError("spec", "no spec given")


def main():
    def step():
        spec = load_spec()
        action = spec.get("action") or "ensure"
        ISOLATED[0] = bool(spec.get("isolated") or (spec.get("builder") or {}).get("isolated"))
        if action != "role_target":
            proc.with_site()  # only the role's target check keeps its no-op without the site module
        if action == "ensure":
            return do_ensure(spec)
        if action == "rollback":
            return do_rollback(spec)
        if action == "gc":
            return do_gc(spec)
        if action == "role_target":
            ISOLATED[0] = bool((spec.get("spec") or {}).get("isolated") or any(c.get("isolated") for c in (spec.get("candidates") or {}).values()))
            return do_role_target(spec)
        raise RemoteError("spec", "unknown action %r" % action)

    return run_main(step)


if __name__ == "__main__":
    sys.exit(main())
