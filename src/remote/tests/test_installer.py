"""The wheel installer against pip itself: same files, same scripts, pip list/check/uninstall work,
importlib.metadata sees it; hard-link reuse from a previous generation."""
import csv
import glob
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

from wwremote import installer  # noqa: E402
from wwremote.errors import RemoteError  # noqa: E402
from wwremote.fsutil import record_hash, sha256_file  # noqa: E402
from wwremote.wheelfile import find_pip_wheel  # noqa: E402
from wheelmaker import files_of, run, write_wheel  # noqa: E402

SYSTEM_WHEELS = "/usr/share/python-wheels"


def make_wheel(d, name="demo_pkg", version="1.0", requires=(), purelib=True, extra_module=""):
    """A small but complete wheel: a package, an entry point, .data scripts and data, RECORD."""
    dist = "%s-%s" % (name, version)
    info = dist + ".dist-info"
    files = {
        "%s/__init__.py" % name: "VALUE = %r\n%s" % (version, extra_module),
        "%s/cli.py" % name: "def main():\n    print('hello from %s')\n    return 0\n" % name,
        "%s.data/scripts/%s-tool" % (dist, name): "#!python\nimport %s\nprint(%s.VALUE)\n" % (name, name),
        "%s.data/data/share/%s/readme.txt" % (dist, name): "data file\n",
        info + "/METADATA": "Metadata-Version: 2.1\nName: %s\nVersion: %s\n%s\n" % (
            name.replace("_", "-"), version, "".join("Requires-Dist: %s\n" % r for r in requires)),
        info + "/WHEEL": "Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: %s\nTag: py3-none-any\n" % ("true" if purelib else "false"),
        info + "/entry_points.txt": "[console_scripts]\n%s = %s.cli:main\n" % (name.replace("_", "-"), name),
        info + "/top_level.txt": name + "\n",
    }
    path = os.path.join(d, "%s-py3-none-any.whl" % dist)
    return write_wheel(path, info, files)


def record_paths(venv, info):
    sp = installer.Scheme(venv).purelib
    with open(os.path.join(sp, info, "RECORD")) as f:
        return sorted(r[0] for r in csv.reader(f) if r)


PIP_WHEEL = find_pip_wheel([SYSTEM_WHEELS])


@unittest.skipUnless(PIP_WHEEL, "needs pip's wheel in %s (Debian python3-pip-whl)" % SYSTEM_WHEELS)
class InstallerVsPip(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="ww-installer-test-")
        wd = os.path.join(cls.tmp, "wheels")
        os.makedirs(wd)
        cls.wheels = [
            make_wheel(wd, "demo_pkg", "1.0", requires=["dep-pkg>=1"]),
            make_wheel(wd, "dep_pkg", "1.0", purelib=False),
            PIP_WHEEL,
        ]
        cls.specs = [{"path": p, "sha256": sha256_file(p)} for p in cls.wheels]
        # pip's install, by name from find-links (what the role did before): the reference
        cls.pipv = os.path.join(cls.tmp, "by-pip")
        subprocess.check_call([sys.executable, "-m", "venv", "--without-pip", cls.pipv])
        r = run([os.path.join(cls.pipv, "bin", "python"), os.path.join(PIP_WHEEL, "pip"), "install", "--no-index",
                 "--find-links", wd, "--find-links", os.path.dirname(PIP_WHEEL), "pip", "demo-pkg", "dep-pkg"])
        assert r.returncode == 0, r.stdout
        cls.ours = os.path.join(cls.tmp, "by-ww")
        subprocess.check_call([sys.executable, "-m", "venv", "--without-pip", cls.ours])
        cls.res = installer.install_wheels(cls.ours, cls.specs, requested=["demo-pkg", "dep-pkg"])

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def test_same_files_as_pip(self):
        pip_files = set(f.replace("by-pip", "X") for f in files_of(self.pipv))
        our_files = set(f.replace("by-ww", "X") for f in files_of(self.ours))
        # pip marks pip itself REQUESTED (asked for by name here); otherwise the trees are the same
        self.assertEqual(pip_files - our_files, {"lib/python%d.%d/site-packages/pip-%s.dist-info/REQUESTED" % (
            sys.version_info[0], sys.version_info[1], os.path.basename(PIP_WHEEL).split("-")[1])})
        self.assertEqual(our_files - pip_files, set())

    def test_same_record_entries_as_pip(self):
        for info in ("demo_pkg-1.0.dist-info", "dep_pkg-1.0.dist-info"):
            self.assertEqual(record_paths(self.pipv, info), record_paths(self.ours, info), info)

    def test_scripts_as_pip_writes_them(self):
        for s in ("demo-pkg", "demo_pkg-tool", "pip", "pip3", "pip%d.%d" % sys.version_info[:2]):
            with open(os.path.join(self.pipv, "bin", s), "rb") as f:
                theirs = f.read().replace(self.pipv.encode(), b"VENV")
            with open(os.path.join(self.ours, "bin", s), "rb") as f:
                mine = f.read().replace(self.ours.encode(), b"VENV")
            self.assertEqual(theirs, mine, s)
            self.assertTrue(os.access(os.path.join(self.ours, "bin", s), os.X_OK), s)
        r = run([os.path.join(self.ours, "bin", "demo-pkg")])
        self.assertEqual((r.returncode, r.stdout), (0, "hello from demo_pkg\n"))
        self.assertEqual(run([os.path.join(self.ours, "bin", "demo_pkg-tool")]).stdout, "1.0\n")

    def test_pip_list_check_and_metadata(self):
        py = os.path.join(self.ours, "bin", "python")
        r = run([os.path.join(self.ours, "bin", "pip"), "list", "--format=freeze"])
        self.assertEqual(r.returncode, 0, r.stdout)
        self.assertIn("demo-pkg==1.0", r.stdout)
        self.assertIn("dep-pkg==1.0", r.stdout)
        self.assertEqual(run([py, "-m", "pip", "check"]).returncode, 0)
        r = run([py, "-c", "import importlib.metadata as m; d=m.distribution('demo-pkg'); "
                 "print(d.version, d.requires, [e.name for e in d.entry_points], len(d.files) > 5)"])
        self.assertEqual(r.stdout.strip(), "1.0 ['dep-pkg>=1'] ['demo-pkg'] True")
        r = run([py, "-c", "import importlib.metadata as m; print(m.distribution('dep-pkg').read_text('INSTALLER'))"])
        self.assertEqual(r.stdout.strip(), "wheelwright")

    def test_bytecode_in_record(self):
        rec = record_paths(self.ours, "demo_pkg-1.0.dist-info")
        tag = sys.implementation.cache_tag
        self.assertIn("demo_pkg/__pycache__/__init__.%s.pyc" % tag, rec)
        self.assertGreater(self.res["compiled"], 100)  # pip's own files too

    def test_pip_uninstall_then_check(self):
        v = os.path.join(self.tmp, "uninstall")
        subprocess.check_call([sys.executable, "-m", "venv", "--without-pip", v])
        installer.install_wheels(v, self.specs, requested=["demo-pkg"])
        before = files_of(v)
        r = run([os.path.join(v, "bin", "pip"), "uninstall", "--yes", "dep-pkg"])
        self.assertEqual(r.returncode, 0, r.stdout)
        gone = before - files_of(v)
        self.assertIn("lib/python%d.%d/site-packages/dep_pkg/__init__.py" % sys.version_info[:2], gone)
        self.assertIn("bin/dep-pkg", gone)
        self.assertFalse(any("dep_pkg" in f for f in files_of(v)))
        r = run([os.path.join(v, "bin", "pip"), "check"])
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("dep-pkg", r.stdout)


@unittest.skipUnless(PIP_WHEEL, "needs pip's wheel in %s (Debian python3-pip-whl)" % SYSTEM_WHEELS)
class NoCompile(unittest.TestCase):
    """venv_pip_install_args `--no-compile` (pip's own flag): the installer writes no byte-code, the
    same tree as `pip install --no-compile`; any other pip argument still goes to pip."""

    @classmethod
    def setUpClass(cls):
        import importlib.util
        from wwremote import proc
        cls.tmp = tempfile.mkdtemp(prefix="ww-nocompile-test-")
        wd = os.path.join(cls.tmp, "wheels")
        os.makedirs(wd)
        make_wheel(wd, "demo_pkg", "1.0")
        shutil.copy(PIP_WHEEL, wd)
        src = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "venv", "ensure_venv.py")
        spec = importlib.util.spec_from_file_location("ww_ensure_venv_nc", src)
        cls.ev = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(cls.ev)
        cls.wheels = [{"file": f, "sha256": sha256_file(os.path.join(wd, f))} for f in sorted(os.listdir(wd))]
        cls.wd = wd
        cls.log = proc.Log(os.path.join(cls.tmp, "log"))

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def install(self, name, pip_args):
        v = os.path.join(self.tmp, name)
        subprocess.check_call([sys.executable, "-m", "venv", "--without-pip", v])
        spec = {"pinned": {"wheelhouse": self.wd, "wheels": self.wheels}, "pipArgs": pip_args, "requirements": ["demo-pkg"]}
        self.ev.install_pinned(v, spec, self.log, name, None)
        return v

    def test_no_compile_as_pip_does_it(self):
        ours = self.install("ours", ["--no-compile"])
        self.assertFalse([f for f in files_of(ours) if f.endswith(".pyc")])
        with open(os.path.join(installer.Scheme(ours).purelib, "demo_pkg-1.0.dist-info", "INSTALLER")) as f:
            self.assertEqual(f.read().strip(), "wheelwright")  # the installer, not a pip run
        pipv = os.path.join(self.tmp, "pip")
        subprocess.check_call([sys.executable, "-m", "venv", "--without-pip", pipv])
        r = run([os.path.join(pipv, "bin", "python"), os.path.join(PIP_WHEEL, "pip"), "install", "--no-compile", "--no-index",
                 "--find-links", self.wd, "pip", "demo-pkg"])
        self.assertEqual(r.returncode, 0, r.stdout)
        pip_files = set(f for f in files_of(pipv) if not f.endswith("/REQUESTED"))
        self.assertEqual(set(f for f in files_of(ours) if not f.endswith("/REQUESTED")), pip_files)
        self.assertEqual(record_paths(ours, "demo_pkg-1.0.dist-info"), record_paths(pipv, "demo_pkg-1.0.dist-info"))
        # the last of --compile/--no-compile wins, as in pip
        both = self.install("both", ["--no-compile", "--compile"])
        self.assertTrue([f for f in files_of(both) if f.endswith(".pyc")])


@unittest.skipUnless(PIP_WHEEL, "needs pip's wheel in %s" % SYSTEM_WHEELS)
class HardLinkReuse(unittest.TestCase):
    @classmethod
    def setUpClass(self):
        self.tmp = tempfile.mkdtemp(prefix="ww-reuse-test-")
        wd = os.path.join(self.tmp, "wheels")
        os.makedirs(wd)
        self.a1 = make_wheel(wd, "alpha", "1.0")
        self.a2 = make_wheel(wd, "alpha", "2.0")
        self.b = make_wheel(wd, "beta", "1.0")
        spec = lambda p: {"path": p, "sha256": sha256_file(p)}
        self.gen1 = os.path.join(self.tmp, "v.generations", "g1")
        self.gen2 = os.path.join(self.tmp, "v.generations", "g2")
        for g in (self.gen1, self.gen2):
            subprocess.check_call([sys.executable, "-m", "venv", "--without-pip", g])
        self.r1 = installer.install_wheels(self.gen1, [spec(self.a1), spec(self.b), spec(PIP_WHEEL)])
        self.r2 = installer.install_wheels(self.gen2, [spec(self.a2), spec(self.b), spec(PIP_WHEEL)],
                                           prev_venv=self.gen1, prev_dists=self.r1["dists"])

    @classmethod
    def tearDownClass(self):
        shutil.rmtree(self.tmp, ignore_errors=True)

    def test_unchanged_packages_are_hard_links_the_changed_one_is_unpacked(self):
        self.assertEqual(self.r2["unpacked"], ["alpha-2.0-py3-none-any.whl"])
        self.assertEqual(sorted(self.r2["linked"]), sorted(["beta-1.0-py3-none-any.whl", os.path.basename(PIP_WHEEL)]))
        sp1, sp2 = installer.Scheme(self.gen1).purelib, installer.Scheme(self.gen2).purelib
        same = lambda rel: os.stat(os.path.join(sp1, rel)).st_ino == os.stat(os.path.join(sp2, rel)).st_ino
        self.assertTrue(same("beta/__init__.py"))
        self.assertTrue(same("beta/__pycache__/__init__.%s.pyc" % sys.implementation.cache_tag))
        self.assertTrue(same("pip/__init__.py"))
        self.assertFalse(same("alpha/__init__.py"))
        # RECORD is per generation (a later pip uninstall in one must not touch the other)
        self.assertFalse(same("beta-1.0.dist-info/RECORD"))
        self.assertEqual(self.r2["compiled"], 2)  # only alpha 2.0's two modules

    def test_scripts_point_at_their_own_generation(self):
        for s in ("beta", "beta-tool", "pip"):
            with open(os.path.join(self.gen2, "bin", s)) as f:
                first = f.readline()
            self.assertEqual(first, "#!%s/bin/python\n" % self.gen2, s)
        r = run([os.path.join(self.gen2, "bin", "pip"), "check"])
        self.assertEqual(r.returncode, 0, r.stdout)
        r = run([os.path.join(self.gen2, "bin", "pip"), "list", "--format=freeze"])
        self.assertIn("alpha==2.0", r.stdout)
        self.assertIn("beta==1.0", r.stdout)
        # the RECORD's hash of a rewritten script is the new file's
        sp2 = installer.Scheme(self.gen2).purelib
        with open(os.path.join(sp2, "beta-1.0.dist-info", "RECORD")) as f:
            rows = {r[0]: r for r in csv.reader(f) if r}
        with open(os.path.join(self.gen2, "bin", "beta"), "rb") as f:
            self.assertEqual(rows["../../../bin/beta"][1], record_hash(f.read()))

    def test_uninstall_in_the_new_generation_leaves_the_old_intact(self):
        gen2b = os.path.join(self.tmp, "v.generations", "g2b")
        subprocess.check_call([sys.executable, "-m", "venv", "--without-pip", gen2b])
        installer.install_wheels(gen2b, [{"path": self.b, "sha256": sha256_file(self.b)}, {"path": PIP_WHEEL, "sha256": sha256_file(PIP_WHEEL)}],
                                 prev_venv=self.gen1, prev_dists=self.r1["dists"], compile=False)
        r = run([os.path.join(gen2b, "bin", "pip"), "uninstall", "--yes", "beta"])
        self.assertEqual(r.returncode, 0, r.stdout)
        sp1 = installer.Scheme(self.gen1).purelib
        self.assertTrue(os.path.exists(os.path.join(sp1, "beta", "__init__.py")))
        self.assertEqual(run([os.path.join(self.gen1, "bin", "beta")]).stdout, "hello from beta\n")

    def test_an_incomplete_previous_copy_is_unpacked_instead(self):
        old = os.path.join(self.tmp, "v.generations", "damaged")
        shutil.copytree(self.gen1, old, symlinks=True)
        os.unlink(os.path.join(installer.Scheme(old).purelib, "beta", "cli.py"))
        gen3 = os.path.join(self.tmp, "v.generations", "g3")
        subprocess.check_call([sys.executable, "-m", "venv", "--without-pip", gen3])
        r3 = installer.install_wheels(gen3, [{"path": self.b, "sha256": sha256_file(self.b)}],
                                      prev_venv=old, prev_dists=self.r1["dists"])
        self.assertEqual(r3["unpacked"], ["beta-1.0-py3-none-any.whl"])
        self.assertEqual(run([os.path.join(gen3, "bin", "beta")]).stdout, "hello from beta\n")


class Pieces(unittest.TestCase):
    def test_console_script_specs_follow_pip(self):
        mm = "%d.%d" % sys.version_info[:2]
        specs = installer.console_script_specs({"pip": "a:b", "pip3": "a:b", "pip3.9": "a:b", "x": "m:f"})
        self.assertEqual([n for n, _ in specs], ["pip", "pip%d" % sys.version_info[0], "pip" + mm, "x"])

    def test_long_interpreter_paths_get_the_sh_shebang(self):
        self.assertEqual(installer.shebang("/v/bin/python"), b"#!/v/bin/python\n")
        self.assertTrue(installer.shebang("/" + "x" * 200 + "/bin/python").startswith(b"#!/bin/sh\n'''exec' "))
        self.assertTrue(installer.shebang("/a b/bin/python").startswith(b"#!/bin/sh\n"))

    def test_unsafe_paths_are_refused(self):
        for bad in ("../x", "/etc/passwd", "a/../../b"):
            with self.assertRaises(RemoteError) as c:
                installer._safe_join("/v", bad)
            self.assertEqual(c.exception.kind, "install")


if __name__ == "__main__":
    unittest.main()
