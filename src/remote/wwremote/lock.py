"""Remote locks: an flock on a file that records its holder, so a waiter that times out names it."""
import errno
import fcntl
import os
import sys
import time

from wwremote.errors import RemoteError
from wwremote.relazy import compiled


def now_iso():
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


RECORD_RE = compiled(r"^pid=(\d+) host=(\S+) since=(\S+) purpose=(.*)$")


def holder_record(what):
    """What a holder writes into its lock file: `pid=N host=H since=T purpose=WHAT`."""
    return "pid=%d host=%s since=%s purpose=%s\n" % (os.getpid(), os.uname()[1], now_iso(), what)


def describe_holder(raw):
    """The holder a lock file records, in words (our record, a JSON one, or any other text as it is)."""
    text = raw.decode("utf-8", "replace").strip() if isinstance(raw, bytes) else (raw or "").strip()
    if not text:
        return "an unknown process (the lock file records no holder)"
    m = RECORD_RE.match(text)
    if m:
        return "pid %s on host %s since %s (%s)" % m.groups()
    try:
        import json  # here: only a waiter that timed out reads a record

        info = json.loads(text)
    except ValueError:
        return text
    if not isinstance(info, dict):
        return text
    return "pid %s on host %s since %s (%s)" % (info.get("pid", "?"), info.get("host", "?"), info.get("started", "?"), info.get("for", "?"))


class Lock(object):
    """Exclusive (or shared) flock on `path`, polled until `timeout` seconds. An exclusive holder
    records itself (holder_record: pid, host, start time, what for); a waiter that times out raises
    RemoteError(kind) naming it. A holder that dies releases the lock (the kernel closes its fd). A
    lock file removed while we waited (gc unlinks them) is detected by its inode and re-opened.
    Also a context manager."""

    def __init__(self, path, timeout, what="ensure", shared=False, kind="lock-timeout", say=None):
        self.path = path
        self.timeout = float(timeout)
        self.what = what
        self.shared = shared
        self.kind = kind
        self.say = say
        self.fd = None

    def _try(self, deadline):
        waited = False
        delay = 0.02
        while True:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
            op = (fcntl.LOCK_SH if self.shared else fcntl.LOCK_EX) | fcntl.LOCK_NB
            while True:
                try:
                    fcntl.flock(fd, op)
                    break
                except (IOError, OSError) as e:
                    if e.errno not in (errno.EAGAIN, errno.EACCES, errno.EWOULDBLOCK):
                        os.close(fd)
                        raise
                    if deadline is None or time.monotonic() >= deadline:
                        os.close(fd)
                        return False
                    if not waited and self.say:
                        self.say("waiting for lock %s (held by %s)" % (self.path, self.holder()))
                    waited = True
                    time.sleep(delay)
                    delay = min(delay * 2, 0.5)
            try:
                same = os.fstat(fd).st_ino == os.stat(self.path).st_ino
            except OSError:
                same = False
            if same:
                self.fd = fd
                return True
            os.close(fd)  # removed while we waited: lock the new file instead

    def acquire(self):
        if not self._try(time.monotonic() + max(0.0, self.timeout)):
            raise RemoteError(
                self.kind,
                "timed out after %gs waiting for the lock %s (%s); it is held by %s" % (self.timeout, self.path, self.what, self.holder()),
            )
        if not self.shared:
            try:
                os.ftruncate(self.fd, 0)
                os.pwrite(self.fd, holder_record(self.what).encode("utf-8"), 0)
            except OSError:
                pass
        return self

    def try_acquire(self):
        """Take the lock if it is free at once; True when taken (no holder record written)."""
        return self._try(None)

    def holder(self):
        try:
            with open(self.path, "rb") as f:
                return describe_holder(f.read(4096))
        except (IOError, OSError):
            return describe_holder(b"")

    def release(self, unlink=False):
        """Release; the holder record is cleared (or the file removed, with unlink)."""
        if self.fd is None:
            return
        try:
            if unlink:
                try:
                    os.unlink(self.path)
                except OSError:
                    pass
            elif not self.shared:
                try:
                    os.ftruncate(self.fd, 0)
                except OSError:
                    pass
        finally:
            try:
                fcntl.flock(self.fd, fcntl.LOCK_UN)
            finally:
                os.close(self.fd)
                self.fd = None

    def __enter__(self):
        return self.acquire()

    def __exit__(self, *exc):
        self.release()
        return False


def stderr_say(msg):
    sys.stderr.write("wheelwright: %s\n" % msg)
    sys.stderr.flush()
