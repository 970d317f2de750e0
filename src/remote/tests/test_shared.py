"""The shared pieces of the remote package: the one error type and its result line, atomic writes,
locks (holder named on timeout, re-open after unlink), logged commands, ownership checks (venvs and
the side files next to them), facts and symlinks, distro checks remembered per dpkg stamp."""
import io
import json
import os
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

from wwremote import distro, errors, facts, fsutil, lock, ownership, proc, symlinks  # noqa: E402
from wwremote.errors import RemoteError  # noqa: E402

# A process that holds an flock (as a foreign holder would) until its stdin closes.
HOLDER = r"""
import fcntl, os, sys
fd = os.open(sys.argv[1], os.O_RDWR | os.O_CREAT, 0o644)
fcntl.flock(fd, fcntl.LOCK_EX)
os.ftruncate(fd, 0)
os.write(fd, sys.argv[2].encode())
print("held", flush=True)
sys.stdin.read()
"""


class Tmp(unittest.TestCase):
    def setUp(self):
        self.d = tempfile.mkdtemp(prefix="ww-shared-")

    def tearDown(self):
        subprocess.call(["rm", "-rf", self.d])

    def p(self, *parts):
        return os.path.join(self.d, *parts)


class ResultProtocol(Tmp):
    def run_step(self, step):
        out = io.StringIO()
        code = errors.run_main(step, out)
        line = out.getvalue()
        self.assertTrue(line.startswith(errors.RESULT_PREFIX) and line.count("\n") == 1, line)
        return code, json.loads(line[len(errors.RESULT_PREFIX):])

    def test_ok_and_failure_and_internal(self):
        self.assertEqual(self.run_step(lambda: {"changed": True}), (0, {"changed": True, "ok": True}))
        log = self.p("x.log")
        with open(log, "w") as f:
            f.write("before\n" + "".join("line %d\n" % i for i in range(100)))

        def fail():
            raise RemoteError("pip", "it failed", log=log, log_start=len("before\n"), requirement="ww-x", attempts=2, extra={"more": 1})

        code, res = self.run_step(fail)
        self.assertEqual(code, 1)
        self.assertEqual((res["ok"], res["kind"], res["stage"], res["error"], res["log"], res["requirement"], res["attempts"], res["more"]),
                         (False, "pip", "pip", "it failed", log, "ww-x", 2, 1))
        self.assertEqual(res["logTail"].split("\n"), ["line %d" % i for i in range(60, 100)])
        self.assertEqual(res["tail"], res["logTail"])

        code, res = self.run_step(lambda: {}["missing"])
        self.assertEqual((code, res["kind"]), (1, "internal"))
        self.assertIn("KeyError", res["error"])
        self.assertIn("Traceback", res["traceback"])

    def test_every_module_raises_the_one_error_type(self):
        with self.assertRaises(RemoteError) as c:
            ownership.check_replaceable("/")
        self.assertEqual(c.exception.kind, "refused")
        with self.assertRaises(RemoteError) as c:
            symlinks.symlink_sources(["ww-no-such-package-xyz"])
        self.assertEqual(c.exception.kind, "spec")


class AtomicWrite(Tmp):
    def test_replaces_whole_and_leaves_no_temp_on_failure(self):
        path = self.p("f.txt")
        fsutil.write_atomic(path, "one\n")
        fsutil.write_atomic(path, b"two\n", 0o600)
        with open(path) as f:
            self.assertEqual(f.read(), "two\n")
        self.assertEqual(os.stat(path).st_mode & 0o777, 0o600)
        with self.assertRaises(TypeError):
            fsutil.write_atomic(path, 12345)
        self.assertEqual(os.listdir(self.d), ["f.txt"])
        with open(path) as f:
            self.assertEqual(f.read(), "two\n")
        self.assertIsNone(fsutil.read_text(self.p("none")))
        self.assertIsNone(fsutil.read_json(path))


class Locks(Tmp):
    def hold(self, path, record):
        child = subprocess.Popen([sys.executable, "-c", HOLDER, path, record], stdin=subprocess.PIPE, stdout=subprocess.PIPE)
        self.assertEqual(child.stdout.readline().strip(), b"held")
        self.addCleanup(lambda: (child.stdin.close(), child.wait(), child.stdout.close()))
        return child

    def test_timeout_names_the_holder_json_or_text(self):
        path = self.p("x.lock")
        rec = json.dumps({"pid": 4242, "host": "hostA", "started": "2026-01-01T00:00:00Z", "for": "a build"})
        self.hold(path, rec)
        with self.assertRaises(RemoteError) as c:
            lock.Lock(path, 0.05, "mine", kind="lock").acquire()
        e = c.exception
        self.assertEqual(e.kind, "lock")
        self.assertIn("pid 4242 on host hostA since 2026-01-01T00:00:00Z (a build)", e.message)
        self.assertIn("(mine)", e.message)
        with open(path) as f:
            self.assertEqual(f.read(), rec, "a waiter never touches the holder's record")
        path2 = self.p("y.lock")
        self.hold(path2, "pid=77 host=old-style")
        with self.assertRaises(RemoteError) as c:
            lock.Lock(path2, 0.05).acquire()
        self.assertEqual(c.exception.kind, "lock-timeout")
        self.assertIn("pid=77 host=old-style", c.exception.message)
        self.assertFalse(lock.Lock(path2, 0).try_acquire())

    def test_records_itself_releases_and_shares(self):
        path = self.p("z.lock")
        with lock.Lock(path, 1, "testing") as held:
            with open(path) as f:
                self.assertRegex(f.read(), r"^pid=%d host=\S+ since=\S+ purpose=testing\n$" % os.getpid())
            self.assertRegex(held.holder(), r"^pid %d on host \S+ since \S+ \(testing\)$" % os.getpid())
        with open(path) as f:
            self.assertEqual(f.read(), "", "released: no holder recorded")
        a, b = lock.Lock(path, 0, shared=True), lock.Lock(path, 0, shared=True)
        self.assertTrue(a.try_acquire() and b.try_acquire())
        self.assertFalse(lock.Lock(path, 0).try_acquire())
        a.release()
        b.release(unlink=True)
        self.assertFalse(os.path.exists(path))

    def test_a_lock_file_removed_while_waiting_is_reopened(self):
        path = self.p("g.lock")
        first = lock.Lock(path, 0)
        self.assertTrue(first.try_acquire())
        first.release(unlink=True)  # as gc does
        second = lock.Lock(path, 0)
        self.assertTrue(second.try_acquire())
        self.assertEqual(os.fstat(second.fd).st_ino, os.stat(path).st_ino)
        second.release()


class LoggedCommands(Tmp):
    def test_output_exit_code_redaction_and_lines(self):
        log = proc.Log(self.p("v.log"))
        lines = []
        rc = proc.run_logged([sys.executable, "-c", "import sys; print('out'); print('err', file=sys.stderr); sys.exit(3)"],
                             log, env=proc.pip_env(), title="step one", on_line=lines.append)
        self.assertEqual(rc, 3)
        self.assertEqual(sorted(l.strip() for l in lines), ["err", "out"])
        rc = proc.run_logged(["/nonexistent/pip", "--index-url", "https://user:s3cret@example.invalid/simple"], log)
        self.assertEqual(rc, 127)
        text = log.section()
        self.assertIn("step one", text)
        self.assertIn("[exit 3]", text)
        self.assertIn("https://user:****@example.invalid/simple", text)
        self.assertNotIn("s3cret", text)
        log.close()
        again = proc.Log(self.p("v.log"))
        self.assertEqual(again.section(), "", "an append log's section starts at this run")
        again.close()

    def test_fresh_log_is_untouched_until_written_then_truncated(self):
        path = self.p("b.log")
        with open(path, "w") as f:
            f.write("last run\n")
        log = proc.Log(path, fresh=True, header="HEADER")
        log.close()
        with open(path) as f:
            self.assertEqual(f.read(), "last run\n")
        log = proc.Log(path, fresh=True, header="HEADER")
        log.write("this run\n")
        log.close()
        with open(path) as f:
            self.assertEqual(f.read(), "HEADER\nthis run\n")

    def test_pip_env_isolated(self):
        os.environ["PIP_INDEX_URL"] = "http://elsewhere/"
        try:
            self.assertEqual(proc.pip_env()["PIP_INDEX_URL"], "http://elsewhere/")
            env = proc.pip_env({"X": "1"}, isolated=True, venv="/v")
            self.assertNotIn("PIP_INDEX_URL", env)
            self.assertEqual((env["PIP_CONFIG_FILE"], env["X"], env["VIRTUAL_ENV"]), (os.devnull, "1", "/v"))
            self.assertTrue(env["PATH"].startswith("/v/bin" + os.pathsep))
        finally:
            del os.environ["PIP_INDEX_URL"]


class Ownership(Tmp):
    def test_foreign_things_are_refused_ours_and_empty_are_not(self):
        foreign = self.p("foreign")
        os.makedirs(foreign)
        with open(os.path.join(foreign, "pyvenv.cfg"), "w") as f:
            f.write("home = /usr/bin\n")
        with self.assertRaises(RemoteError) as c:
            ownership.check_replaceable(foreign, markers=(".stamp",))
        self.assertIn("a virtualenv not made by wheelwright", c.exception.message)
        with open(os.path.join(foreign, ".stamp"), "w"):
            pass
        ownership.check_replaceable(foreign, markers=(".stamp",))
        # a run creating a venv writes its ownership file atomically: the staging name alone is ours too
        # (another run checking before it takes the lock sees the directory at that moment)
        staging = self.p("staging")
        os.makedirs(staging)
        with open(os.path.join(staging, "..owned.ww-tmp-a32wpgdt"), "w"):
            pass
        ownership.check_replaceable(staging, markers=(".stamp", ".owned"))
        with self.assertRaises(RemoteError):
            ownership.check_replaceable(staging, markers=(".stamp",))
        os.makedirs(self.p("empty"))
        ownership.check_replaceable(self.p("empty"))
        ownership.check_replaceable(self.p("absent"))
        with self.assertRaises(RemoteError):
            ownership.check_replaceable(os.path.expanduser("~"), force=True)

    def test_side_files(self):
        venv = self.p("v")
        ownership.check_side_files(venv)  # none there
        with open(venv + ".lock", "w") as f:
            f.write(json.dumps({"pid": 1, "host": "h"}))
        with open(venv + ".log", "w") as f:
            f.write("=== wheelwright build 2026 pid=1\n$ pip\n")
        ownership.check_side_files(venv)
        os.symlink(self.p("elsewhere"), venv + ".log.tmp")
        os.replace(venv + ".log.tmp", venv + ".log")
        with self.assertRaises(RemoteError) as c:
            ownership.check_side_files(venv)
        self.assertEqual(c.exception.kind, "refused")
        self.assertIn("v.log", c.exception.message)
        self.assertIn("a symlink to", c.exception.message)
        os.unlink(venv + ".log")
        os.mkfifo(venv + ".log")  # a pipe someone reads the log from is fine
        ownership.check_side_files(venv)
        os.unlink(venv + ".log")
        with open(venv + ".lock", "w") as f:
            f.write("my notes\n")
        with self.assertRaises(RemoteError) as c:
            ownership.check_side_files(venv)
        self.assertIn("did not write", c.exception.message)
        with open(venv + ".lock") as f:
            self.assertEqual(f.read(), "my notes\n")


class FactsAndSymlinks(Tmp):
    def test_facts_keep_other_sections_and_report_current(self):
        path = self.p("etc", "ansible", "facts.d", "venv.fact")
        spec = {"path": path, "values": [{"section": "nova", "option": "venv_tag", "value": "1.0"}]}
        self.assertFalse(facts.facts_current(spec))
        os.makedirs(os.path.dirname(path))
        with open(path, "w") as f:
            f.write("[other]\nkeep = yes\n")
        self.assertTrue(facts.write_facts(spec))
        self.assertTrue(facts.facts_current(spec))
        with open(path) as f:
            text = f.read()
        self.assertIn("[other]\nkeep = yes", text)
        self.assertIn("[nova]\nvenv_tag = 1.0", text)
        self.assertFalse(facts.write_facts({"path": path, "values": []}))
        self.assertTrue(facts.facts_current(None))

    def test_links_made_repaired_and_kept(self):
        sp = self.p("site-packages")
        os.makedirs(sp)
        src = self.p("dist-packages", "apt_pkg")
        os.makedirs(src)
        self.assertEqual(symlinks.link_into(sp, [src, src, " "]), 1)
        self.assertEqual(os.readlink(os.path.join(sp, "apt_pkg")), src)
        self.assertEqual(symlinks.link_into(sp, [src]), 0)
        os.unlink(os.path.join(sp, "apt_pkg"))
        os.makedirs(os.path.join(sp, "apt_pkg"))  # something else in its place: replaced by the link
        self.assertEqual(symlinks.link_into(sp, [src]), 1)
        self.assertTrue(os.path.islink(os.path.join(sp, "apt_pkg")))


# Stand-ins for dpkg-query and dpkg -L that read a fake admin dir's status file and log each call.
FAKE_DPKG = r"""#!/bin/sh
echo "$(basename "$0") $1" >> "$WW_FAKE_DPKG_LOG"
admin="$WW_FAKE_DPKG_ADMIN"
if [ "$(basename "$0")" = dpkg-query ]; then
  shift 3
  for p in "$@"; do
    if grep -qx "$p" "$admin/status"; then echo "$p install ok installed"; fi
  done
  exit 0
fi
# dpkg -L PKG
grep -qx "$2" "$admin/status" || exit 1
echo /usr/lib/python3/dist-packages/$2
echo /usr/lib/python3/dist-packages/$2/__init__.py
echo /usr/share/doc/$2
"""


class DistroRemembered(Tmp):
    """A no-op asks dpkg nothing while dpkg's database is unchanged; any change (a removal
    included) makes the next check ask again and see it."""

    def setUp(self):
        super().setUp()
        self.admin = self.p("dpkg")
        os.makedirs(os.path.join(self.admin, "updates"))
        self.set_installed(["tree", "python3-termcolor"])
        bindir = self.p("bin")
        os.makedirs(bindir)
        for name in ("dpkg-query", "dpkg"):
            with open(os.path.join(bindir, name), "w") as f:
                f.write(FAKE_DPKG)
            os.chmod(os.path.join(bindir, name), 0o755)
        self.log = self.p("calls.log")
        self.saved = (distro.DPKG_ADMIN, distro.STATE_FILE, os.environ.get("PATH"))
        distro.DPKG_ADMIN = self.admin
        distro.STATE_FILE = self.p("state", "distro-state.json")
        os.environ.update(PATH=bindir + ":" + os.environ["PATH"], WW_FAKE_DPKG_LOG=self.log, WW_FAKE_DPKG_ADMIN=self.admin)

    def tearDown(self):
        distro.DPKG_ADMIN, distro.STATE_FILE, os.environ["PATH"] = self.saved
        super().tearDown()

    def set_installed(self, pkgs):
        # as dpkg does: a new status file renamed over the old one
        fsutil.write_atomic(os.path.join(self.admin, "status"), "".join(p + "\n" for p in pkgs))

    def calls(self):
        text = fsutil.read_text(self.log) or ""
        fsutil.remove_quietly(self.log)
        return text.splitlines()

    def check(self):
        r = distro.Remembered()
        missing = distro.missing_packages(["tree", "python3-termcolor=2.*"], r)
        tops = symlinks.symlink_sources(["python3-termcolor"], r) if not missing else None
        r.save()
        return missing, tops

    def test_unchanged_database_no_dpkg_call_removal_detected(self):
        tops = ["/usr/lib/python3/dist-packages/python3-termcolor"]
        self.assertEqual(self.check(), ([], tops))
        self.assertEqual([c.split(" ")[0] for c in self.calls()], ["dpkg-query", "dpkg"])
        self.assertEqual(self.check(), ([], tops))
        self.assertEqual(self.calls(), [])  # the no-op: no dpkg process at all
        self.set_installed(["tree"])  # python3-termcolor removed
        self.assertEqual(self.check(), (["python3-termcolor"], None))
        self.assertEqual(len(self.calls()), 1)
        self.assertEqual(self.check(), (["python3-termcolor"], None))  # a miss is never remembered
        self.assertEqual(len(self.calls()), 1)
        self.set_installed(["tree", "python3-termcolor"])
        self.assertEqual(self.check(), ([], tops))
        self.assertEqual(len(self.calls()), 2)

    def test_a_journal_entry_or_foreign_state_file_is_not_trusted(self):
        self.check()
        self.calls()
        os.utime(os.path.join(self.admin, "updates"), ns=(1, 1))  # dpkg journalled a change
        self.check()
        self.assertEqual(len(self.calls()), 2)
        self.check()
        self.assertEqual(self.calls(), [])
        os.chmod(distro.STATE_FILE, 0o666)  # writable by others: ignored
        self.check()
        self.assertEqual(len(self.calls()), 2)


if __name__ == "__main__":
    unittest.main()
