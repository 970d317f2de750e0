"""Byte-code compiled once, on the build host, and shipped with the wheels.

pip byte-compiles every `.py` it installs; for a venv of a few small packages that is nearly all of
a target's install work (pip, setuptools and wheel alone are ~740 files). Here the build host
compiles each wheel's files ONCE, into a companion zip next to the wheel
(`<wheel dir>/pyc/<wheel file>.<sha256 prefix>.<cache tag>.zip`, cached by the wheel's sha256), and
a target unpacks the ready `__pycache__/*.pyc` files instead of compiling.

pip's semantics are kept: the pycs are ordinary timestamp-based ones (never unchecked-hash), valid
only while the source's mtime and size match the pyc header. Both sides give every file unpacked
from a wheel the same mtime, its zip entry's date_time read as UTC (entry_mtime), so the build host's
header matches the target's file; an operator who edits a source file in the venv gets it
recompiled at import, exactly as after a pip install. A target uses a companion only for the same
cache tag and magic number (the build key fixes distro and arch; the interpreter is checked here),
and checks each pyc's header against the file it just unpacked; anything not covered (a missing or
mismatched companion, `.data` files, a pyc whose header does not match) is compiled on the target as
before. code objects name the build's relative path; CPython's import sets co_filename to the real
source path when it loads a pyc (`_imp._fix_co_filename`), so tracebacks name the venv's files.

Standard library only; zipfile, hashlib and multiprocessing are imported only when a companion is
made or read (a no-op build check only stats cached files).
"""
import os
import sys

from wwremote import jsonfast as json  # json.loads/dumps without importing re

FORMAT = 1
INFO = "WW-PYC-INFO.json"  # inside the companion: what it was compiled from and by
SUBDIR = "pyc"  # below the wheel dir (and the target's wheelhouse); pip's find-links never looks there
EPOCH_1980 = 315532800  # the zip format's earliest date
LAST_STATS = {}  # what the last make_companions() did: wheels, files, seconds, cpu


def entry_mtime(date_time):
    """The mtime a file unpacked from a zip entry gets (the build host and targets alike): the
    entry's date_time read as UTC, never before 1980."""
    import calendar

    try:
        y, mo, d, h, mi, s = date_time[:6]
        t = calendar.timegm((int(y), int(mo) or 1, int(d) or 1, int(h), int(mi), int(s), 0, 0, 0))
    except (TypeError, ValueError, OverflowError):
        return EPOCH_1980
    return max(t, EPOCH_1980)


def interpreter_tag():
    """(cache tag, magic number hex) of this interpreter, or None when it writes no standard pycs
    (no cache tag, a pycache prefix, optimisation on: compile as usual then)."""
    tag = getattr(sys.implementation, "cache_tag", None)
    if not tag or getattr(sys, "pycache_prefix", None) or sys.flags.optimize:
        return None
    try:  # the import system's own (importlib.util's): importing importlib.util costs a no-op more
        magic = sys.modules["_frozen_importlib_external"].MAGIC_NUMBER
    except (KeyError, AttributeError):
        import importlib.util

        magic = importlib.util.MAGIC_NUMBER
    return tag, magic.hex()


def companion_file(wheel_file, wheel_sha256, tag):
    """The companion's path relative to the wheel dir."""
    return "%s/%s.%s.%s.zip" % (SUBDIR, wheel_file, wheel_sha256[:16], tag[0])


def pyc_entry(entry, cache_tag):
    """`pkg/mod.py` -> `pkg/__pycache__/mod.<cache tag>.pyc` (as importlib.util.cache_from_source)."""
    d, _, base = entry.rpartition("/")
    return (d + "/" if d else "") + "__pycache__/" + base[:-3] + "." + cache_tag + ".pyc"


def _u32(b):
    return b[0] | (b[1] << 8) | (b[2] << 16) | (b[3] << 24)


def pyc_matches(data, magic, mtime, size):
    """A timestamp pyc (flags 0) for a source of this mtime and size, of this magic number."""
    return (len(data) >= 16 and data[:4] == magic and _u32(data[4:8]) == 0
            and _u32(data[8:12]) == (int(mtime) & 0xFFFFFFFF) and _u32(data[12:16]) == (size & 0xFFFFFFFF))


def covered_entries(names):
    """The wheel's entries a companion covers: `.py` files in the wheel's root (they land in
    purelib/platlib); `.data/` files are compiled on the target."""
    out = []
    for n in names:
        top = n.split("/", 1)[0]
        if n.endswith(".py") and not n.endswith("/") and not top.endswith(".data"):
            out.append(n)
    return out


# ------------------------------------------------------------------------------ build host side

def _compile(job):
    """(scratch source, pyc path, entry name) -> entry name if it compiled, else None."""
    import py_compile
    import warnings

    src, cfile, entry = job
    kw = {}
    if hasattr(py_compile, "PycInvalidationMode"):
        kw["invalidation_mode"] = py_compile.PycInvalidationMode.TIMESTAMP  # whatever SOURCE_DATE_EPOCH says
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            py_compile.compile(src, cfile=cfile, dfile=entry, doraise=True, **kw)
        return entry
    except (py_compile.PyCompileError, SyntaxError, ValueError, OSError):
        return None


def _compile_all(jobs, workers):
    if workers > 1 and len(jobs) >= 32:
        try:
            import multiprocessing
            from concurrent.futures import ProcessPoolExecutor

            ctx = multiprocessing.get_context("fork")  # the script arrives on stdin: no importable __main__
            with ProcessPoolExecutor(max_workers=workers, mp_context=ctx) as ex:
                return list(ex.map(_compile, jobs, chunksize=max(1, len(jobs) // (workers * 4))))
        except (ImportError, OSError, TypeError, ValueError):
            pass
    return [_compile(j) for j in jobs]


def cached(wheel_dir, wheel, tag):
    """The companion record {wheel, file, sha256, size} of an earlier build, or None."""
    rel = companion_file(wheel["file"], wheel["sha256"], tag)
    try:
        with open(os.path.join(wheel_dir, rel + ".json")) as f:
            rec = json.loads(f.read())
        st = os.stat(os.path.join(wheel_dir, rel))
    except (OSError, ValueError):
        return None
    if (rec.get("format") != FORMAT or rec.get("wheel") != wheel["sha256"] or rec.get("cacheTag") != tag[0]
            or rec.get("magic") != tag[1] or rec.get("file") != rel or rec.get("size") != st.st_size):
        return None
    return {"wheel": wheel["sha256"], "file": rel, "sha256": rec["sha256"], "size": rec["size"]}


def make_companions(wheel_dir, wheels, workers=None, log=None):
    """Compile the covered files of `wheels` ([{file, sha256, path?}]) once, in parallel, and write
    one companion per wheel (atomically, with its `.json` record beside it). Returns the records,
    in the order of `wheels`, for those that were made."""
    import shutil
    import tempfile

    tag = interpreter_tag()
    if tag is None:
        return []
    scratch = tempfile.mkdtemp(prefix="ww-pyc-")
    try:
        return _make(wheel_dir, wheels, tag, scratch, workers, log)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def _make(wheel_dir, wheels, tag, scratch, workers, log):
    import zipfile

    from wwremote.fsutil import sha256_file, write_atomic

    import time

    cache_tag, magic = tag
    t0, c0 = time.time(), os.times()
    jobs, plan = [], []
    for i, w in enumerate(wheels):
        root = os.path.join(scratch, str(i))
        entries = []
        with zipfile.ZipFile(w.get("path") or os.path.join(wheel_dir, w["file"])) as z:
            infos = {zi.filename: zi for zi in z.infolist()}
            for n in covered_entries(infos):
                if ".." in n.split("/") or n.startswith("/"):
                    continue
                src = os.path.join(root, *n.split("/"))
                d = os.path.dirname(src)
                if not os.path.isdir(d):
                    os.makedirs(d)
                with open(src, "wb") as f:
                    f.write(z.read(infos[n]))
                t = entry_mtime(infos[n].date_time)
                os.utime(src, (t, t))
                cfile = os.path.join(root, "out", *pyc_entry(n, cache_tag).split("/"))
                jobs.append((src, cfile, n))
                entries.append((n, cfile))
        plan.append((w, root, entries))
    ok = set()
    for i, r in enumerate(_compile_all(jobs, workers or os.cpu_count() or 1)):
        if r is not None:
            ok.add((jobs[i][1]))
    out = []
    os.makedirs(os.path.join(wheel_dir, SUBDIR), exist_ok=True)
    for w, root, entries in plan:
        rel = companion_file(w["file"], w["sha256"], tag)
        dest = os.path.join(wheel_dir, rel)
        tmp = dest + ".ww-tmp-%d" % os.getpid()
        failed = []
        with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as z:
            info = {"format": FORMAT, "wheel": w["sha256"], "wheelFile": w["file"], "cacheTag": cache_tag, "magic": magic,
                    "python": "%d.%d.%d" % sys.version_info[:3], "failed": failed}
            for n, cfile in entries:
                if cfile not in ok:
                    failed.append(n)  # does not compile here, would not on the target either (same magic)
                    continue
                zi = zipfile.ZipInfo(pyc_entry(n, cache_tag), (1980, 1, 1, 0, 0, 0))
                zi.compress_type = zipfile.ZIP_DEFLATED
                zi.external_attr = 0o644 << 16
                with open(cfile, "rb") as f:
                    z.writestr(zi, f.read())
            zi = zipfile.ZipInfo(INFO, (1980, 1, 1, 0, 0, 0))
            zi.compress_type = zipfile.ZIP_DEFLATED
            z.writestr(zi, json.dumps(info, sort_keys=True))
        os.chmod(tmp, 0o644)
        os.replace(tmp, dest)
        rec = {"format": FORMAT, "wheel": w["sha256"], "file": rel, "sha256": sha256_file(dest), "size": os.stat(dest).st_size,
               "cacheTag": cache_tag, "magic": magic}
        write_atomic(dest + ".json", json.dumps(rec, sort_keys=True) + "\n")
        out.append({"wheel": w["sha256"], "file": rel, "sha256": rec["sha256"], "size": rec["size"]})
        if log:
            log.write("byte-code: %s: %d pycs, %d failed to compile -> %s\n" % (w["file"], len(entries) - len(failed), len(failed), rel))
    c1 = os.times()
    LAST_STATS.clear()
    LAST_STATS.update(wheels=len(plan), files=len(jobs), seconds=round(time.time() - t0, 3), cpu=round(sum(c1[:4]) - sum(c0[:4]), 3))
    if log:
        log.write("byte-code for the targets: %d wheels, %d files compiled once here in %.2f s (%.2f CPU-s, %d workers)\n"
                  % (len(plan), len(jobs), LAST_STATS["seconds"], LAST_STATS["cpu"], workers or os.cpu_count() or 1))
    return out


def companions(wheel_dir, wheels, create=True, workers=None, log=None):
    """The companion records of `wheels`: cached ones as they are, the others made now (one
    parallel compile for all of them) unless not `create`."""
    tag = interpreter_tag()
    if tag is None:
        return []
    have, todo = {}, []
    for w in wheels:
        rec = cached(wheel_dir, w, tag)
        if rec:
            have[w["sha256"]] = rec
        elif w["sha256"] not in have:
            todo.append(w)
    if todo and create:
        for rec in make_companions(wheel_dir, todo, workers=workers, log=log):
            have[rec["wheel"]] = rec
    out, seen = [], set()
    for w in wheels:
        if w["sha256"] in have and w["sha256"] not in seen:
            seen.add(w["sha256"])
            out.append(have[w["sha256"]])
    return out


def pip_wheel_for_targets(dirs, cache_path):
    """{file, sha256, path} of the pip wheel a target takes from its distro when the closure has
    none (wwremote.wheelfile.find_pip_wheel over the same directories), or None. Remembered in
    `cache_path` under the directories' listing of pip wheels (name, size, mtime), so that a no-op
    opens no wheel and hashes nothing."""
    sig = []
    for d in dirs:
        try:
            names = sorted(os.listdir(d))
        except OSError:
            continue
        for n in names:
            if n.startswith("pip-") and n.endswith(".whl"):
                try:
                    st = os.stat(os.path.join(d, n))
                except OSError:
                    continue
                sig.append([d, n, st.st_size, int(st.st_mtime)])
    if not sig:
        return None
    try:
        with open(cache_path) as f:
            c = json.loads(f.read())
        if c.get("sig") == sig and c.get("pip"):
            return c["pip"]
    except (OSError, ValueError, AttributeError):
        pass
    from wwremote.fsutil import sha256_file, write_atomic
    from wwremote.wheelfile import find_pip_wheel

    path = find_pip_wheel(dirs)
    if not path:
        return None
    pip = {"file": os.path.basename(path), "sha256": sha256_file(path), "path": path}
    d = os.path.dirname(cache_path)
    if not os.path.isdir(d):
        os.makedirs(d)
    write_atomic(cache_path, json.dumps({"sig": sig, "pip": pip}, sort_keys=True) + "\n")
    return pip


def likely_wheels(dirs, names):
    """Wheels in the local directories `dirs` named in `names` (PEP 503): the build tools a build
    takes from the distro's wheel dir, known before pip has resolved anything."""
    from wwremote.fsutil import sha256_file
    from wwremote.wheelfile import parse_wheel_name, pep503

    want = set(pep503(n) for n in names)
    out = []
    for d in dirs:
        try:
            listing = sorted(os.listdir(d))
        except OSError:
            continue
        for n in listing:
            w = parse_wheel_name(n)
            if w and pep503(w["name"]) in want:
                p = os.path.join(d, n)
                out.append({"file": n, "sha256": sha256_file(p), "path": p})
    return out


# ---------------------------------------------------------------------------------- target side

class Companion(object):
    """An open companion zip checked against this interpreter and the wheel (None from open_for
    when it does not fit: then everything is compiled on the target, as before)."""

    def __init__(self, z, info, magic):
        self.z = z
        self.info = info
        self.magic = magic
        self.names = set(z.namelist())
        self.failed = set(info.get("failed") or [])

    @classmethod
    def open_for(cls, path, wheel_sha256, log=None):
        import zipfile

        tag = interpreter_tag()
        if tag is None or not path:
            return None
        try:
            z = zipfile.ZipFile(path)
            info = json.loads(z.read(INFO).decode("utf-8"))
        except (OSError, KeyError, ValueError, zipfile.BadZipFile) as e:
            if log:
                log.write("byte-code: %s unusable (%s): compiling here\n" % (path, e))
            return None
        why = None
        if info.get("format") != FORMAT:
            why = "format %r" % info.get("format")
        elif info.get("wheel") != wheel_sha256:
            why = "made for another wheel"
        elif (info.get("cacheTag"), info.get("magic")) != tag:
            why = "compiled by %s (magic %s), this is %s (magic %s)" % (info.get("cacheTag"), info.get("magic"), tag[0], tag[1])
        if why:
            z.close()
            if log:
                log.write("byte-code: %s not used (%s): compiling here\n" % (os.path.basename(path), why))
            return None
        return cls(z, info, bytes.fromhex(tag[1]))

    def close(self):
        self.z.close()

    def place(self, dist, add):
        """Write the pycs of `dist`'s unpacked root `.py` files (dist.sources: dest -> (entry, mtime,
        size)) where importlib looks for them; `add(path, data)` records each. Returns the files
        left to compile here and the number of pycs placed."""
        import importlib.util

        cache_tag = self.info["cacheTag"]
        rest = []
        placed = 0
        for dest in dist.py_files:
            src = dist.sources.get(dest)
            if src is None:
                rest.append(dest)
                continue
            entry, mtime, size = src
            name = pyc_entry(entry, cache_tag)
            if name not in self.names:
                if entry not in self.failed:
                    rest.append(dest)
                continue
            data = self.z.read(name)
            if not pyc_matches(data, self.magic, mtime, size):
                rest.append(dest)
                continue
            pyc = importlib.util.cache_from_source(dest)
            d = os.path.dirname(pyc)
            if not os.path.isdir(d):
                os.mkdir(d)
            with open(pyc, "wb") as f:
                f.write(data)
            add(pyc, data)
            placed += 1
        return placed, rest
