"""Issue 8's ownership rule in both remote scripts, run as they run on hosts: the build host's
builder venv (build_wheels.ensure_builder) and the lock/log files next to a target's venv
(ensure_venv.py) are never wiped, followed or written when wheelwright did not create them."""
import importlib.util
import json
import os
import subprocess
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.path.join(HERE, "..", "..")
sys.path.insert(0, os.path.join(HERE, ".."))

from wwremote import proc  # noqa: E402
from wwremote.errors import RESULT_PREFIX, RemoteError  # noqa: E402


def load_build_wheels():
    spec = importlib.util.spec_from_file_location("ww_build_wheels", os.path.join(SRC, "wheels", "build_wheels.py"))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def tree(d):
    out = {}
    for root, dirs, files in os.walk(d):
        for n in files:
            p = os.path.join(root, n)
            with open(p, "rb") as f:
                out[os.path.relpath(p, d)] = f.read()
    return out


class Builder(unittest.TestCase):
    def setUp(self):
        self.d = tempfile.mkdtemp(prefix="ww-own-")
        self.addCleanup(lambda: subprocess.call(["rm", "-rf", self.d]))

    def spec(self, venv):
        return {"builderVenvPath": venv, "buildRequirements": ["setuptools", "wheel"], "pipArgs": [], "lockTimeoutSec": 5,
                "recreateBuilder": True, "bootstrapWheelDirs": [], "wheelDir": os.path.join(self.d, "wheels"), "findLinks": [],
                "retries": 0, "retryDelaySec": 0}

    def test_a_foreign_venv_at_the_builder_path_is_refused_untouched(self):
        bw = load_build_wheels()
        venv = os.path.join(self.d, "builder")
        os.makedirs(os.path.join(venv, "lib"))
        with open(os.path.join(venv, "pyvenv.cfg"), "w") as f:
            f.write("home = /usr/bin\n")
        with open(os.path.join(venv, "lib", "data.db"), "w") as f:
            f.write("someone's data\n")
        before = tree(venv)
        log = proc.Log(os.path.join(self.d, "build.log"), fresh=True)
        with self.assertRaises(RemoteError) as c:
            bw.ensure_builder(self.spec(venv), log)  # recreateBuilder: the old code wiped it here
        e = c.exception
        self.assertEqual(e.kind, "builder")
        self.assertIn("refusing to remove or replace %s" % venv, e.message)
        self.assertIn("a virtualenv not made by wheelwright", e.message)
        self.assertEqual(tree(venv), before)

    def test_a_file_at_the_builder_path_is_refused(self):
        bw = load_build_wheels()
        venv = os.path.join(self.d, "builder-file")
        with open(venv, "w") as f:
            f.write("not a venv\n")
        with self.assertRaises(RemoteError) as c:
            bw.ensure_builder(self.spec(venv), proc.Log(os.path.join(self.d, "b.log"), fresh=True))
        self.assertIn("a regular file", c.exception.message)
        with open(venv) as f:
            self.assertEqual(f.read(), "not a venv\n")


class TargetSideFiles(unittest.TestCase):
    def setUp(self):
        self.d = tempfile.mkdtemp(prefix="ww-own-")
        self.addCleanup(lambda: subprocess.call(["rm", "-rf", self.d]))

    def ensure(self, path):
        spec_file = os.path.join(self.d, "spec.json")
        with open(spec_file, "w") as f:
            json.dump({"action": "ensure", "hash": "0123456789abcdef", "path": path, "requirements": ["ww-x"]}, f)
        p = subprocess.run([sys.executable, os.path.join(SRC, "venv", "ensure_venv.py"), spec_file], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        line = [l for l in p.stdout.decode().splitlines() if l.startswith(RESULT_PREFIX)][-1]
        return json.loads(line[len(RESULT_PREFIX):])

    def test_lock_and_log_next_to_a_venv_are_checked(self):
        venv = os.path.join(self.d, "venv")
        victim = os.path.join(self.d, "victim")
        with open(victim, "w") as f:
            f.write("precious\n")
        os.symlink(victim, venv + ".log")
        res = self.ensure(venv)
        self.assertEqual((res["ok"], res["kind"]), (False, "refused"))
        self.assertIn("%s.log" % venv, res["error"])
        os.unlink(venv + ".log")
        with open(venv + ".lock", "w") as f:
            f.write("notes of mine\n")
        res = self.ensure(venv)
        self.assertEqual((res["ok"], res["kind"]), (False, "refused"))
        self.assertIn("%s.lock" % venv, res["error"])
        with open(victim) as f:
            self.assertEqual(f.read(), "precious\n")
        with open(venv + ".lock") as f:
            self.assertEqual(f.read(), "notes of mine\n")
        self.assertFalse(os.path.exists(venv))



class MarkerRenamedWhileChecked(unittest.TestCase):
    """Another run finishes writing its marker (staging file renamed into place) between the two
    looks of is_wheelwright_owned: the directory is still ours, never "no wheelwright marker"."""

    def test_rename_between_exists_and_listdir(self):
        from wwremote import ownership

        d = tempfile.mkdtemp(prefix="ww-own-race-")
        self.addCleanup(lambda: subprocess.call(["rm", "-rf", d]))
        marker = ".wheelwright-owned"
        tmp = os.path.join(d, "." + marker + ".ww-tmp-abc")
        with open(tmp, "w") as f:
            f.write("created by wheelwright\n")
        real_exists = os.path.exists

        def exists_then_rename(p):
            answer = real_exists(p)
            if p == os.path.join(d, marker) and real_exists(tmp):
                os.rename(tmp, p)  # the other run's write_atomic completes right after our look
            return answer

        ownership.os.path.exists = exists_then_rename
        try:
            self.assertTrue(ownership.is_wheelwright_owned(d, ("marker.json", marker)))
        finally:
            ownership.os.path.exists = real_exists
        self.assertEqual(os.listdir(d), [marker])


class ParentMadeMeanwhile(unittest.TestCase):
    """Two `venv ensure` of the same path at once: the other run makes the venv's parent directory
    between this run's look and its makedirs (before any lock can exist). Not an error."""

    def test_parent_created_by_another_run_meanwhile(self):
        import importlib.util

        d = tempfile.mkdtemp(prefix="ww-parent-race-")
        self.addCleanup(lambda: subprocess.call(["rm", "-rf", d]))
        sp = importlib.util.spec_from_file_location("ww_ensure_venv_race", os.path.join(SRC, "venv", "ensure_venv.py"))
        ev = importlib.util.module_from_spec(sp)
        sp.loader.exec_module(ev)
        parent = os.path.join(d, "venvs")
        real_makedirs = os.makedirs
        made = []

        def other_run_first(p, *a, **k):
            if p == parent and not made:
                made.append(p)
                os.mkdir(parent)  # the other run's makedirs lands first
            return real_makedirs(p, *a, **k)

        ev.os.makedirs = other_run_first
        try:
            ev.do_ensure({"hash": "0123456789abcdef", "path": os.path.join(parent, "v"), "requirements": [], "lockTimeoutSec": 5})
        except RemoteError:
            pass  # what comes after (no wheels here) may fail; the parent's creation must not
        finally:
            ev.os.makedirs = real_makedirs
        self.assertEqual(made, [parent])
        self.assertTrue(os.path.exists(os.path.join(parent, "v.lock")))


if __name__ == "__main__":
    unittest.main()
