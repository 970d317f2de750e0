"""The remote side is ONE stdlib-only package (issue 9, point 5): wwremote and the two scripts built
on it (src/venv/ensure_venv.py, src/wheels/build_wheels.py) import nothing outside the standard
library, raise one error type, and keep one lock, one atomic write and one pip-wheel finder, in
wwremote, instead of a copy per script."""
import ast
import os
import sys
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.path.normpath(os.path.join(HERE, "..", ".."))
PKG = os.path.join(SRC, "remote", "wwremote")
SCRIPTS = [os.path.join(SRC, "venv", "ensure_venv.py"), os.path.join(SRC, "wheels", "build_wheels.py")]
MODULES = sorted(os.path.join(PKG, n) for n in os.listdir(PKG) if n.endswith(".py"))
BOOT = os.path.join(SRC, "remote", "boot.py")


def tree(path):
    with open(path, encoding="utf-8") as f:
        return ast.parse(f.read(), path)


def imported(t):
    """Top-level names of every module imported anywhere in the file (function bodies included)."""
    out = set()
    for n in ast.walk(t):
        if isinstance(n, ast.Import):
            out.update(a.name.split(".")[0] for a in n.names)
        elif isinstance(n, ast.ImportFrom) and n.level == 0 and n.module:
            out.add(n.module.split(".")[0])
    return out


def rel(p):
    return os.path.relpath(p, SRC)


class PackageShape(unittest.TestCase):
    @unittest.skipUnless(hasattr(sys, "stdlib_module_names"), "needs Python 3.10+ to list the standard library")
    def test_stdlib_only(self):
        std = set(sys.stdlib_module_names) | {"_sha2"}  # 3.12's built-in sha256 (fsutil tries it first)
        for p in MODULES + SCRIPTS + [BOOT]:
            outside = sorted(m for m in imported(tree(p)) if m not in std and m != "wwremote")
            self.assertEqual(outside, [], rel(p))

    def test_one_error_type(self):
        classes = []
        for p in MODULES + SCRIPTS:
            for n in ast.walk(tree(p)):
                if isinstance(n, ast.ClassDef):
                    bases = [b.id if isinstance(b, ast.Name) else getattr(b, "attr", "") for b in n.bases]
                    if any(b.endswith(("Exception", "Error")) for b in bases):
                        classes.append("%s:%s" % (rel(p), n.name))
        self.assertEqual(classes, ["remote/wwremote/errors.py:RemoteError"])

    def test_one_lock_one_atomic_write_one_pip_wheel_finder(self):
        # fcntl (the locks) only in wwremote/lock.py; the scripts define no lock, atomic write or
        # pip-wheel finder of their own
        users = sorted(rel(p) for p in MODULES + SCRIPTS if "fcntl" in imported(tree(p)))
        self.assertEqual(users, ["remote/wwremote/lock.py"])
        own = []
        for p in SCRIPTS:
            for n in ast.walk(tree(p)):
                if isinstance(n, (ast.FunctionDef, ast.ClassDef)) and any(
                    w in n.name.lower() for w in ("lock", "atomic", "pip_wheel", "find_pip")
                ):
                    own.append("%s:%s" % (rel(p), n.name))
        self.assertEqual(own, [])
        defs = lambda name: sorted(rel(p) for p in MODULES + SCRIPTS
                                   for n in ast.walk(tree(p)) if isinstance(n, ast.FunctionDef) and n.name == name)
        self.assertEqual(defs("find_pip_wheel"), ["remote/wwremote/wheelfile.py"])
        self.assertEqual(defs("write_atomic"), ["remote/wwremote/fsutil.py"])

    def test_both_scripts_are_built_on_the_package(self):
        for p in SCRIPTS:
            mods = set()
            for n in ast.walk(tree(p)):
                if isinstance(n, ast.ImportFrom) and n.module and n.module.startswith("wwremote."):
                    mods.add(n.module.split(".")[1])
                elif isinstance(n, ast.ImportFrom) and n.module == "wwremote":
                    mods.update(a.name for a in n.names)
            for m in ("errors", "lock", "fsutil", "proc", "wheelfile"):
                self.assertIn(m, mods, "%s uses wwremote.%s" % (rel(p), m))


if __name__ == "__main__":
    unittest.main()
