"""The boot (src/remote/boot.py): runs the program sent on stdin, keeps its compiled code by key,
and trusts a cached entry only when it and its directories are the user's and writable by no one else."""
import json
import os
import subprocess
import sys
import tempfile
import unittest
import zlib

HERE = os.path.dirname(os.path.abspath(__file__))


def read(*parts):
    with open(os.path.join(HERE, "..", *parts)) as f:
        return f.read()


BOOT = read("boot.py")

MAIN = """
import sys
from wwremote import errors
spec = __import__("json").loads(WW_SPEC_JSON)
errors.emit({"ok": True, "echo": spec["x"], "pkg": errors.__name__})
sys.exit(spec.get("code", 0))
"""


def program(main=MAIN):
    mods = {"wwremote": ["<wwremote>/wwremote.py", ""]}
    for m in ("errors", "jsonfast", "relazy"):
        mods["wwremote." + m] = ["<wwremote>/wwremote/%s.py" % m, read("wwremote", m + ".py")]
    mods["__main__"] = ["<wheelwright>/t.py", main]
    return zlib.compress(json.dumps(mods).encode())


class Boot(unittest.TestCase):
    def setUp(self):
        self.d = tempfile.mkdtemp(prefix="ww-boot-")
        os.chmod(self.d, 0o755)
        self.top = os.path.join(self.d, "ww")
        # the test's cache location instead of the host's (root: /var/cache/wheelwright, else ~/.cache/wheelwright)
        self.boot = BOOT.replace('"/var/cache/wheelwright"', repr(self.top)).replace(
            'os.path.join(os.path.expanduser("~"), ".cache", "wheelwright")', repr(self.top))
        self.assertNotEqual(self.boot, BOOT)

    def tearDown(self):
        subprocess.call(["rm", "-rf", self.d])

    def run_boot(self, body, key="k1", spec=None):
        p = subprocess.run([sys.executable, "-S", "-c", self.boot], input=("%s %s\n" % (key, json.dumps(spec or {"x": "é 1"}))).encode() + body,
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        return p.returncode, p.stdout.decode(), p.stderr.decode()

    def entries(self):
        d = os.path.join(self.top, "code")
        return sorted(e for e in os.listdir(d)) if os.path.isdir(d) else []

    def test_runs_the_program_then_its_cached_code(self):
        code, out, err = self.run_boot(program())
        self.assertEqual(code, 0, err)
        self.assertIn('"echo": "\\u00e9 1"', out)
        self.assertIn('"pkg": "wwremote.errors"', out)
        self.assertEqual(len(self.entries()), 1)
        # a warm call compiles nothing: the body is not even read (garbage here)
        code, out, err = self.run_boot(b"not zlib", spec={"x": "2", "code": 3})
        self.assertEqual(code, 3, err)
        self.assertIn('"echo": "2"', out)
        # another key is another program
        code, out, err = self.run_boot(b"not zlib", key="k2")
        self.assertNotEqual(code, 0)
        self.assertIn("zlib", err)

    def cached(self):
        self.assertEqual(self.run_boot(program())[0], 0)
        [name] = self.entries()
        return os.path.join(self.top, "code", name)

    def test_untrusted_or_broken_entries_are_not_used(self):
        path = self.cached()
        os.chmod(path, 0o666)  # writable by others
        code, _, err = self.run_boot(b"not zlib")
        self.assertNotEqual(code, 0)
        self.assertIn("zlib", err)
        os.chmod(path, 0o644)
        os.chmod(os.path.join(self.top, "code"), 0o777)  # its directory writable by others
        self.assertNotEqual(self.run_boot(b"not zlib")[0], 0)
        os.chmod(os.path.join(self.top, "code"), 0o755)
        os.chmod(self.top, 0o775)  # the directory above
        self.assertNotEqual(self.run_boot(b"not zlib")[0], 0)
        os.chmod(self.top, 0o755)
        self.assertEqual(self.run_boot(b"not zlib")[0], 0)
        # truncated: compiled again from the body and replaced
        with open(path, "r+b") as f:
            f.truncate(10)
        self.assertEqual(self.run_boot(program())[0], 0)
        self.assertEqual(self.run_boot(b"not zlib")[0], 0)
        # a symlink in place of the entry is not followed
        os.rename(path, path + ".real")
        os.symlink(path + ".real", path)
        self.assertNotEqual(self.run_boot(b"not zlib")[0], 0)

    def test_an_unwritable_cache_still_runs(self):
        os.makedirs(self.top)
        with open(os.path.join(self.top, "code"), "w"):
            pass  # a file where the directory should be
        for _ in range(2):
            code, out, err = self.run_boot(program())
            self.assertEqual(code, 0, err)
            self.assertIn("WW-RESULT", out)

    def test_an_unchanged_result_exits_without_teardown(self):
        # run_main() marks an unchanged result: the boot then exits at once (atexit handlers, which
        # the teardown would run, do not); a changed one, or a failure, exits as usual
        main = """
import atexit, sys
from wwremote import errors
spec = __import__("json").loads(WW_SPEC_JSON)
atexit.register(lambda: sys.stderr.write("teardown\\n"))
def step():
    if spec.get("fail"):
        raise errors.RemoteError("spec", "failed")
    return {"changed": spec["changed"]}
sys.exit(errors.run_main(step))
"""
        for spec, code, teardown in (({"changed": False}, 0, False), ({"changed": True}, 0, True), ({"changed": False, "fail": True}, 1, True)):
            rc, out, err = self.run_boot(program(main), key="q", spec=spec)
            self.assertEqual(rc, code, err)
            self.assertIn("WW-RESULT", out)
            self.assertEqual("teardown" in err, teardown, spec)

    def test_a_failing_program_reports_with_its_file_name(self):
        code, out, err = self.run_boot(program("raise ValueError('boom')\n"), key="bad")
        self.assertNotEqual(code, 0)
        self.assertIn('<wheelwright>/t.py", line 1', err)


if __name__ == "__main__":
    unittest.main()
