"""Bring the exact wheel files of a pinned closure into a local directory: only the missing (or
damaged) ones, fetched in parallel over http(s), each verified against its sha256 and size."""
import hashlib
import os
import ssl
import tempfile
from concurrent.futures import ThreadPoolExecutor

from wwremote.errors import RemoteError
from wwremote.fsutil import sha256_file


def fetch_error(message, file=None):
    """A wheel could not be fetched or is not the built one: RemoteError kind `fetch` (extra: file)."""
    return RemoteError("fetch", message, extra={"file": file})


def lacking(dest_dir, wheels):
    """Files of `wheels` ([{file, sha256, size?}]) not in dest_dir with the right content; a file
    with the wrong content is removed (it would be used otherwise)."""
    out = []
    for w in wheels:
        p = os.path.join(dest_dir, w["file"])
        try:
            st = os.stat(p)
        except OSError:
            out.append(w)
            continue
        if (w.get("size") is not None and st.st_size != w["size"]) or sha256_file(p) != w["sha256"]:
            os.unlink(p)
            out.append(w)
    return out


def _context():
    ca = os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("SSL_CERT_FILE")
    try:
        return ssl.create_default_context(cafile=ca if ca and os.path.exists(ca) else None)
    except (ssl.SSLError, OSError):
        return ssl.create_default_context()


def _get(url, w, dest_dir, timeout):
    import urllib.request
    dest = os.path.join(dest_dir, *w["file"].split("/"))  # `pyc/<name>`: a companion (wwremote.pycache)
    d = os.path.dirname(dest)
    if not os.path.isdir(d):
        os.makedirs(d, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix="." + os.path.basename(dest) + ".ww-tmp-", dir=d)
    try:
        h = hashlib.sha256()
        size = 0
        ctx = _context() if url.startswith("https:") else None
        with os.fdopen(fd, "wb") as f:
            resp = urllib.request.urlopen(url, timeout=timeout, context=ctx)
            try:
                for chunk in iter(lambda: resp.read(1 << 16), b""):
                    h.update(chunk)
                    size += len(chunk)
                    f.write(chunk)
            finally:
                resp.close()
        if h.hexdigest() != w["sha256"]:
            raise fetch_error("%s: sha256 %s, the build result says %s (the repository serves another file)"
                             % (url, h.hexdigest(), w["sha256"]), w["file"])
        os.chmod(tmp, 0o644)
        os.replace(tmp, dest)
        return size
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def fetch(base_url, wheels, dest_dir, workers=8, timeout=60):
    """Download what dest_dir lacks of `wheels` from base_url (a directory URL). Returns the files
    fetched. Raises RemoteError kind `fetch` naming the file and the reason."""
    if not os.path.isdir(dest_dir):
        os.makedirs(dest_dir)
    todo = lacking(dest_dir, wheels)
    if not todo:
        return []
    base = base_url if base_url.endswith("/") else base_url + "/"
    from urllib.parse import quote

    def one(w):
        url = base + quote(w["file"])
        try:
            return _get(url, w, dest_dir, timeout)
        except RemoteError:
            raise
        except Exception as e:  # URLError, HTTPError, socket errors
            raise fetch_error("%s: %s" % (url, getattr(e, "reason", None) or e), w["file"])

    with ThreadPoolExecutor(max_workers=max(1, min(workers, len(todo)))) as ex:
        list(ex.map(one, todo))
    return [w["file"] for w in todo]
