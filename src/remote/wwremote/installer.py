"""Install wheels into a fresh venv as the wheel spec says (PEP 427, PEP 376 RECORD, PEP 491 .data
dirs), with what pip's installer adds (console/GUI scripts written for the venv's interpreter with
pip's own template, pip's versioned pip/easy_install scripts, INSTALLER, REQUESTED, byte-code with
its RECORD lines), so that `pip list`, `pip check`, `pip uninstall`, console scripts and
importlib.metadata see what pip would have installed. No resolver: the caller gives the exact,
already pinned and verified wheel files.

A distribution whose wheel (same sha256) is already installed in the previous generation of the
venv is hard-linked from it instead of unpacked (scripts, whose first line names the interpreter,
are rewritten; RECORD, INSTALLER and REQUESTED are written anew), so a one-package change costs
that package. Byte-code is compiled only for what was unpacked, in parallel.
"""
import compileall
import configparser
import csv
import importlib.util
import io
import os
import re
import shutil
import sys
import sysconfig
import warnings
import zipfile

from wwremote.errors import RemoteError
from wwremote.fsutil import record_hash
from wwremote.pycache import Companion, entry_mtime
from wwremote.wheelfile import pep503

INSTALLER_NAME = "wheelwright"

# distlib's template, as pip writes console scripts
SCRIPT_TEMPLATE = r'''# -*- coding: utf-8 -*-
import re
import sys
from %(module)s import %(import_name)s
if __name__ == '__main__':
    sys.argv[0] = re.sub(r'(-script\.pyw|\.exe)?$', '', sys.argv[0])
    sys.exit(%(func)s())
'''


def install_error(message):
    """A wheel that cannot be installed: RemoteError kind `install`."""
    return RemoteError("install", message)


class Scheme(object):
    """Where a venv keeps each kind of file (sysconfig's venv scheme, as pip uses it)."""

    def __init__(self, venv):
        self.venv = venv
        names = sysconfig.get_scheme_names()
        scheme = "venv" if "venv" in names else "posix_prefix"
        v = {"base": venv, "platbase": venv, "installed_base": venv, "installed_platbase": venv}
        paths = sysconfig.get_paths(scheme, vars=v)
        self.purelib = paths["purelib"]
        self.platlib = paths["platlib"]
        self.scripts = paths["scripts"]
        self.data = paths["data"]
        self.python = os.path.join(self.scripts, "python")

    def headers(self, dist_name):
        return os.path.join(self.venv, "include", "site", "python%d.%d" % sys.version_info[:2], dist_name)


def _safe_join(base, rel):
    parts = rel.split("/")
    if rel.startswith("/") or ".." in parts or any(p == "" for p in parts[:-1]):
        raise install_error("unsafe path in wheel: %r" % rel)
    return os.path.join(base, *parts)


def _record_path(path, lib_dir):
    return os.path.relpath(path, lib_dir).replace(os.path.sep, "/")


def shebang(python):
    exe = python.encode(sys.getfilesystemencoding())
    if b" " not in exe and len(exe) + 3 <= 127:
        return b"#!" + exe + b"\n"
    return b"#!/bin/sh\n'''exec' " + exe + b' "$0" "$@"\n' + b"' '''\n"


def script_bytes(python, spec):
    """`module:attr[.attr]` (extras ignored) as pip's generated script."""
    target = re.sub(r"\[.*\]\s*$", "", spec).strip()
    if ":" not in target:
        raise install_error("invalid entry point %r" % spec)
    module, func = [x.strip() for x in target.split(":", 1)]
    body = SCRIPT_TEMPLATE % {"module": module, "import_name": func.split(".")[0], "func": func}
    return shebang(python) + body.encode("utf-8")


def console_script_specs(console):
    """pip's rule: pip and easy_install get versioned names for THIS interpreter; the wheel's own
    versioned ones (pip3.9 from the machine that built it) are dropped."""
    console = dict(console)
    out = []
    mm = "%d.%d" % sys.version_info[:2]
    pip_script = console.pop("pip", None)
    if pip_script:
        out += [("pip", pip_script), ("pip%d" % sys.version_info[0], pip_script), ("pip" + mm, pip_script)]
        for k in [k for k in console if re.match(r"pip(\d+(\.\d+)?)?$", k)]:
            del console[k]
    ei = console.pop("easy_install", None)
    if ei:
        out += [("easy_install", ei), ("easy_install-" + mm, ei)]
        for k in [k for k in console if re.match(r"easy_install(-\d+\.\d+)?$", k)]:
            del console[k]
    return out + sorted(console.items())


def parse_entry_points(text):
    cp = configparser.RawConfigParser(delimiters=("=",))
    cp.optionxform = str
    cp.read_string(text)
    get = lambda sec: dict(cp.items(sec)) if cp.has_section(sec) else {}
    return get("console_scripts"), get("gui_scripts")


def _write(path, data, executable=False):
    d = os.path.dirname(path)
    if not os.path.isdir(d):
        os.makedirs(d)
    if os.path.lexists(path):
        raise install_error("two distributions install %s" % path)
    with open(path, "wb") as f:
        f.write(data)
    if executable:
        os.chmod(path, 0o755)


class Dist(object):
    """One distribution being installed: its files (RECORD path -> (hash, size))."""

    def __init__(self, name, info_dir, lib_dir):
        self.name = name
        self.info_dir = info_dir  # absolute
        self.lib_dir = lib_dir
        self.files = {}
        self.py_files = []
        self.sources = {}  # root .py files unpacked: dest -> (wheel entry, mtime, size), for shipped byte-code
        self.to_compile = None  # what is left to byte-compile here (None: all of py_files)

    def add(self, path, data):
        self.files[_record_path(path, self.lib_dir)] = (record_hash(data), str(len(data)))


def unpack_wheel(whl, sch):
    """Unpack one wheel (not yet its scripts/INSTALLER/RECORD): the spec's steps."""
    with zipfile.ZipFile(whl) as z:
        infos = [zi for zi in z.infolist() if not zi.filename.endswith("/")]
        tops = set(zi.filename.split("/", 1)[0] for zi in infos)
        info_dirs = [t for t in tops if t.endswith(".dist-info") and (t + "/WHEEL") in z.namelist()]
        if len(info_dirs) != 1:
            raise install_error("%s: expected one .dist-info directory with a WHEEL file, found %d" % (whl, len(info_dirs)))
        info = info_dirs[0]
        data_dir = info[: -len(".dist-info")] + ".data"
        wheel_meta = z.read(info + "/WHEEL").decode("utf-8", "replace")
        m = re.search(r"^Root-Is-Purelib:\s*(\S+)", wheel_meta, re.M)
        root = sch.purelib if m and m.group(1).lower() == "true" else sch.platlib
        meta = z.read(info + "/METADATA").decode("utf-8", "replace").split("\n\n", 1)[0]
        nm = re.search(r"^Name:\s*(.+?)\s*$", meta, re.M)
        name = nm.group(1) if nm else info.split("-", 1)[0]
        dist = Dist(name, os.path.join(root, info), root)
        for zi in infos:
            n = zi.filename
            data = z.read(zi)
            executable = bool((zi.external_attr >> 16) & 0o111)
            if n.startswith(data_dir + "/"):
                parts = n.split("/", 2)
                if len(parts) < 3:
                    raise install_error("%s: bad entry %s" % (whl, n))
                key, rest = parts[1], parts[2]
                if key == "headers":
                    dest = _safe_join(sch.headers(name), rest)
                elif key in ("purelib", "platlib", "scripts", "data"):
                    dest = _safe_join(getattr(sch, key), rest)
                else:
                    raise install_error("%s: unknown .data directory %s" % (whl, key))
                if key == "scripts":
                    executable = True
                    if data.startswith(b"#!python"):
                        nl = data.find(b"\n")
                        data = shebang(sch.python) + (data[nl + 1:] if nl >= 0 else b"")
            else:
                if n.endswith(".dist-info/RECORD") and n.split("/", 1)[0] == info:
                    continue  # written anew
                dest = _safe_join(root, n)
            _write(dest, data, executable)
            # the same mtime on every host (wwremote.pycache): the build host's pycs match it
            t = entry_mtime(zi.date_time)
            os.utime(dest, (t, t))
            dist.add(dest, data)
            if dest.endswith(".py") and (dest.startswith(sch.purelib + os.sep) or dest.startswith(sch.platlib + os.sep)):
                dist.py_files.append(dest)
                if not n.startswith(data_dir + "/"):
                    dist.sources[dest] = (n, t, len(data))
        ep = info + "/entry_points.txt"
        entry_text = z.read(ep).decode("utf-8") if ep in z.namelist() else ""
    console, gui = parse_entry_points(entry_text) if entry_text else ({}, {})
    for script, spec in console_script_specs(console) + sorted(gui.items()):
        path = os.path.join(sch.scripts, script)
        data = script_bytes(sch.python, spec)
        if os.path.lexists(path):
            os.unlink(path)  # pip clobbers
        _write(path, data, True)
        dist.add(path, data)
    return dist


def read_record(info_dir):
    with open(os.path.join(info_dir, "RECORD"), "r", encoding="utf-8", newline="") as f:
        return [r for r in csv.reader(f) if r]


def link_dist(prev_sch, prev_info, sch):
    """Hard-link a distribution's files from the previous generation (its RECORD says which);
    scripts naming the old interpreter are rewritten for the new one. None when the previous copy
    is incomplete (a file missing or of another size): the caller unpacks the wheel instead."""
    lib_prev = os.path.dirname(prev_info)
    lib_new = os.path.join(sch.venv, os.path.relpath(lib_prev, prev_sch.venv))
    info_rel = os.path.basename(prev_info)
    try:
        rows = read_record(prev_info)
    except (IOError, OSError, csv.Error):
        return None
    plan = []
    skip = set(info_rel + "/" + n for n in ("RECORD", "INSTALLER", "REQUESTED"))
    for row in rows:
        path = row[0]
        if path in skip:
            continue
        src = os.path.normpath(os.path.join(lib_prev, path))
        dest = os.path.normpath(os.path.join(lib_new, path))
        if not dest.startswith(sch.venv + os.sep) or not src.startswith(prev_sch.venv + os.sep):
            return None  # a file outside the venv: not ours to link
        try:
            st = os.lstat(src)
        except OSError:
            return None
        if len(row) > 2 and row[2] and str(st.st_size) != row[2]:
            return None
        plan.append((path, src, dest, row))
    with open(os.path.join(prev_info, "METADATA"), encoding="utf-8", errors="replace") as f:
        nm = re.search(r"^Name:\s*(.+?)\s*$", f.read().split("\n\n", 1)[0], re.M)
    dist = Dist(nm.group(1) if nm else info_rel.split("-", 1)[0], os.path.join(lib_new, info_rel), lib_new)
    old_exe = prev_sch.venv.encode(sys.getfilesystemencoding())
    new_exe = sch.venv.encode(sys.getfilesystemencoding())
    scripts_prefix = prev_sch.scripts + os.sep
    for path, src, dest, row in plan:
        d = os.path.dirname(dest)
        if not os.path.isdir(d):
            os.makedirs(d)
        if src.startswith(scripts_prefix):
            with open(src, "rb") as f:
                data = f.read()
            head = data[:400]
            if head.startswith(b"#!") and old_exe in head:
                cut = data.find(b"\n", data.find(b"\n") + 1) if head.startswith(b"#!/bin/sh") else data.find(b"\n")
                cut = len(data) if cut < 0 else cut
                data = data[:cut].replace(old_exe, new_exe) + data[cut:]
                _write(dest, data, True)
                dist.add(dest, data)
                continue
        try:
            os.link(src, dest)
        except OSError:
            shutil.copy2(src, dest)
        dist.files[path] = (row[1] if len(row) > 1 else "", row[2] if len(row) > 2 else "")
    return dist


def _compile_one(path):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ok = compileall.compile_file(path, force=True, quiet=2)
    pyc = importlib.util.cache_from_source(path)
    return pyc if ok and os.path.exists(pyc) else None


def compile_files(paths, workers=None):
    """Byte-compile `paths` (as pip does: compileall, source-timestamp pycs) in parallel; returns
    {source: pyc} for those that compiled (files that do not compile are skipped, as pip does)."""
    out = {}
    if not paths:
        return out
    n = workers if workers is not None else (os.cpu_count() or 1)
    results = None
    if n > 1 and len(paths) >= 64:
        try:
            import multiprocessing
            from concurrent.futures import ProcessPoolExecutor
            ctx = multiprocessing.get_context("fork")  # the script arrives on stdin: no importable __main__
            with ProcessPoolExecutor(max_workers=n, mp_context=ctx) as ex:
                results = list(ex.map(_compile_one, paths, chunksize=max(1, len(paths) // (n * 4))))
        except (ImportError, OSError, TypeError, ValueError):
            results = None
    if results is None:
        results = [_compile_one(p) for p in paths]
    for src, pyc in zip(paths, results):
        if pyc:
            out[src] = pyc
    return out


def finish_dist(dist, requested):
    """INSTALLER, REQUESTED, then RECORD (sorted, as pip writes it)."""
    gen = [("INSTALLER", (INSTALLER_NAME + "\n").encode("ascii"))]
    if requested:
        gen.append(("REQUESTED", b""))
    for n, data in gen:
        p = os.path.join(dist.info_dir, n)
        with open(p, "wb") as f:
            f.write(data)
        dist.add(p, data)
    rec = os.path.join(dist.info_dir, "RECORD")
    rows = sorted((p, h, s) for p, (h, s) in dist.files.items())
    rows.append((_record_path(rec, dist.lib_dir), "", ""))
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerows(sorted(rows))
    with open(rec, "w", encoding="utf-8", newline="") as f:
        f.write(buf.getvalue())


def place_shipped_pycs(dist, companion_path, wheel_sha256, log=None):
    """Byte-code compiled on the build host (wwremote.pycache): put the companion's pycs of the
    files just unpacked into place (RECORD lines included); dist.to_compile keeps the rest.
    Returns the number of pycs placed."""
    dist.to_compile = list(dist.py_files)
    comp = Companion.open_for(companion_path, wheel_sha256, log)
    if comp is None:
        return 0
    try:
        placed, dist.to_compile = comp.place(dist, dist.add)
    finally:
        comp.close()
    return placed


def install_wheels(venv, wheels, requested=(), prev_venv=None, prev_dists=None, compile=True, log=None, pycs=None):
    """Install `wheels` ([{path, sha256}]) into the fresh venv `venv`.
    prev_venv/prev_dists: the previous generation and its {wheel sha256: dist-info dir name}.
    pycs: {wheel sha256: companion path} of byte-code compiled on the build host (used when it fits).
    Returns {"dists": {sha256: dist-info dir name}, "unpacked": [...], "linked": [...], "compiled": n,
    "shipped": n (pycs unpacked from companions)}."""
    sch = Scheme(venv)
    prev_sch = Scheme(prev_venv) if prev_venv else None
    want = set(pep503(r) for r in requested)
    dists, unpacked, linked, to_compile = {}, [], [], []
    done = []
    shipped = 0
    for w in wheels:
        dist = None
        prev_info = (prev_dists or {}).get(w["sha256"]) if prev_sch else None
        if prev_info:
            cand = os.path.join(prev_sch.purelib, prev_info)
            if not os.path.isdir(cand):
                cand = os.path.join(prev_sch.platlib, prev_info)
            if os.path.isdir(cand):
                dist = link_dist(prev_sch, cand, sch)
                if dist is None and log:
                    log.write("reuse: %s in %s is incomplete, unpacking %s\n" % (prev_info, prev_venv, os.path.basename(w["path"])))
        if dist is not None:
            linked.append(os.path.basename(w["path"]))
        else:
            dist = unpack_wheel(w["path"], sch)
            unpacked.append(os.path.basename(w["path"]))
            to_compile.append(dist)
            if compile and (pycs or {}).get(w["sha256"]):
                shipped += place_shipped_pycs(dist, pycs[w["sha256"]], w["sha256"], log)
        dists[w["sha256"]] = os.path.basename(dist.info_dir)
        done.append(dist)
    compiled = 0
    if compile:
        made = compile_files([p for d in to_compile for p in (d.py_files if d.to_compile is None else d.to_compile)])
        compiled = len(made)
        for d in to_compile:
            for p in (d.py_files if d.to_compile is None else d.to_compile):
                pyc = made.get(p)
                if pyc:
                    with open(pyc, "rb") as f:
                        d.add(pyc, f.read())
    for d in done:
        finish_dist(d, pep503(d.name) in want)
    if log:
        log.write("installed %d wheels: %d unpacked, %d hard-linked from %s, %d files byte-compiled, %d pycs from the build host\n"
                  % (len(done), len(unpacked), len(linked), prev_venv or "-", compiled, shipped))
    return {"dists": dists, "unpacked": unpacked, "linked": linked, "compiled": compiled, "shipped": shipped}
