"""Ownership before deletion (issue 8): wheelwright removes, replaces or writes into only what it
can prove it created. Used for the venvs on targets (ensure_venv.py: a marker or ownership file)
and for the build host's builder venv (build_wheels.py: its stamp or ownership file)."""
import os
import stat

from wwremote import jsonfast
from wwremote.errors import RemoteError
from wwremote.relazy import re

# wheelwright removes or replaces only what it can prove it created: a directory with its marker or
# ownership file, a generations symlink, a name of its own (generation/cache/temp names). Anything
# else that exists at a target is refused unless the caller forces it, and nothing forces `/`, the
# home directory, a mount point or a directory holding one.

def mount_points():
    """Mount points of this host (/proc/self/mountinfo: bind mounts too), else an empty set."""
    out = set()
    try:
        with open("/proc/self/mountinfo") as f:
            for line in f:
                fields = line.split(" ")
                if len(fields) > 4 and "\\" not in fields[4]:
                    out.add(fields[4])
                elif len(fields) > 4:
                    out.add(re.sub(r"\\([0-7]{3})", lambda m: chr(int(m.group(1), 8)), fields[4]))
    except (IOError, OSError):
        pass
    return out


def home_dirs():
    homes = set()
    for h in (os.environ.get("HOME"), os.path.expanduser("~")):
        if h and h.startswith("/"):
            homes.add(os.path.realpath(h))
    try:
        import pwd
        homes.add(os.path.realpath(pwd.getpwuid(os.getuid()).pw_dir))
    except (ImportError, KeyError):
        pass
    homes.discard("/")  # "/" is refused on its own; a home of "/" must not make everything an ancestor
    return homes


def is_wheelwright_owned(path, markers):
    """A directory holding one of our marker files or a marker's staging file (write_atomic's temp
    name: a run creating the venv right now, or killed while writing the marker), or a generations
    symlink of ours."""
    if os.path.islink(path):
        link = os.readlink(path).rstrip("/")
        return os.path.dirname(link) == os.path.basename(path.rstrip("/")) + ".generations"
    if not os.path.isdir(path):
        return False
    if any(os.path.exists(os.path.join(path, m)) for m in markers):
        return True
    try:
        names = os.listdir(path)
    except OSError:
        return False
    # One listing answers for both: a run creating the venv may rename its staging file to the
    # marker between the exists() above and this listdir (seen: 4 concurrent `venv ensure`).
    staging = tuple("." + m + ".ww-tmp-" for m in markers)
    return any(n in markers or n.startswith(staging) for n in names)


def describe_existing(path):
    """What is at `path`, in words, for a refusal message."""
    if os.path.islink(path):
        return "a symlink to %s" % os.readlink(path)
    if os.path.isdir(path):
        try:
            names = sorted(os.listdir(path))
        except OSError as e:
            return "a directory that cannot be listed (%s)" % e.strerror
        shown = ", ".join(names[:5]) + (", ..." if len(names) > 5 else "")
        kind = "a virtualenv not made by wheelwright" if "pyvenv.cfg" in names else "a directory"
        return "%s with %d entr%s (%s) and no wheelwright marker" % (kind, len(names), "y" if len(names) == 1 else "ies", shown)
    if os.path.isfile(path):
        return "a regular file (%d bytes)" % os.path.getsize(path)
    return "a special file (neither file nor directory)"


def check_replaceable(path, force=False, markers=(), say=None):
    """Ownership before deletion: raise RemoteError("refused") unless wheelwright may remove or replace
    what is at `path`. Nothing there, or ours: fine. An empty directory (not the current one): fine,
    it is used as it is. Anything else needs `force`; `/`, a home directory, a directory above one,
    a mount point or a directory holding one are refused even then."""
    if not os.path.lexists(path):
        return
    where = "%s on host %s" % (path, os.uname()[1])
    real = os.path.realpath(path) if not os.path.islink(path) else os.path.join(os.path.realpath(os.path.dirname(path)), os.path.basename(path))
    never = None
    if not os.path.islink(path):
        mounts = mount_points()
        homes = home_dirs()
        if real == "/":
            never = "the root directory"
        elif real in homes:
            never = "a home directory"
        elif any(h.startswith(real + "/") for h in homes):
            never = "a directory above a home directory"
        elif real in mounts or os.path.ismount(real):
            never = "a mount point"
        else:
            inner = sorted(m for m in mounts if m.startswith(real + "/"))
            if inner:
                never = "a directory holding the mount point %s" % inner[0]
    if never:
        raise RemoteError("refused", "refusing to remove or replace %s: it is %s; wheelwright never replaces that, even with --force"
                      % (where, never))
    if is_wheelwright_owned(path, markers):
        return
    try:
        cwd = os.path.realpath(os.getcwd())
    except OSError:
        cwd = None
    at_cwd = ""
    if cwd == real:
        at_cwd = "the current directory, "
    elif cwd and cwd.startswith(real + "/"):
        at_cwd = "a directory above the current directory, "
    if not at_cwd and os.path.isdir(path) and not os.path.islink(path) and not os.listdir(path):
        return
    if force:
        if say:
            say("%s: not created by wheelwright (%s%s): replacing it as forced" % (path, at_cwd, describe_existing(path)))
        return
    raise RemoteError("refused", "refusing to remove or replace %s: it is %s%s, not created by wheelwright; "
                  "move it away or choose another path (`wheelwright venv create --force` replaces it)"
                  % (where, at_cwd, describe_existing(path)))


def _ours_lock(data):
    """A lock file's content as wheelwright writes it: nothing (released), its `pid=N host=H ...`
    holder record, or a JSON one (build locks of an earlier version)."""
    text = data.decode("utf-8", "replace").strip()
    if not text or text.startswith("pid="):
        return True
    try:
        info = jsonfast.loads(text)
    except ValueError:
        return False
    return isinstance(info, dict) and "pid" in info


def _ours_log(data):
    """A venv log as wheelwright writes it: sections that start with `=== wheelwright `."""
    return not data or data.startswith(b"=== wheelwright ")


def check_side_files(path):
    """The lock and log files wheelwright keeps next to a venv (PATH.lock, PATH.log) are written only
    when absent or wheelwright's own (or a named pipe): a symlink, a directory, a device or a file
    of other content there is refused (RemoteError "refused"), never followed, truncated or
    appended to."""
    for suffix, ours in ((".lock", _ours_lock), (".log", _ours_log)):
        side = path.rstrip("/") + suffix
        if not os.path.lexists(side):
            continue
        where = "%s on host %s" % (side, os.uname()[1])
        if not os.path.islink(side) and stat.S_ISFIFO(os.stat(side).st_mode):
            continue  # a pipe someone reads the log from: written to, nothing in it is destroyed
        if os.path.islink(side) or not os.path.isfile(side):
            what = describe_existing(side)
        else:
            try:
                with open(side, "rb") as f:
                    head = f.read(256)
            except (IOError, OSError) as e:
                head, what = None, "a file that cannot be read (%s)" % e.strerror
            if head is not None:
                if ours(head):
                    continue
                what = "a regular file (%d bytes) that wheelwright did not write" % os.path.getsize(side)
        raise RemoteError("refused", "refusing to write %s (wheelwright's %s file for %s): it is %s; move it away or choose another path"
                          % (where, suffix[1:], path, what))
