"""More of the wheel spec against pip (issue 9, point 2): GUI scripts, entry points with extras,
every `.data` directory (purelib, platlib, headers, data, scripts: shell and `#!python`), a project
name that is not normalised; and the path where `venv_pip_install_args` makes pip install the
pinned files: `pip freeze` and the dist-info are what pip's install by name gives (no
`direct_url.json`, so no `name @ file:///...` lines)."""
import csv
import importlib.util
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

from wwremote import installer, proc  # noqa: E402
from wwremote.fsutil import sha256_file  # noqa: E402
from wwremote.wheelfile import find_pip_wheel  # noqa: E402
from wheelmaker import files_of, run, write_wheel  # noqa: E402

SYSTEM_WHEELS = "/usr/share/python-wheels"
PIP_WHEEL = find_pip_wheel([SYSTEM_WHEELS])
MM = "%d.%d" % sys.version_info[:2]


def odd_wheel(d, version="1.0", requires=()):
    """Project `Odd.Name_pkg`: platlib root, every .data dir, a GUI script, an entry point with extras."""
    dist = "odd_name_pkg-%s" % version
    info = dist + ".dist-info"
    files = {
        "oddpkg/__init__.py": "VALUE = %r\n" % version,
        "oddpkg/gui.py": "def main():\n    print('odd main')\n",
        dist + ".data/purelib/odd_pure.py": "P = 1\n",
        dist + ".data/platlib/odd_plat.py": "Q = 1\n",
        dist + ".data/headers/odd.h": "int odd;\n",
        dist + ".data/data/etc/odd/odd.conf": "conf\n",
        dist + ".data/scripts/odd-sh": "#!/bin/sh\necho from-sh\n",
        dist + ".data/scripts/odd-py": "#!python\nimport odd_pure\nprint('from-py', odd_pure.P)\n",
        info + "/METADATA": "Metadata-Version: 2.1\nName: Odd.Name_pkg\nVersion: %s\n%s\n" % (
            version, "".join("Requires-Dist: %s\n" % r for r in requires)),
        info + "/WHEEL": "Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: false\nTag: py3-none-any\n",
        info + "/entry_points.txt": "[gui_scripts]\nodd-gui = oddpkg.gui:main\n\n[console_scripts]\nodd-cli = oddpkg.gui:main [extra]\n",
    }
    path = os.path.join(d, "%s-py3-none-any.whl" % dist)
    return write_wheel(path, info, files)


def plain_wheel(d, name, version):
    dist = "%s-%s" % (name, version)
    info = dist + ".dist-info"
    files = {
        "%s/__init__.py" % name: "V = %r\n" % version,
        info + "/METADATA": "Metadata-Version: 2.1\nName: %s\nVersion: %s\n" % (name, version),
        info + "/WHEEL": "Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
    }
    path = os.path.join(d, "%s-py3-none-any.whl" % dist)
    return write_wheel(path, info, files)


def venv(path):
    subprocess.check_call([sys.executable, "-m", "venv", "--without-pip", path])
    return path


def pip_by_name(v, find_links, names, extra=()):
    """What the upstream role's targets do: pip install by name from the wheel directory."""
    r = run([os.path.join(v, "bin", "python"), os.path.join(PIP_WHEEL, "pip"), "install", "--no-index"] + list(extra)
            + ["--find-links", find_links, "--find-links", os.path.dirname(PIP_WHEEL), "pip"] + list(names))
    assert r.returncode == 0, r.stdout
    return v


@unittest.skipUnless(PIP_WHEEL, "needs pip's wheel in %s (Debian python3-pip-whl)" % SYSTEM_WHEELS)
class DataDirsAndGuiScripts(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="ww-installer-spec-")
        wd = os.path.join(cls.tmp, "wheels")
        os.makedirs(wd)
        cls.whl = odd_wheel(wd)
        # without byte-code, to keep it quick (test_installer.py compares the byte-code with pip's)
        cls.pipv = pip_by_name(venv(os.path.join(cls.tmp, "by-pip")), wd, ["Odd.Name_pkg"], ["--no-compile"])
        cls.ours = venv(os.path.join(cls.tmp, "by-ww"))
        installer.install_wheels(cls.ours, [{"path": p, "sha256": sha256_file(p)} for p in (cls.whl, PIP_WHEEL)],
                                 requested=["odd-name-pkg"], compile=False)

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def test_every_data_dir_lands_where_pip_puts_it(self):
        ours = files_of(self.ours)
        # pip marks pip itself REQUESTED (named on its command line here); the rest is the same tree
        self.assertEqual(files_of(self.pipv) - ours, {"lib/python%s/site-packages/pip-%s.dist-info/REQUESTED" % (
            MM, os.path.basename(PIP_WHEEL).split("-")[1])})
        self.assertEqual(ours - files_of(self.pipv), set())
        sp = "lib/python%s/site-packages/" % MM
        for f in (sp + "odd_pure.py", sp + "odd_plat.py", "include/site/python%s/Odd.Name_pkg/odd.h" % MM, "etc/odd/odd.conf",
                  "bin/odd-sh", "bin/odd-py", "bin/odd-gui", "bin/odd-cli"):
            self.assertIn(f, ours)

    def test_record_and_scripts_as_pip_writes_them(self):
        info = "lib/python%s/site-packages/odd_name_pkg-1.0.dist-info/RECORD" % MM
        def rows(v):
            with open(os.path.join(v, info)) as f:
                return sorted(r[0] for r in csv.reader(f) if r)
        self.assertEqual(rows(self.ours), rows(self.pipv))
        for s in ("odd-gui", "odd-cli", "odd-sh", "odd-py"):
            with open(os.path.join(self.pipv, "bin", s), "rb") as f:
                theirs = f.read().replace(self.pipv.encode(), b"VENV")
            with open(os.path.join(self.ours, "bin", s), "rb") as f:
                mine = f.read().replace(self.ours.encode(), b"VENV")
            self.assertEqual(mine, theirs, s)
            self.assertTrue(os.access(os.path.join(self.ours, "bin", s), os.X_OK), s)
        self.assertEqual(run([os.path.join(self.ours, "bin", "odd-gui")]).stdout, "odd main\n")
        self.assertEqual(run([os.path.join(self.ours, "bin", "odd-py")]).stdout, "from-py 1\n")
        self.assertEqual(run([os.path.join(self.ours, "bin", "odd-sh")]).stdout, "from-sh\n")

    def test_pip_sees_it_as_its_own(self):
        py = os.path.join(self.ours, "bin", "python")
        self.assertIn("Odd.Name-pkg==1.0", run([py, "-m", "pip", "freeze"]).stdout.replace("Odd.Name_pkg", "Odd.Name-pkg"))
        r = run([py, "-c", "import importlib.metadata as m; d = m.distribution('odd-name-pkg'); "
                 "print(d.version, sorted(e.group for e in d.entry_points))"])
        self.assertEqual(r.stdout.strip(), "1.0 ['console_scripts', 'gui_scripts']")
        # uninstall in a venv of its own (the other tests read this one)
        v = venv(os.path.join(self.tmp, "uninstall"))
        installer.install_wheels(v, [{"path": p, "sha256": sha256_file(p)} for p in (self.whl, PIP_WHEEL)], requested=["odd-name-pkg"], compile=False)
        r = run([os.path.join(v, "bin", "python"), "-m", "pip", "uninstall", "--yes", "odd-name-pkg"])
        self.assertEqual(r.returncode, 0, r.stdout)
        self.assertEqual([f for f in files_of(v) if "odd" in f.lower()], [])


@unittest.skipUnless(PIP_WHEEL, "needs pip's wheel in %s (Debian python3-pip-whl)" % SYSTEM_WHEELS)
class PipArgsPath(unittest.TestCase):
    """venv_pip_install_args other than --no-compile: pip installs the pinned files itself. The
    venv must still look like pip's install by name (upstream's): no direct_url.json, `pip freeze`
    gives `name==version`, and only the listed files are used even if the wheelhouse has others."""

    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="ww-pipargs-test-")
        wd = os.path.join(cls.tmp, "wheelhouse")
        os.makedirs(wd)
        plain_wheel(wd, "alpha", "1.0")
        plain_wheel(wd, "beta", "2.0")
        other = os.path.join(cls.tmp, "other")
        os.makedirs(other)
        shutil.copy(plain_wheel(other, "alpha", "9.0"), wd)  # in the wheelhouse, not in the build result
        src = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "venv", "ensure_venv.py")
        spec = importlib.util.spec_from_file_location("ww_ensure_venv_pipargs", src)
        cls.ev = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(cls.ev)
        cls.ev.ISOLATED[0] = True  # as the role runs it: the host's pip configuration ignored
        listed = ["alpha-1.0-py3-none-any.whl", "beta-2.0-py3-none-any.whl"]
        cls.wheels = [{"file": f, "sha256": sha256_file(os.path.join(wd, f))} for f in listed]
        cls.wd = wd
        cls.log = proc.Log(os.path.join(cls.tmp, "log"))
        cls.ours = venv(os.path.join(cls.tmp, "ours"))
        s = {"pinned": {"wheelhouse": wd, "wheels": cls.wheels}, "pipArgs": ["--no-compile", "--no-warn-script-location"], "requirements": ["alpha"]}
        cls.ev.install_pinned(cls.ours, s, cls.log, "ours", None)
        only = os.path.join(cls.tmp, "listed")
        os.makedirs(only)
        for f in listed:
            shutil.copy(os.path.join(wd, f), only)
        cls.pipv = pip_by_name(venv(os.path.join(cls.tmp, "by-pip")), only, ["alpha", "beta"], ["--no-compile"])

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def test_pip_freeze_as_after_an_install_by_name(self):
        freeze = lambda v: run([os.path.join(v, "bin", "python"), "-m", "pip", "freeze", "--all"]).stdout
        ours = freeze(self.ours)
        self.assertEqual(ours, freeze(self.pipv))
        self.assertIn("alpha==1.0\n", ours)
        self.assertFalse([f for f in files_of(self.ours) if f.endswith("direct_url.json")])
        self.assertEqual(run([os.path.join(self.ours, "bin", "pip"), "check"]).returncode, 0)
        # --no-compile among other pip arguments: no byte-code, pip's own files included
        self.assertFalse([f for f in files_of(self.ours) if f.endswith(".pyc")])
        self.assertFalse([n for n in os.listdir(self.wd) if n.startswith(".ww-listed-")])  # its link dir removed


if __name__ == "__main__":
    unittest.main()
