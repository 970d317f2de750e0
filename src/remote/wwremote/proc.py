"""Logged commands (pip runs): output to a log file on the host, the caller gets the exit code and
can read back this run's part of the log for its error message."""
import os
import sys

from wwremote.lock import now_iso
from wwremote.relazy import re

LOG_ROTATE_BYTES = 2 * 1024 * 1024


def with_site():
    """The scripts run as `python -S -`: without the site module a no-op check starts about a third
    cheaper. Before real work (an install in this process, a build) the site module is loaded after
    all, so from there on the host's Python is as usual (its site-packages, sitecustomize)."""
    if sys.flags.no_site and "site" not in sys.modules:
        import site

        site.main()


class Log(object):
    """A log file next to what it is about.

    fresh=False (venvs): append; a log over 2 MiB is rotated to `.1` first; `start` is where this
    run's section begins. fresh=True (builds): the log keeps one run: the first write of this run
    truncates it (after `header`), and a run that writes nothing never touches it."""

    def __init__(self, path, fresh=False, header=None):
        self.path = path
        self.fresh = fresh
        self.header = header
        self.f = None
        self.start = 0
        if not fresh:
            self._open()

    def _open(self):
        if self.f is not None:
            return self.f
        d = os.path.dirname(self.path)
        if d and not os.path.isdir(d):
            os.makedirs(d)
        if self.fresh:
            self.f = open(self.path, "w")
            if self.header:
                self.f.write(self.header.rstrip("\n") + "\n")
                self.f.flush()
        else:
            try:
                if os.path.getsize(self.path) > LOG_ROTATE_BYTES:
                    os.replace(self.path, self.path + ".1")
            except OSError:
                pass
            self.f = open(self.path, "a")
            self.f.seek(0, 2)
        self.start = self.f.tell()
        return self.f

    def write(self, s):
        f = self._open()
        f.write(s)
        f.flush()

    def tell(self):
        return self._open().tell()

    def since(self, offset):
        """The log's text from `offset` (a tell()) on."""
        if self.f is not None:
            self.f.flush()
        try:
            with open(self.path, "rb") as f:
                f.seek(offset)
                return f.read().decode("utf-8", "replace")
        except (IOError, OSError):
            return ""

    def section(self):
        """This run's part of the log."""
        return self.since(self.start)

    def close(self):
        if self.f is not None:
            try:
                self.f.close()
            except Exception:  # noqa: BLE001 - closing a log never fails a step
                pass
            self.f = None


def redact(s):
    """Hide passwords in URLs (index URLs with credentials) before they reach a log."""
    return re.sub(r"(://[^/:@\s]+:)[^@\s/]+@", r"\1****@", s)


def pip_env(extra=None, isolated=False, venv=None):
    """The environment pip runs in: this one, plus `extra`. isolated: the host's pip configuration
    (pip.conf files, inherited PIP_* variables) is ignored, only the sources the spec names count.
    venv: that venv's bin/ first on PATH, as if activated."""
    env = dict(os.environ)
    if isolated:
        for k in list(env):
            if k.startswith("PIP_"):
                del env[k]
        env["PIP_CONFIG_FILE"] = os.devnull
    if venv:
        env["VIRTUAL_ENV"] = venv
        env["PATH"] = os.path.join(venv, "bin") + os.pathsep + env.get("PATH", "/usr/bin:/bin")
    env.update(extra or {})
    env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    env["PIP_NO_INPUT"] = "1"
    env["PYTHONUNBUFFERED"] = "1"
    env.pop("PYTHONHOME", None)
    env.pop("PIP_REQUIRE_VIRTUALENV", None)
    return env


def run_logged(argv, log, env=None, cwd=None, title=None, on_line=None):
    """Run argv with stdout+stderr into `log` (and each line to on_line, as it comes); return the
    exit code (127: it could not be started). `env`: the whole environment (pip_env())."""
    if title:
        log.write("\n===== %s %s\n" % (now_iso(), title))
    log.write("$ %s\n" % redact(" ".join(argv)))
    import subprocess  # here: a no-op runs nothing

    f = log._open()
    try:
        if on_line is None:
            rc = subprocess.call(argv, stdin=subprocess.DEVNULL, stdout=f, stderr=subprocess.STDOUT, env=env, cwd=cwd)
        else:
            p = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env, cwd=cwd)
            for raw in iter(p.stdout.readline, b""):
                line = raw.decode("utf-8", "replace")
                f.write(line)
                on_line(line)
            p.stdout.close()
            rc = p.wait()
            f.flush()
    except OSError as e:
        log.write("cannot run %s: %s\n" % (argv[0], e))
        rc = 127
    log.write("[exit %d]\n" % rc)
    return rc


def host_header(what):
    return "wheelwright %s log, pid %d on %s, started %s" % (what, os.getpid(), os.uname()[1], now_iso())
