"""Finding pip's own wheel (by version, not name order) and bringing a pinned closure's exact wheel
files into a wheelhouse (only the listed, missing or damaged ones; in parallel; sha256 verified)."""
import hashlib
import http.server
import os
import shutil
import sys
import tempfile
import threading
import unittest
import zipfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

from wwremote import fetch  # noqa: E402
from wwremote.errors import RemoteError  # noqa: E402
from wwremote.wheelfile import find_pip_wheel, version_key  # noqa: E402


def fake_pip_wheel(d, version, requires_python=None):
    """A file named like pip's wheel, with just enough METADATA for find_pip_wheel."""
    path = os.path.join(d, "pip-%s-py3-none-any.whl" % version)
    meta = "Metadata-Version: 2.1\nName: pip\nVersion: %s\n" % version
    if requires_python:
        meta += "Requires-Python: %s\n" % requires_python
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("pip-%s.dist-info/METADATA" % version, meta + "\nbody\n")
    return path


class PipWheelFinder(unittest.TestCase):
    def setUp(self):
        self.d = tempfile.mkdtemp(prefix="ww-pipwheel-")

    def tearDown(self):
        shutil.rmtree(self.d, ignore_errors=True)

    def test_newest_by_version_not_by_name_order(self):
        a, b = os.path.join(self.d, "a"), os.path.join(self.d, "b")
        os.makedirs(a)
        os.makedirs(b)
        fake_pip_wheel(a, "9.0.1")
        newest = fake_pip_wheel(b, "23.0.1")
        fake_pip_wheel(a, "23.0")
        # by name, "pip-9.0.1" sorts after "pip-23.0.1"; by version 23.0.1 is the newest, whatever the dir order
        self.assertGreater("pip-9.0.1-py3-none-any.whl", "pip-23.0.1-py3-none-any.whl")
        self.assertEqual(find_pip_wheel([a, b]), newest)
        self.assertEqual(find_pip_wheel([b, a]), newest)

    def test_a_release_beats_its_pre_release_and_requires_python_is_honoured(self):
        fake_pip_wheel(self.d, "23.3")
        pre = fake_pip_wheel(self.d, "24.0b1")
        self.assertEqual(find_pip_wheel([self.d]), pre)  # PEP 440: 24.0b1 > 23.3
        final = fake_pip_wheel(self.d, "24.0")
        self.assertEqual(find_pip_wheel([self.d]), final)
        self.assertLess(version_key("24.0b1"), version_key("24.0"))
        self.assertEqual(version_key("23.0"), version_key("23.0.0"))
        # a newer pip that refuses this interpreter is skipped
        fake_pip_wheel(self.d, "99.0", requires_python=">=3.99")
        self.assertEqual(find_pip_wheel([self.d], version_info=(3, 11, 2)), final)
        self.assertTrue(find_pip_wheel([self.d], version_info=(3, 99, 0)).endswith("pip-99.0-py3-none-any.whl"))

    def test_nothing_there(self):
        self.assertIsNone(find_pip_wheel([self.d, os.path.join(self.d, "missing")]))


class _Handler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *a):
        pass

    def do_GET(self):
        srv = self.server
        with srv.lock:
            srv.requests.append(self.path)
        if srv.barrier is not None:
            try:
                srv.barrier.wait()  # only passes when enough requests are in flight at once
            except threading.BrokenBarrierError:
                self.send_error(503, "not fetched in parallel")
                return
        return http.server.SimpleHTTPRequestHandler.do_GET(self)


class Fetch(unittest.TestCase):
    """fetch() against a local http server on loopback serving a wheel directory."""

    def setUp(self):
        self.d = tempfile.mkdtemp(prefix="ww-fetch-")
        self.repo = os.path.join(self.d, "repo")
        self.wh = os.path.join(self.d, "wheelhouse")
        os.makedirs(self.repo)
        self.wheels = []
        for i, name in enumerate(["alpha-1.0-py3-none-any.whl", "beta-2.0-py3-none-any.whl", "gamma-3.0-py3-none-any.whl"]):
            data = ("wheel %d\n" % i).encode() * (100 + i)
            with open(os.path.join(self.repo, name), "wb") as f:
                f.write(data)
            self.wheels.append({"file": name, "sha256": hashlib.sha256(data).hexdigest(), "size": len(data)})
        # a file the repository serves but the build result does not list
        with open(os.path.join(self.repo, "other-1.0-py3-none-any.whl"), "wb") as f:
            f.write(b"not listed\n")
        repo = self.repo

        class H(_Handler):
            def __init__(self, *a, **kw):
                kw["directory"] = repo
                _Handler.__init__(self, *a, **kw)

        self.srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
        self.srv.daemon_threads = True
        self.srv.lock = threading.Lock()
        self.srv.requests = []
        self.srv.barrier = None
        self.t = threading.Thread(target=self.srv.serve_forever, daemon=True)
        self.t.start()
        self.url = "http://127.0.0.1:%d/" % self.srv.server_address[1]

    def tearDown(self):
        self.srv.shutdown()
        self.srv.server_close()
        shutil.rmtree(self.d, ignore_errors=True)

    def fetched_paths(self):
        return sorted(p.lstrip("/") for p in self.srv.requests)

    def test_exactly_the_listed_files_in_parallel(self):
        # the handler lets a request through only when all three are in flight together (a barrier,
        # not a timer: fetched one after the other, the first request breaks it and fails)
        self.srv.barrier = threading.Barrier(3, timeout=30)
        got = fetch.fetch(self.url, self.wheels, self.wh)
        self.assertEqual(sorted(got), sorted(w["file"] for w in self.wheels))
        self.assertEqual(self.fetched_paths(), sorted(w["file"] for w in self.wheels))
        self.assertEqual(sorted(os.listdir(self.wh)), sorted(w["file"] for w in self.wheels))  # no temp files left
        for w in self.wheels:
            with open(os.path.join(self.wh, w["file"]), "rb") as f:
                self.assertEqual(hashlib.sha256(f.read()).hexdigest(), w["sha256"])

    def test_only_what_is_missing_or_damaged(self):
        fetch.fetch(self.url, self.wheels, self.wh)
        self.srv.requests[:] = []
        self.assertEqual(fetch.fetch(self.url, self.wheels, self.wh), [])
        self.assertEqual(self.srv.requests, [])  # nothing lacking: no request at all
        os.unlink(os.path.join(self.wh, self.wheels[0]["file"]))
        with open(os.path.join(self.wh, self.wheels[1]["file"]), "r+b") as f:
            f.write(b"X")  # same size, other content
        with open(os.path.join(self.wh, self.wheels[2]["file"]), "ab") as f:
            f.write(b"longer")
        self.assertEqual([w["file"] for w in fetch.lacking(self.wh, self.wheels)], [w["file"] for w in self.wheels])
        got = fetch.fetch(self.url, self.wheels, self.wh)
        self.assertEqual(sorted(got), sorted(w["file"] for w in self.wheels))
        self.assertEqual(fetch.lacking(self.wh, self.wheels), [])

    def test_a_file_that_is_not_the_built_one_is_refused_and_not_kept(self):
        bad = dict(self.wheels[1], sha256="0" * 64)
        with self.assertRaises(RemoteError) as c:
            fetch.fetch(self.url, [self.wheels[0], bad], self.wh)
        e = c.exception
        self.assertEqual(e.kind, "fetch")
        self.assertIn("sha256", e.message)
        self.assertIn(bad["file"], e.message)
        self.assertNotIn(bad["file"], os.listdir(self.wh))
        self.assertFalse([n for n in os.listdir(self.wh) if ".ww-tmp-" in n])

    def test_a_file_the_repository_lacks_is_named(self):
        with self.assertRaises(RemoteError) as c:
            fetch.fetch(self.url, [{"file": "nope-1.0-py3-none-any.whl", "sha256": "0" * 64}], self.wh)
        self.assertEqual(c.exception.kind, "fetch")
        self.assertIn("nope-1.0-py3-none-any.whl", c.exception.message)
        self.assertEqual(os.listdir(self.wh), [])


if __name__ == "__main__":
    unittest.main()
