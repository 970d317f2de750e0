"""The build host's builder venv (src/wheels/build_wheels.py): made without ensurepip's pip run,
by unpacking ensurepip's own wheels (pip, setuptools before Python 3.12) from the bootstrap dirs,
then pip installs the build requirements as before; a builder left half-made is made again."""
import glob
import importlib.util
import os
import subprocess
import sys
import tempfile
import unittest
import zipfile

HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.path.join(HERE, "..", "..")
sys.path.insert(0, os.path.join(HERE, ".."))

from wwremote import proc  # noqa: E402
from wwremote.wheelfile import find_newest_wheel, find_pip_wheel  # noqa: E402

SYSTEM_WHEELS = "/usr/share/python-wheels"


def load_build_wheels():
    spec = importlib.util.spec_from_file_location("ww_build_wheels", os.path.join(SRC, "wheels", "build_wheels.py"))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def fake_wheel(d, name, version, requires_python=None):
    path = os.path.join(d, "%s-%s-py3-none-any.whl" % (name, version))
    meta = "Metadata-Version: 2.1\nName: %s\nVersion: %s\n" % (name, version)
    if requires_python:
        meta += "Requires-Python: %s\n" % requires_python
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("%s-%s.dist-info/METADATA" % (name, version), meta)
    return path


class Tmp(unittest.TestCase):
    def setUp(self):
        self.d = tempfile.mkdtemp(prefix="ww-build-wheels-")
        self.addCleanup(lambda: subprocess.call(["rm", "-rf", self.d]))

    def dir(self, *parts):
        p = os.path.join(self.d, *parts)
        os.makedirs(p, exist_ok=True)
        return p


class BootstrapWheels(Tmp):
    def test_newest_wheel_of_the_named_project_by_version(self):
        a, b = self.dir("a"), self.dir("b")
        fake_wheel(a, "setuptools", "9.0")
        new = fake_wheel(b, "setuptools", "66.1.1")
        fake_wheel(a, "setuptools", "99.0", requires_python=">=3.99")  # not for this interpreter
        fake_wheel(a, "pip", "100.0")
        self.assertEqual(find_newest_wheel([a, b, self.p("missing")], "setuptools"), new)
        self.assertEqual(find_newest_wheel([a, b], "Setup_Tools".replace("_", "")), new)  # PEP 503 name
        self.assertIsNone(find_newest_wheel([a, b], "wheel"))
        self.assertEqual(find_pip_wheel([a, b]), os.path.join(a, "pip-100.0-py3-none-any.whl"))

    def p(self, *parts):
        return os.path.join(self.d, *parts)

    def test_ensurepip_projects_follow_the_python_version(self):
        bw = load_build_wheels()
        self.assertEqual(bw.ensurepip_projects((3, 11, 2)), ("setuptools", "pip"))
        self.assertEqual(bw.ensurepip_projects((3, 6, 0)), ("setuptools", "pip"))
        self.assertEqual(bw.ensurepip_projects((3, 12, 0)), ("pip",))

    def test_bootstrap_wheels_need_pip_and_take_setuptools_when_ensurepip_would(self):
        bw = load_build_wheels()
        d = self.dir("boot")
        st = fake_wheel(d, "setuptools", "66.1.1")
        fake_wheel(d, "wheel", "0.38.4")  # not ensurepip's: pip installs it as a build requirement
        self.assertIsNone(bw.bootstrap_wheels([d], (3, 11, 2)))  # no pip wheel: ensurepip runs instead
        pip = fake_wheel(d, "pip", "23.0.1")
        self.assertEqual(bw.bootstrap_wheels([d], (3, 11, 2)), [st, pip])
        self.assertEqual(bw.bootstrap_wheels([d], (3, 12, 1)), [pip])
        os.unlink(st)
        self.assertEqual(bw.bootstrap_wheels([d], (3, 11, 2)), [pip])


@unittest.skipUnless(find_pip_wheel([SYSTEM_WHEELS]) and find_newest_wheel([SYSTEM_WHEELS], "wheel"),
                     "needs pip's and wheel's wheels in %s (Debian python3-pip-whl, python3-wheel-whl)" % SYSTEM_WHEELS)
class BuilderVenv(Tmp):
    def spec(self, venv):
        return {"builderVenvPath": venv, "buildRequirements": ["setuptools", "wheel"], "pipArgs": ["--no-build-isolation"],
                "lockTimeoutSec": 5, "recreateBuilder": False, "bootstrapWheelDirs": [SYSTEM_WHEELS],
                "wheelDir": self.dir("wheels"), "findLinks": [], "indexUrl": None, "retries": 0, "retryDelaySec": 0}

    def log_text(self):
        with open(os.path.join(self.d, "build.log")) as f:
            return f.read()

    def ensure(self, bw, venv):
        log = proc.Log(os.path.join(self.d, "build.log"), fresh=True)
        try:
            return bw.ensure_builder(self.spec(venv), log)
        finally:
            log.close()

    def check_usable(self, venv):
        """pip, setuptools and wheel importable and known to importlib.metadata; bin/pip runs the venv's python."""
        py = os.path.join(venv, "bin", "python")
        code = ("import setuptools, wheel.bdist_wheel, pip, importlib.metadata as m; "
                "print(sorted(d.metadata['Name'].lower() for d in m.distributions()))")
        r = subprocess.run([py, "-c", code], stdout=subprocess.PIPE, stderr=subprocess.PIPE, universal_newlines=True)
        self.assertEqual((r.returncode, r.stdout.strip()), (0, "['pip', 'setuptools', 'wheel']"), r.stderr)
        with open(os.path.join(venv, "bin", "pip")) as f:
            self.assertEqual(f.readline(), "#!%s\n" % py)
        self.assertTrue(os.access(os.path.join(venv, "bin", "pip"), os.X_OK))

    def test_made_from_the_bootstrap_wheels_without_ensurepip_then_kept_and_a_half_made_one_made_again(self):
        bw = load_build_wheels()
        venv = os.path.join(self.d, "builder")
        os.makedirs(venv)
        with open(os.path.join(venv, bw.OWNED), "w") as f:
            f.write("created by wheelwright as a builder venv\n")
        subprocess.check_call([sys.executable, "-m", "venv", "--without-pip", venv])
        # an earlier run died while unpacking pip: some of its files, no RECORD, no stamp
        sp = glob.glob(os.path.join(venv, "lib", "python*", "site-packages"))[0]
        os.makedirs(os.path.join(sp, "pip"))
        with open(os.path.join(sp, "pip", "__init__.py"), "w") as f:
            f.write("")
        self.assertFalse(bw.has_pip(venv))

        self.assertTrue(self.ensure(bw, venv))
        log = self.log_text()
        self.assertIn("-m venv --without-pip %s\n" % venv, log)
        self.assertIn("bootstrap: unpacking ", log)
        self.assertIn(find_pip_wheel([SYSTEM_WHEELS]), log)
        self.assertNotIn("ensurepip", log)
        self.assertEqual(log.count("-m pip "), 1, log)  # one pip run: the build requirements
        self.assertIn("-m pip install --upgrade", log)
        self.assertTrue(bw.has_pip(venv))
        self.check_usable(venv)
        self.assertTrue(os.path.exists(os.path.join(venv, bw.OWNED)))
        self.assertTrue(os.path.exists(os.path.join(venv, bw.BUILDER_STAMP)))
        self.assertFalse(self.ensure(bw, venv))  # stamp matches: left alone


if __name__ == "__main__":
    unittest.main()
