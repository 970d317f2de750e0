# wheelwright's remote boot (src/remote/boot.py): sent as `python3 -S -c <this>` by src/remote/run.ts.
# stdin: one line `<program key> <spec JSON>`, then the program: zlib-compressed JSON {name: [file, source]}
# ("__main__" is the script, the rest the wwremote package). The program's code objects are kept in a
# cache on the host, by key (sha256 of the program) and interpreter: a warm call compiles nothing, and
# unmarshals only the modules it imports ({name: (file, marshalled code)}).
# The cache is trusted only when the file and its directories are ours (uid) and writable by no one
# else; anything wrong with it means compiling again. Python >= 3.6, stdlib, no site module needed.
import marshal
import os
import sys


def _ww_boot():
    data = sys.stdin.buffer.read()
    head, _, body = data.partition(b"\n")
    key, _, spec = head.decode("utf-8").partition(" ")
    uid = os.getuid()
    if uid == 0:
        top = "/var/cache/wheelwright"
    else:
        top = os.path.join(os.path.expanduser("~"), ".cache", "wheelwright")
    cdir = os.path.join(top, "code")
    name = "%s-%s-%x.bin" % (key, sys.implementation.cache_tag, sys.hexversion)
    path = os.path.join(cdir, name)
    codes = None
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
        with os.fdopen(fd, "rb") as f:
            st = os.fstat(f.fileno())
            ok = st.st_uid == uid and not st.st_mode & 0o022 and (st.st_mode & 0o170000) == 0o100000
            for d in (cdir, top):
                ds = os.lstat(d)
                ok = ok and ds.st_uid == uid and not ds.st_mode & 0o022 and (ds.st_mode & 0o170000) == 0o040000
            if ok:
                codes = marshal.loads(f.read())
                if not isinstance(codes, dict) or not isinstance(codes.get("__main__"), tuple):
                    codes = None
    except Exception:  # absent, unreadable, foreign, truncated: compile
        codes = None
    if codes is None:
        import json
        import zlib

        program = json.loads(zlib.decompress(body).decode("utf-8"))
        codes = {}
        for mod, (fname, src) in program.items():
            codes[mod] = (fname, marshal.dumps(compile(src, fname, "exec", dont_inherit=True)))
        try:
            _ww_store(top, cdir, name, marshal.dumps(codes))
        except Exception:  # read-only or full disk: this call still runs
            pass
    try:  # the import system's own class: importing importlib.machinery costs a tenth of a no-op
        ModuleSpec = sys.modules["_frozen_importlib"].ModuleSpec
    except (KeyError, AttributeError):
        from importlib.machinery import ModuleSpec

    class Loader(object):
        @classmethod
        def find_spec(cls, fullname, path=None, target=None):
            if fullname == "__main__" or fullname not in codes:
                return None
            spec = ModuleSpec(fullname, cls, origin=codes[fullname][0], is_package=(fullname == "wwremote"))
            spec.has_location = False
            return spec

        @staticmethod
        def create_module(spec):
            return None

        @staticmethod
        def exec_module(module):
            module.__file__ = module.__spec__.origin
            exec(marshal.loads(codes[module.__name__][1]), module.__dict__)

    sys.meta_path.insert(0, Loader)
    return marshal.loads(codes["__main__"][1]), spec


def _ww_store(top, cdir, name, blob):
    import time

    for d in (top, cdir):
        try:
            os.mkdir(d, 0o755)
        except OSError:
            if not os.path.isdir(d):
                raise
    tmp = os.path.join(cdir, ".%s.%d.tmp" % (name, os.getpid()))
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(blob)
        os.rename(tmp, os.path.join(cdir, name))
    except Exception:
        os.unlink(tmp)
        raise
    # an upgrade leaves the old version's entries: drop those not written for 30 days
    old = time.time() - 30 * 86400
    for e in os.listdir(cdir):
        p = os.path.join(cdir, e)
        try:
            if e != name and os.lstat(p).st_mtime < old:
                os.unlink(p)
        except OSError:
            pass


_ww_code, WW_SPEC_JSON = _ww_boot()
del _ww_boot, _ww_store
try:
    exec(_ww_code)
except SystemExit as _ww_exit:
    _ww_status = _ww_exit.code
else:
    _ww_status = None
# A no-op's result is out and its files are closed (wwremote.errors.run_main says so): exit without
# tearing the interpreter down, a sixth of a no-op check's CPU on a small host. Otherwise as usual.
if getattr(sys.modules.get("wwremote.errors"), "QUICK_EXIT", False) and "threading" not in sys.modules and (_ww_status is None or isinstance(_ww_status, int)):
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except Exception:  # a closed stdout: the usual exit reports it
        sys.exit(_ww_status)
    os._exit(_ww_status or 0)
sys.exit(_ww_status)
