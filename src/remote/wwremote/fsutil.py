"""Files: atomic writes, removal, hashing."""
import os

from wwremote import jsonfast


def write_atomic(path, data, mode=None):
    """Temp file in the same directory, fsync, rename: readers never see half a file."""
    import tempfile  # here: a no-op run writes nothing

    d = os.path.dirname(path) or "."
    fd, tmp = tempfile.mkstemp(prefix="." + os.path.basename(path) + ".ww-tmp-", dir=d)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data.encode("utf-8") if isinstance(data, str) else data)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, 0o644 if mode is None else mode)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def read_text(path):
    """A file's text, or None when it does not exist."""
    try:
        with open(path, "r", encoding="utf-8") as f:
            return f.read()
    except (FileNotFoundError, NotADirectoryError):
        return None


def read_json(path):
    """A JSON file's value, or None when it is missing or not JSON."""
    try:
        with open(path, "r") as f:
            return jsonfast.loads(f.read())
    except (IOError, OSError, ValueError):
        return None


def remove_quietly(path):
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass


def rm_rf(path):
    if os.path.islink(path) or os.path.isfile(path):
        os.unlink(path)
    elif os.path.isdir(path):
        import shutil

        shutil.rmtree(path)


def which(name):
    """shutil.which(name) for a plain command name, without importing shutil (a no-op needs only this)."""
    for d in (os.environ.get("PATH") or os.defpath).split(os.pathsep):
        p = os.path.join(d or ".", name)
        if os.path.isfile(p) and os.access(p, os.X_OK):
            return p
    return None


def sha256():
    """A new sha256 hash object; hashlib (and the OpenSSL library it loads) is imported only if the
    interpreter has no built-in sha256 module (`_sha256`, 3.12+: `_sha2`)."""
    try:
        from _sha256 import sha256 as new
    except ImportError:
        try:
            from _sha2 import sha256 as new
        except ImportError:
            from hashlib import sha256 as new
    return new()


def sha256_file(path):
    h = sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def record_hash(data):
    """The RECORD form of a sha256: `sha256=<urlsafe base64, no padding>`."""
    import base64

    h = sha256()
    h.update(data)
    return "sha256=" + base64.urlsafe_b64encode(h.digest()).rstrip(b"=").decode("ascii")
