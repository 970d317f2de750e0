"""Byte-code compiled once on the build host and shipped with the wheels (wwremote.pycache): the
companion is made (once per wheel hash) and used; unpacked files get the deterministic mtime; the
shipped pycs are valid (the import loads them, never rewrites them); an edited source is recompiled;
RECORD lists the pycs; tracebacks name the venv's files; a missing or mismatched companion means
compiling on the target, as before."""
import calendar
import csv
import importlib.util
import json
import os
import shutil
import subprocess
import sys
import tempfile
import unittest
import zipfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

from wwremote import installer, pycache  # noqa: E402
from wwremote.fsutil import record_hash, sha256_file  # noqa: E402
from wwremote.wheelfile import find_pip_wheel  # noqa: E402

from test_installer import PIP_WHEEL, SYSTEM_WHEELS, files_of, make_wheel  # noqa: E402

TAG = sys.implementation.cache_tag
BOOM = "def boom():\n    raise ValueError('boom from the venv')\n"


class Log(object):
    def __init__(self):
        self.text = ""

    def write(self, s):
        self.text += s


def spec(path):
    return {"path": path, "file": os.path.basename(path), "sha256": sha256_file(path)}


def new_venv(path):
    subprocess.check_call([sys.executable, "-m", "venv", "--without-pip", path])
    return path


# as on a target: Python writes byte-code (whatever this test run's environment says)
ENV = dict((k, v) for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE")
ENV.update(PIP_DISABLE_PIP_VERSION_CHECK="1", PIP_NO_INPUT="1", PIP_CONFIG_FILE=os.devnull)


def run(argv):
    return subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, universal_newlines=True, env=ENV)


def run_v(argv):
    """stdout, and stderr with importlib's -v messages"""
    return subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, universal_newlines=True, env=ENV)


def stat_of(path):
    st = os.stat(path)
    with open(path, "rb") as f:
        return (st.st_ino, st.st_mtime_ns, f.read())


PIP_PYCS = {}  # pip's companion, made once for the module (it is the slow one)


def setUpModule():
    PIP_PYCS["dir"] = tempfile.mkdtemp(prefix="ww-pycache-pip-")
    if PIP_WHEEL:
        PIP_PYCS["rec"] = pycache.companions(PIP_PYCS["dir"], [spec(PIP_WHEEL)])[0]
        PIP_PYCS["path"] = os.path.join(PIP_PYCS["dir"], PIP_PYCS["rec"]["file"])


def tearDownModule():
    shutil.rmtree(PIP_PYCS["dir"], ignore_errors=True)


class Base(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="ww-pycache-test-")
        cls.wd = os.path.join(cls.tmp, "wheels")
        os.makedirs(cls.wd)
        cls.demo = make_wheel(cls.wd, "demo_pkg", "1.0", extra_module=BOOM)
        cls.dep = make_wheel(cls.wd, "dep_pkg", "1.0", purelib=False)
        cls.log = Log()
        cls.recs = pycache.companions(cls.wd, [spec(cls.demo), spec(cls.dep)], log=cls.log)
        cls.by_wheel = {r["wheel"]: os.path.join(cls.wd, r["file"]) for r in cls.recs}

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def install(self, name, wheels, pycs=None, **kw):
        v = new_venv(os.path.join(self.tmp, name))
        log = Log()
        res = installer.install_wheels(v, [spec(w) for w in wheels], requested=["demo-pkg"], pycs=self.by_wheel if pycs is None else pycs, log=log, **kw)
        return v, res, log

    def sp(self, venv):
        return installer.Scheme(venv).purelib


class BuildHost(Base):
    def test_one_companion_per_wheel_with_the_pycs_and_its_record(self):
        self.assertEqual([r["wheel"] for r in self.recs], [sha256_file(self.demo), sha256_file(self.dep)])
        for r in self.recs:
            path = os.path.join(self.wd, r["file"])
            self.assertTrue(r["file"].startswith("pyc/"))
            self.assertEqual((r["sha256"], r["size"]), (sha256_file(path), os.path.getsize(path)))
            with open(path + ".json") as f:
                self.assertEqual(json.load(f)["sha256"], r["sha256"])
        with zipfile.ZipFile(self.by_wheel[sha256_file(self.demo)]) as z:
            names = set(z.namelist())
            info = json.loads(z.read(pycache.INFO).decode())
        self.assertEqual(names, {pycache.INFO, "demo_pkg/__pycache__/__init__.%s.pyc" % TAG, "demo_pkg/__pycache__/cli.%s.pyc" % TAG})
        self.assertEqual((info["cacheTag"], info["magic"], info["failed"]), (TAG, importlib.util.MAGIC_NUMBER.hex(), []))

    def test_made_once_per_wheel_hash_a_new_wheel_compiles_alone(self):
        before = {r["file"]: stat_of(os.path.join(self.wd, r["file"])) for r in self.recs}
        log = Log()
        again = pycache.companions(self.wd, [spec(self.demo), spec(self.dep)], log=log)
        self.assertEqual(again, self.recs)
        self.assertEqual(log.text, "")  # nothing compiled
        self.assertEqual({r["file"]: stat_of(os.path.join(self.wd, r["file"])) for r in again}, before)
        d2 = os.path.join(self.tmp, "w2")
        os.makedirs(d2)
        demo2 = make_wheel(d2, "demo_pkg", "2.0")
        log = Log()
        recs = pycache.companions(self.wd, [spec(demo2), spec(self.dep)], log=log)
        self.assertEqual(log.text.count("byte-code: "), 1)
        self.assertIn("demo_pkg-2.0-py3-none-any.whl", log.text)
        self.assertEqual(recs[1], self.recs[1])
        self.assertEqual(stat_of(os.path.join(self.wd, recs[1]["file"])), before[self.recs[1]["file"]])
        # not made when not asked (the build's --tags install check writes nothing)
        demo3 = make_wheel(d2, "demo_pkg", "3.0")
        self.assertEqual(pycache.companions(self.wd, [spec(demo3)], create=False), [])

    def test_a_file_that_does_not_compile_is_listed_and_not_compiled_again_on_the_target(self):
        d = os.path.join(self.tmp, "bad")
        os.makedirs(d)
        w = make_wheel(d, "bad_pkg", "1.0", extra_module="def broken(:\n")
        rec = pycache.companions(d, [spec(w)])[0]
        with zipfile.ZipFile(os.path.join(d, rec["file"])) as z:
            self.assertEqual(json.loads(z.read(pycache.INFO).decode())["failed"], ["bad_pkg/__init__.py"])
        v = new_venv(os.path.join(self.tmp, "badv"))
        res = installer.install_wheels(v, [spec(w)], pycs={rec["wheel"]: os.path.join(d, rec["file"])})
        self.assertEqual((res["shipped"], res["compiled"]), (1, 0))

    @unittest.skipUnless(PIP_WHEEL, "needs pip's wheel in %s" % SYSTEM_WHEELS)
    def test_the_pip_wheel_targets_take_from_their_distro_is_remembered(self):
        cache = os.path.join(self.tmp, "pipcache", "pip-wheel.json")
        pip = pycache.pip_wheel_for_targets([SYSTEM_WHEELS, "/nonexistent"], cache)
        self.assertEqual(pip["path"], find_pip_wheel([SYSTEM_WHEELS]))
        self.assertEqual(pip["sha256"], sha256_file(pip["path"]))
        with open(cache) as f:
            c = json.load(f)
        c["pip"]["sha256"] = "remembered"
        with open(cache, "w") as f:
            json.dump(c, f)
        self.assertEqual(pycache.pip_wheel_for_targets([SYSTEM_WHEELS], cache)["sha256"], "remembered")  # no hashing

    def build_script(self):
        src = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "wheels", "build_wheels.py")
        sp = importlib.util.spec_from_file_location("ww_build_wheels_pyc", src)
        bw = importlib.util.module_from_spec(sp)
        sp.loader.exec_module(bw)
        return bw

    def test_the_build_tools_compile_while_pip_builds(self):
        bw = self.build_script()
        boot = os.path.join(self.tmp, "boot")
        os.makedirs(boot)
        tool = make_wheel(boot, "wheel", "9.0")
        make_wheel(boot, "other", "1.0")  # not a build requirement: not compiled ahead
        wd = os.path.join(self.tmp, "wd-early")
        s = {"pycs": True, "wheelDir": wd, "bootstrapWheelDirs": [boot], "findLinks": ["http://x/"], "buildRequirements": ["setuptools", "wheel>=1"]}
        started = bw.start_pycs(s)
        self.assertIsNotNone(started)
        stats = bw.finish_pycs(started)
        self.assertEqual((stats["wheels"], stats["files"]), (1, 2))
        self.assertIsNotNone(pycache.cached(wd, spec(tool), pycache.interpreter_tag()))
        self.assertIsNone(bw.start_pycs(s))  # all cached: nothing forked
        self.assertIsNone(bw.start_pycs(dict(s, checkOnly=True)))

    def test_the_build_script_lists_them_in_its_result(self):
        bw = self.build_script()
        wheels = [{"file": os.path.basename(self.demo), "name": "demo-pkg", "version": "1.0", "sha256": sha256_file(self.demo), "size": 1}]
        base = {"ok": True, "wheels": wheels, "log": os.path.join(self.tmp, "build.log")}
        s = {"pycs": True, "wheelDir": self.wd, "bootstrapWheelDirs": [SYSTEM_WHEELS]}
        out = bw.with_pycs(s, dict(base))
        self.assertEqual(out["pycs"][0], self.recs[0])
        self.assertEqual(len(out["pycs"]), 2 if PIP_WHEEL else 1)  # and the distro's pip wheel
        self.assertNotIn("pycs", bw.with_pycs(dict(s, pycs=False), dict(base)))
        self.assertNotIn("pycs", bw.with_pycs(s, {"ok": True, "need": "packages"}))


class Target(Base):
    @classmethod
    def setUpClass(cls):
        Base.setUpClass()
        cls.v, cls.res, cls.ilog = cls.install(cls, "shipped", [cls.demo, cls.dep])

    def test_shipped_pycs_are_used_not_compiled(self):
        self.assertEqual((self.res["shipped"], self.res["compiled"]), (4, 0))
        pyc = os.path.join(self.sp(self.v), "demo_pkg", "__pycache__", "__init__.%s.pyc" % TAG)
        with zipfile.ZipFile(self.by_wheel[sha256_file(self.demo)]) as z:
            self.assertEqual(stat_of(pyc)[2], z.read("demo_pkg/__pycache__/__init__.%s.pyc" % TAG))

    def test_unpacked_files_get_the_zip_entry_time(self):
        t = calendar.timegm((2020, 1, 1, 0, 0, 0, 0, 0, 0))
        self.assertEqual(pycache.entry_mtime((2020, 1, 1, 0, 0, 0)), t)
        for rel in ("demo_pkg/__init__.py", "demo_pkg/cli.py", "demo_pkg-1.0.dist-info/METADATA"):
            self.assertEqual(os.stat(os.path.join(self.sp(self.v), rel)).st_mtime, t, rel)
        self.assertEqual(pycache.entry_mtime((1970, 1, 1, 0, 0, 0)), pycache.EPOCH_1980)

    def test_the_import_loads_the_pyc_and_never_rewrites_it(self):
        v = self.install("import", [self.demo, self.dep])[0]
        pyc = os.path.join(self.sp(v), "demo_pkg", "__pycache__", "__init__.%s.pyc" % TAG)
        before = stat_of(pyc)
        r = run_v([os.path.join(v, "bin", "python"), "-v", "-c", "import demo_pkg; print(demo_pkg.VALUE)"])
        self.assertEqual(r.stdout, "1.0\n", r.stderr[-2000:])
        self.assertIn("code object from %r" % pyc, r.stderr)  # importlib's message for a valid pyc
        self.assertNotIn("wrote %r" % pyc, r.stderr)
        self.assertEqual(stat_of(pyc), before)

    def test_an_edited_source_is_recompiled_as_after_pip(self):
        v = self.install("edited", [self.demo, self.dep])[0]
        src = os.path.join(self.sp(v), "demo_pkg", "__init__.py")
        pyc = importlib.util.cache_from_source(src)
        before = stat_of(pyc)
        with open(src, "w") as f:
            f.write("VALUE = 'edited by the operator'\n")
        r = run([os.path.join(v, "bin", "python"), "-c", "import demo_pkg; print(demo_pkg.VALUE)"])
        self.assertEqual(r.stdout, "edited by the operator\n")
        self.assertNotEqual(stat_of(pyc)[2], before[2])
        self.assertTrue(pycache.pyc_matches(stat_of(pyc)[2], importlib.util.MAGIC_NUMBER, os.stat(src).st_mtime, os.path.getsize(src)))

    def test_tracebacks_name_the_venv_files(self):
        py = os.path.join(self.v, "bin", "python")
        r = run([py, "-c", "import demo_pkg; print(demo_pkg.boom.__code__.co_filename == demo_pkg.__file__); demo_pkg.boom()"])
        src = os.path.join(self.sp(self.v), "demo_pkg", "__init__.py")
        self.assertTrue(r.stdout.startswith("True\n"), r.stdout)
        self.assertIn('File "%s", line' % src, r.stdout)
        self.assertIn("raise ValueError('boom from the venv')", r.stdout)  # the source line is found too

    def test_record_lists_the_pycs(self):
        info = os.path.join(self.sp(self.v), "demo_pkg-1.0.dist-info")
        with open(os.path.join(info, "RECORD")) as f:
            rows = {r[0]: r for r in csv.reader(f) if r}
        for rel in ("demo_pkg/__pycache__/__init__.%s.pyc" % TAG, "demo_pkg/__pycache__/cli.%s.pyc" % TAG):
            with open(os.path.join(self.sp(self.v), rel), "rb") as f:
                data = f.read()
            self.assertEqual(rows[rel][1:], [record_hash(data), str(len(data))])

    @unittest.skipUnless(PIP_WHEEL, "needs pip's wheel in %s" % SYSTEM_WHEELS)
    def test_pip_uninstall_removes_them_and_pip_check_list_work(self):
        pycs = dict(self.by_wheel, **{PIP_PYCS["rec"]["wheel"]: PIP_PYCS["path"]})
        v, res, _ = self.install("uninstall", [self.demo, self.dep, PIP_WHEEL], pycs=pycs)
        self.assertEqual(res["compiled"], 0)
        self.assertGreater(res["shipped"], 300)
        r = run([os.path.join(v, "bin", "pip"), "list", "--format=freeze"])
        self.assertIn("demo-pkg==1.0", r.stdout)
        self.assertEqual(run([os.path.join(v, "bin", "pip"), "check"]).returncode, 0)
        r = run([os.path.join(v, "bin", "pip"), "uninstall", "--yes", "demo-pkg"])
        self.assertEqual(r.returncode, 0, r.stdout)
        self.assertFalse([f for f in files_of(v) if "demo_pkg" in f])

    def test_hard_link_reuse_keeps_the_pycs_valid(self):
        g1, r1, _ = self.install("g1", [self.demo, self.dep])
        g2 = new_venv(os.path.join(self.tmp, "g2"))
        r2 = installer.install_wheels(g2, [spec(self.demo), spec(self.dep)], prev_venv=g1, prev_dists=r1["dists"], pycs=self.by_wheel)
        self.assertEqual((len(r2["linked"]), r2["shipped"], r2["compiled"]), (2, 0, 0))
        rel = "demo_pkg/__pycache__/__init__.%s.pyc" % TAG
        self.assertEqual(os.stat(os.path.join(self.sp(g1), rel)).st_ino, os.stat(os.path.join(self.sp(g2), rel)).st_ino)
        r = run_v([os.path.join(g2, "bin", "python"), "-v", "-c", "import demo_pkg"])
        self.assertIn("code object from %r" % os.path.join(self.sp(g2), rel), r.stderr)


class Fallback(Base):
    def test_no_companion_compiles_on_the_target(self):
        v, res, _ = self.install("none", [self.demo, self.dep], pycs={})
        self.assertEqual((res["shipped"], res["compiled"]), (0, 4))
        self.assertTrue(os.path.exists(os.path.join(self.sp(v), "demo_pkg", "__pycache__", "__init__.%s.pyc" % TAG)))

    def forged(self, name, **change):
        src = self.by_wheel[sha256_file(self.demo)]
        dest = os.path.join(self.tmp, name + ".zip")
        with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dest, "w") as zout:
            for n in zin.namelist():
                data = zin.read(n)
                if n == pycache.INFO:
                    info = json.loads(data.decode())
                    info.update(change)
                    data = json.dumps(info).encode()
                zout.writestr(n, data)
        return dest

    def test_another_interpreter_or_wheel_compiles_on_the_target(self):
        for name, change in (("magic", {"magic": "00000000"}), ("tag", {"cacheTag": "cpython-36"}), ("wheel", {"wheel": "0" * 64})):
            v, res, log = self.install("mis-" + name, [self.demo], pycs={sha256_file(self.demo): self.forged(name, **change)})
            self.assertEqual((res["shipped"], res["compiled"]), (0, 2), name)
            self.assertIn("not used", log.text)

    def test_a_pyc_whose_header_does_not_match_the_file_is_compiled_here(self):
        src = self.by_wheel[sha256_file(self.demo)]
        dest = os.path.join(self.tmp, "stale.zip")
        entry = "demo_pkg/__pycache__/cli.%s.pyc" % TAG
        with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dest, "w") as zout:
            for n in zin.namelist():
                data = zin.read(n)
                if n == entry:
                    data = data[:8] + b"\x00\x00\x00\x00" + data[12:]  # another source mtime
                zout.writestr(n, data)
        v, res, _ = self.install("stale", [self.demo], pycs={sha256_file(self.demo): dest})
        self.assertEqual((res["shipped"], res["compiled"]), (1, 1))
        pyc = os.path.join(self.sp(v), entry)
        src_py = os.path.join(self.sp(v), "demo_pkg", "cli.py")
        self.assertTrue(pycache.pyc_matches(stat_of(pyc)[2], importlib.util.MAGIC_NUMBER, os.stat(src_py).st_mtime, os.path.getsize(src_py)))

    def test_a_broken_companion_compiles_on_the_target(self):
        bad = os.path.join(self.tmp, "broken.zip")
        with open(bad, "wb") as f:
            f.write(b"not a zip")
        res = self.install("broken", [self.demo], pycs={sha256_file(self.demo): bad})[1]
        self.assertEqual((res["shipped"], res["compiled"]), (0, 2))

    def test_no_compile_ships_nothing(self):
        v, res, _ = self.install("nocompile", [self.demo], compile=False)
        self.assertEqual((res["shipped"], res["compiled"]), (0, 0))
        self.assertFalse([f for f in files_of(v) if f.endswith(".pyc")])


class EnsureVenvTarget(Base):
    """The target script: companions fetched with the wheels (a companion that cannot be fetched
    costs only the compile), found in the wheelhouse and handed to the installer."""

    @classmethod
    def setUpClass(cls):
        Base.setUpClass()
        src = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "venv", "ensure_venv.py")
        sp = importlib.util.spec_from_file_location("ww_ensure_venv_pyc", src)
        cls.ev = importlib.util.module_from_spec(sp)
        sp.loader.exec_module(cls.ev)

    def test_install_pinned_uses_the_wheelhouse_companions(self):
        from wwremote import proc
        wheels = [{"file": os.path.basename(p), "sha256": sha256_file(p)} for p in (self.demo, self.dep)]
        recs = list(self.recs)
        if PIP_WHEEL:  # the distro's pip, which install_pinned adds: its companion in the wheelhouse too
            shutil.copy(PIP_PYCS["path"], os.path.join(self.wd, PIP_PYCS["rec"]["file"]))
            recs.append(PIP_PYCS["rec"])
        pinned = {"wheelhouse": self.wd, "wheels": wheels, "pycs": recs + [{"wheel": "f" * 64, "file": "pyc/absent.zip", "sha256": "x", "size": 1}]}
        self.assertEqual(len(self.ev.shipped_pycs(pinned)), len(recs))
        v = new_venv(os.path.join(self.tmp, "pinned"))
        log = proc.Log(os.path.join(self.tmp, "pinned.log"))
        self.ev.install_pinned(v, {"pinned": pinned, "requirements": ["demo-pkg"]}, log, "t", None)
        log.close()
        with open(os.path.join(self.tmp, "pinned.log")) as f:
            text = f.read()
        self.assertIn(" 0 files byte-compiled", text)
        self.assertIn("installed %d wheels" % (3 if PIP_WHEEL else 2), text)

    def test_a_companion_that_cannot_be_fetched_costs_only_the_compile(self):
        from wwremote.errors import RemoteError
        calls = []

        class FakeFetch(object):
            @staticmethod
            def fetch(url, files, wh):
                calls.append([f["file"] for f in files])
                if any(f["file"].startswith("pyc/") for f in files):
                    raise RemoteError("fetch", "404", extra={"file": "pyc/x.zip"})
                return [f["file"] for f in files]

        got = self.ev.fetch_pinned(FakeFetch, "http://h/", [{"file": "a.whl"}], [{"file": "pyc/x.zip"}], self.tmp)
        self.assertEqual((got, calls), (["a.whl"], [["a.whl", "pyc/x.zip"], ["a.whl"]]))


if __name__ == "__main__":
    unittest.main()
