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


def fake_wheel(d, name, version, requires_python=None, requires=(), tag="py3-none-any"):
    path = os.path.join(d, "%s-%s-%s.whl" % (name, version, tag))
    meta = "Metadata-Version: 2.1\nName: %s\nVersion: %s\n" % (name, version)
    if requires_python:
        meta += "Requires-Python: %s\n" % requires_python
    meta += "".join("Requires-Dist: %s\n" % r for r in requires)
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


class BuilderPlan(Tmp):
    """Which wheels `pip install --upgrade <build requirements>` would take, foreseen only when plain."""

    def spec(self, **kw):
        s = {"bootstrapWheelDirs": [self.dir("boot")], "wheelDir": self.dir("wheels"), "findLinks": [],
             "pipArgs": ["--no-build-isolation", "--find-links", self.dir("links")], "buildRequirements": ["setuptools", "wheel"],
             "indexUrl": None, "defaultIndex": False, "hostPipConfig": False}
        s.update(kw)
        return s

    def setUp(self):
        Tmp.setUp(self)
        self.bw = load_build_wheels()
        boot = self.dir("boot")
        self.pip = fake_wheel(boot, "pip", "23.0.1")
        self.st = fake_wheel(boot, "setuptools", "66.1.1")
        self.wh = fake_wheel(boot, "wheel", "0.38.4", requires=["pytest>=3.0.0 ; extra == 'test'"])

    def plan(self, spec=None):
        return self.bw.builder_plan(spec or self.spec(), [self.st, self.pip], (3, 11, 2))

    def test_plain_case_the_newest_wheel_of_each_requirement_and_ensurepips_rest(self):
        self.assertEqual(self.plan(), [self.pip, self.st, self.wh])
        newer = fake_wheel(self.dir("links"), "setuptools", "70.0.0")  # pip --upgrade takes the newest of all find-links
        fake_wheel(self.dir("wheels"), "wheel", "0.38.4")  # the same version elsewhere: the boot copy is as good
        with open(self.wh, "rb") as a, open(os.path.join(self.dir("wheels"), os.path.basename(self.wh)), "wb") as b:
            b.write(a.read())
        self.assertEqual(self.plan(), [self.pip, newer, self.wh])
        # the bootstrap setuptools is kept when nothing newer exists (pip: already satisfied)
        os.unlink(newer)
        fake_wheel(self.dir("links"), "setuptools", "60.0")
        self.assertEqual(self.plan(), [self.pip, self.st, self.wh])
        # one version under two file names (66.1.1 and 66.1.1.0): not plain
        fake_wheel(self.dir("links"), "setuptools", "66.1.1.0")
        self.assertIsNone(self.plan())

    def test_pip_decides_whenever_it_is_not_plain(self):
        links = self.dir("links")
        cases = {
            "an index": self.spec(indexUrl="http://pypi.example/simple"),
            "pip's default index": self.spec(defaultIndex=True),
            "the host's pip configuration": self.spec(hostPipConfig=True),
            "another pip argument": self.spec(pipArgs=["--no-build-isolation", "--pre"]),
            "a URL find-links": self.spec(pipArgs=["--find-links", "http://repo/links"]),
            "a specifier": self.spec(buildRequirements=["setuptools<60", "wheel"]),
            "pip itself": self.spec(buildRequirements=["pip", "wheel"]),
            "a requirement without any wheel": self.spec(buildRequirements=["pbr", "wheel"]),
        }
        for why, spec in cases.items():
            self.assertIsNone(self.plan(spec), why)
        for why, make in [
            ("an sdist newer than the wheels", lambda: open(os.path.join(links, "wheel-0.40.0.tar.gz"), "w").close()),
            ("a pre-release", lambda: fake_wheel(links, "wheel", "0.41.0rc1")),
            ("a platform wheel", lambda: fake_wheel(links, "wheel", "0.42.0", tag="cp311-cp311-linux_x86_64")),
            ("an unconditional dependency", lambda: fake_wheel(links, "wheel", "0.43.0", requires=["packaging>=20"])),
            ("a Requires-Python other than >=", lambda: fake_wheel(links, "wheel", "0.44.0", requires_python="!=3.11.*")),
            ("a Requires-Python this interpreter fails", lambda: fake_wheel(links, "wheel", "0.45.0", requires_python=">=3.12")),
        ]:
            for n in os.listdir(links):
                os.unlink(os.path.join(links, n))
            self.assertIsNotNone(self.plan(), why)
            make()
            self.assertIsNone(self.plan(), why)
        # the same file name with other content in two dirs: which one pip takes is not plain
        for n in os.listdir(links):
            os.unlink(os.path.join(links, n))
        fake_wheel(links, "wheel", "0.38.4", requires=["x ; extra == 'y'"])
        self.assertIsNone(self.plan())


@unittest.skipUnless(find_pip_wheel([SYSTEM_WHEELS]) and find_newest_wheel([SYSTEM_WHEELS], "wheel"),
                     "needs pip's and wheel's wheels in %s (Debian python3-pip-whl, python3-wheel-whl)" % SYSTEM_WHEELS)
class BuilderVenv(Tmp):
    def spec(self, venv, pip_args=("--no-build-isolation",)):
        return {"builderVenvPath": venv, "buildRequirements": ["setuptools", "wheel"], "pipArgs": list(pip_args),
                "lockTimeoutSec": 5, "recreateBuilder": False, "bootstrapWheelDirs": [SYSTEM_WHEELS],
                "wheelDir": self.dir("wheels"), "findLinks": [], "indexUrl": None, "retries": 0, "retryDelaySec": 0}

    def log_text(self):
        with open(os.path.join(self.d, "build.log")) as f:
            return f.read()

    def ensure(self, bw, venv, **kw):
        log = proc.Log(os.path.join(self.d, "build.log"), fresh=True)
        try:
            return bw.ensure_builder(self.spec(venv, **kw), log)
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
        self.assertEqual(log.count("-m pip "), 0, log)  # no pip run: the build requirements were plain
        self.assertIn("(the build requirements as `pip install --upgrade` would take them)", log)
        self.assertTrue(bw.has_pip(venv))
        self.check_usable(venv)
        self.assertTrue(os.path.exists(os.path.join(venv, bw.OWNED)))
        self.assertTrue(os.path.exists(os.path.join(venv, bw.BUILDER_STAMP)))
        self.assertFalse(self.ensure(bw, venv))  # stamp matches: left alone

    def test_pip_installs_the_build_requirements_when_they_are_not_plain(self):
        bw = load_build_wheels()
        venv = os.path.join(self.d, "builder")
        self.assertTrue(self.ensure(bw, venv, pip_args=("--no-build-isolation", "--prefer-binary")))
        log = self.log_text()
        self.assertEqual(log.count("-m pip "), 1, log)
        self.assertIn("-m pip install --upgrade", log)
        self.assertNotIn("ensurepip", log)
        self.check_usable(venv)


if __name__ == "__main__":
    unittest.main()
