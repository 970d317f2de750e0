"""The one error type of the remote scripts and their result protocol (one `WW-RESULT {json}` line)."""
import sys

from wwremote import jsonfast
from wwremote.relazy import compiled

RESULT_PREFIX = "WW-RESULT "
ANSI_RE = compiled(r"\x1b\[[0-9;]*[A-Za-z]")
TAIL_LINES = 40
# Set by run_main() once an unchanged result is out: nothing of the run is left to write, so the boot
# (src/remote/boot.py) may skip the interpreter's teardown.
QUICK_EXIT = False


def tail_of(text, n=TAIL_LINES):
    """The last n lines of some output, without terminal colour codes."""
    lines = ANSI_RE.sub("", text or "").rstrip("\n").split("\n")
    return "\n".join(lines[-n:])


class RemoteError(Exception):
    """A remote step failed in a way the controller reports (never a traceback).

    kind: what failed (the venv script's kinds: spec, refused, lock-timeout, missing, pip, venv, ...;
    the build script's stages: lock, builder, build, result). log: the log file on the host;
    log_start: where this run's section of it starts; tail: the end of the relevant output (read
    from the log when not given); attempts/network: the retry story of a pip run; requirement: a
    requirement no distribution was found for; extra: more result keys."""

    def __init__(self, kind, message, log=None, log_start=0, requirement=None, tail=None, attempts=0, network=False, extra=None):
        Exception.__init__(self, message)
        self.kind = kind
        self.message = message
        self.log = log
        self.log_start = log_start
        self.requirement = requirement
        self.tail = tail
        self.attempts = attempts
        self.network = network
        self.extra = extra or {}

    @property
    def stage(self):
        return self.kind

    def log_tail(self):
        if self.tail is not None:
            return self.tail
        if not self.log:
            return ""
        try:
            with open(self.log, "rb") as f:
                f.seek(self.log_start)
                return tail_of(f.read().decode("utf-8", "replace"))
        except (IOError, OSError):
            return ""

    def result(self):
        """The failure's result object: `kind` (`stage`, its older name) and `error`, the tail of the
        output (`tail`, and `logTail`), the log path, and whatever else is known."""
        out = {"ok": False, "kind": self.kind, "stage": self.kind, "error": self.message, "attempts": self.attempts, "network": self.network}
        tail = self.log_tail()
        if tail:
            out["tail"] = out["logTail"] = tail
        if self.log:
            out["log"] = self.log
        if self.requirement:
            out["requirement"] = self.requirement
        out.update(self.extra)
        return out


def emit(obj, stream=None):
    """The result line: the only thing a script prints on stdout."""
    stream = stream or sys.stdout
    stream.write(RESULT_PREFIX + jsonfast.dumps(obj, sort_keys=True) + "\n")
    stream.flush()


def run_main(step, stream=None):
    """Run step() and print its result (a dict; ok=True is added) or its failure; exit code 0/1.
    A RemoteError is reported as such; any other exception as kind `internal` with its traceback,
    so the caller always gets a result line."""
    global QUICK_EXIT
    try:
        res = step()
        res["ok"] = True
        emit(res, stream)
        QUICK_EXIT = res.get("changed") is False
        return 0
    except RemoteError as e:
        emit(e.result(), stream)
        return 1
    except Exception as e:  # noqa: BLE001 - reported, not hidden
        import traceback

        tb = traceback.format_exc()
        log = getattr(e, "ww_log", None)
        out = {"ok": False, "kind": "internal", "stage": "internal", "error": "%s: %s" % (type(e).__name__, e), "traceback": tb,
               "tail": tail_of(tb), "attempts": 0, "network": False}
        if log:
            out["log"] = log
        emit(out, stream)
        return 1
