"""A no-op check is cheap on its host: it imports no json, re, configparser, platform or shutil
(on a small host they are half of what the check costs), and what stands in for them gives the
same answers: jsonfast is json to the byte, relazy compiles on first use, plain_ini reads what
configparser reads, and the string helpers match the patterns they replace."""
import configparser
import json
import os
import re
import subprocess
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
REMOTE = os.path.normpath(os.path.join(HERE, ".."))
SRC = os.path.normpath(os.path.join(REMOTE, ".."))
sys.path.insert(0, REMOTE)
sys.path.insert(0, os.path.join(SRC, "wheels"))

from wwremote import distro, facts, jsonfast, wheelfile  # noqa: E402
from wwremote.relazy import compiled  # noqa: E402

import build_wheels  # noqa: E402

HEAVY = ("json", "re", "configparser", "platform", "shutil", "importlib.util", "importlib.machinery", "calendar")


class JsonFast(unittest.TestCase):
    VALUES = [
        {"b": 1, "a": [True, False, None, 1.5, -0.0, 10 ** 30, -7], "c": {"z": "é\u2028\x00\"\\/", "y": "\U0001F600"}},
        [1e300, 1e-300, 2.5e-5, 123456789.123, float("inf"), float("-inf")],
        "plain", 0, [], {}, (1, 2), {"k": (3, [4, {"n": None}])}, "\udcff lone surrogate",
    ]

    def test_dumps_is_json_dumps_to_the_byte(self):
        for v in self.VALUES:
            for sk in (False, True):
                self.assertEqual(jsonfast.dumps(v, sort_keys=sk), json.dumps(v, sort_keys=sk))
        nan = jsonfast.dumps([float("nan")])
        self.assertEqual(nan, json.dumps([float("nan")]))

    def test_dumps_what_json_converts_or_rejects(self):
        # non-str keys (converted by json), unsupported types (rejected by json): json's answer
        self.assertEqual(jsonfast.dumps({1: "a", None: 2, 2.5: 3}), json.dumps({1: "a", None: 2, 2.5: 3}))
        for bad in ({1, 2}, object(), {"a": b"bytes"}):
            with self.assertRaises(TypeError):
                jsonfast.dumps(bad)
        loop = []
        loop.append(loop)
        with self.assertRaises(ValueError):
            jsonfast.dumps(loop)

    def test_loads_is_json_loads(self):
        for v in self.VALUES:
            text = json.dumps(v)
            self.assertEqual(repr(jsonfast.loads(text)), repr(json.loads(text)))
        for text in (' \n{"a": [1, 2.0, -3e2, "\\ud83d\\ude00 \\u00e9"]}\t\r\n', "[NaN, Infinity, -Infinity]", "12345678901234567890",
                     '"x"', "null", "true", "[]", '{"a":{"b":[{}]}}', '"\\ud800"', '{"dup": 1, "dup": 2}'):
            self.assertEqual(repr(jsonfast.loads(text)), repr(json.loads(text)), text)

    def test_loads_rejects_what_json_rejects(self):
        for text in ("", " ", "{", "[1,]", "[1] x", "\ufeff[1]", "{'a': 1}", '"\x01"', "01", "nul", "[1] [2]"):
            with self.assertRaises(ValueError) as fast:
                jsonfast.loads(text)
            with self.assertRaises(ValueError) as slow:
                json.loads(text)
            self.assertEqual(str(fast.exception), str(slow.exception), text)
        self.assertEqual(jsonfast.loads(b'{"a": 1}'), {"a": 1})  # bytes: json's own path


class Relazy(unittest.TestCase):
    def test_compiles_on_first_use_with_flags_by_name(self):
        rx = compiled(r"^a(b+)$", "I", "M")
        self.assertIsNone(rx._rx)
        self.assertEqual(rx.match("ABB").group(1), "BB")
        self.assertEqual(rx.findall("ab\nabbb"), ["b", "bbb"])
        self.assertEqual(rx.flags & (re.I | re.M), re.I | re.M)


class PlainIni(unittest.TestCase):
    def configparser_view(self, text):
        cp = configparser.RawConfigParser()
        cp.optionxform = str
        cp.read_string(text)
        return {s: dict(cp.items(s)) for s in cp.sections()}

    def test_reads_what_configparser_reads(self):
        texts = [
            "",
            "[demo]\nvenv_tag = bench\n\n",
            "[a]\nx = 1\ny=2\nz :3\nw = a = b : c\nempty =\nCase = Upper\n\n\n[b]\nx = other\n",
            "[a]b]\nk = v\n",
            "[ spaced name ]\nk  =  v  with  spaces  \n",
            "[a]\r\nk = v\r\n",
        ]
        for t in texts:
            self.assertEqual(facts.plain_ini(t), self.configparser_view(t), repr(t))

    def test_anything_else_is_left_to_configparser(self):
        for t in ("k = v\n", "[a]\n# c\nk = v\n", "[a]\n; c\n", "[a]\nk = v\n  more\n", "[DEFAULT]\nk = v\n", "[a]\n[a]\n",
                  "[a]\nk = 1\nk = 2\n", "[a]\njust a line\n", "[a]\n= v\n", " [a]\n", "[a]\n[b\n", "\u3000[a]\n"):
            self.assertIsNone(facts.plain_ini(t), repr(t))

    def test_facts_current_answers_as_with_configparser(self):
        d = tempfile.mkdtemp(prefix="ww-ini-")
        self.addCleanup(subprocess.call, ["rm", "-rf", d])
        path = os.path.join(d, "f.fact")
        want = {"path": path, "values": [{"section": "demo", "option": "venv_tag", "value": "bench"}]}
        cases = {
            "[demo]\nvenv_tag = bench\n": True,
            "[demo]\nvenv_tag = other\n": False,
            "[other]\nvenv_tag = bench\n": False,
            "[demo]\n# comment\nvenv_tag = bench\n": True,  # configparser's path
            "[DEFAULT]\nvenv_tag = bench\n[demo]\n": True,  # configparser's path: DEFAULT applies
            "[demo]\nvenv_tag = bench\nvenv_tag = bench\n": False,  # configparser: duplicate option
            "[demo]\nvenv_tag = bench\n  continued\n": False,
        }
        for text, expected in cases.items():
            with open(path, "w") as f:
                f.write(text)
            self.assertEqual(facts.facts_current(want), expected, text)
        os.unlink(path)
        self.assertFalse(facts.facts_current(want))
        self.assertTrue(facts.write_facts(want))
        self.assertTrue(facts.facts_current(want))


class StringHelpers(unittest.TestCase):
    def test_as_the_patterns_they_replace(self):
        for n in ("Foo_Bar", "a..b", "-x-", "a-_.-b", "zope.interface", "", "__"):
            self.assertEqual(wheelfile.pep503(n), re.sub(r"[-_.]+", "-", n).lower(), n)
        pkgs = ["nginx", "liblz4-dev=1.9", "a>=1", "b<2", " c ", "", "  ", "d=1<2>3"]
        self.assertEqual(distro.package_names(pkgs), [re.split(r"[=<>]", x, 1)[0].strip() for x in pkgs if x and x.strip()])
        for r in ("setuptools", "wheel>=0.38", "pip ; python_version<'3'", "x[extra]==1", "y~=1", "z!=2", "a\tb", ""):
            self.assertEqual(build_wheels.requirement_name(r), re.split(r"[\s<>=!~;\[]", r, 1)[0], r)

    def test_wheel_names_and_pins_as_the_patterns(self):
        for n in ("ww_alpha-1.0-py3-none-any.whl", "pip-23.0.1-py3-none-any.whl", "a-1-2b-py3-none-any.whl", "a-1-b2-py3-none-any.whl",
                  "x-1.0-cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64.whl", "a-1-py3-none-.whl", "a-1-py3-none-any.whl.json",
                  "a--1-py3-none-any.whl", "a-1-py3-none-any", "a-1-2-3-4-5-6.whl", "a b-1-py3-none-any.whl", "a-1-py3-none-any.whl\n",
                  "a-1-\u0661x-py3-none-any.whl", "README", "", "-1-py3-none-any.whl", "/dir/ww-2.0-py3-none-any.whl"):
            m = wheelfile.WHEEL_RE.match(os.path.basename(n))
            self.assertEqual(wheelfile.parse_wheel_name(n), m.groupdict() if m else None, repr(n))
        for line in ("ww-alpha==1.0", "a===1", "a====1", "a===", "a== 1", "a ==  1.0+local", "a==1 2", "A.b_c-D==1!2.0", "_a==1",
                     "a!=1", "a = = 1", "a==", "a=\u00a0=1", "a==\u00a01", "é==1", "a==1\u2003"):
            m = re.match(r"^([A-Za-z0-9][A-Za-z0-9._-]*)\s*===?\s*(\S+)$", line)
            self.assertEqual(build_wheels.parse_pin(line), m.groups() if m else None, repr(line))

    def test_python_version_is_platforms(self):
        import platform

        self.assertEqual(build_wheels.python_version(), platform.python_version())

    def test_venv_python_version_as_the_pattern(self):
        def by_re(cfg):
            m = re.search(r"^\s*version(?:_info)?\s*=\s*(\S+)", cfg, re.M)
            return m.group(1) if m else None

        d = tempfile.mkdtemp(prefix="ww-cfg-")
        self.addCleanup(subprocess.call, ["rm", "-rf", d])
        for cfg in ("home = /usr/bin\ninclude-system-site-packages = false\nversion = 3.11.2\n", "version_info = 3.12.0.final.0\n",
                    "  version=3.9.1 trailing\n", "versionx = 1\nversion = 2\n", "version _info = 1\n", "version =\n3.11\n",
                    "nothing\n", "", "version_info=\nversion = 4\n", "executable = /x\n version_info = 5 \n"):
            with open(os.path.join(d, "pyvenv.cfg"), "w") as f:
                f.write(cfg)
            self.assertEqual(build_wheels.venv_python_version(d), by_re(cfg), repr(cfg))


class NoHeavyImports(unittest.TestCase):
    def test_the_no_op_paths_import_none_of_them(self):
        self.tmp = tempfile.mkdtemp(prefix="ww-noop-")
        self.addCleanup(subprocess.call, ["rm", "-rf", self.tmp])
        # in a fresh `python -S` as on a host: the package, both scripts, and what their no-op checks call
        code = r"""
import os, sys
sys.path[:0] = [%(remote)r, %(venv)r, %(wheels)r]
import ensure_venv, build_wheels
from wwremote import distro, errors, facts, fsutil, jsonfast, ownership, pycache, wheelfile
d = %(tmp)r
p = os.path.join(d, "f.fact")
with open(p, "w") as f:
    f.write("[demo]\nvenv_tag = bench\n")
assert facts.facts_current({"path": p, "values": [{"section": "demo", "option": "venv_tag", "value": "bench"}]})
ensure_venv.distro_key()
distro.package_names(["a=1"])
wheelfile.pep503("A_b")
pycache.interpreter_tag()
build_wheels.python_identity()
build_wheels.venv_python_version(d)
build_wheels.requirement_name("wheel>=1")
assert build_wheels.parse_pins("# h\nww-alpha==1.0\n") == [("ww-alpha", "1.0")]
assert wheelfile.parse_wheel_name("ww_alpha-1.0-py3-none-any.whl")["plat"] == "any"
ownership.mount_points()
jsonfast.loads(jsonfast.dumps({"a": [1]}))
errors.emit({"ok": True}, open(os.devnull, "w"))
heavy = [m for m in %(heavy)r if m in sys.modules]
print(",".join(heavy))
""" % {"tmp": self.tmp, "remote": REMOTE, "venv": os.path.join(SRC, "venv"), "wheels": os.path.join(SRC, "wheels"), "heavy": HEAVY}
        out = subprocess.run([sys.executable, "-S", "-c", code], stdout=subprocess.PIPE, stderr=subprocess.PIPE, universal_newlines=True)
        self.assertEqual(out.returncode, 0, out.stderr)
        self.assertEqual(out.stdout.strip(), "")


if __name__ == "__main__":
    unittest.main()
