"""Helpers of the installer tests: test wheels (a zip of the given files with its RECORD, as a
build backend writes one), pip run in an environment of our own, a venv's files."""
import os
import subprocess
import zipfile

from wwremote.fsutil import record_hash


def write_wheel(path, info, files):
    """Write files ({name: text}) and info/RECORD into the wheel at path; scripts get 0755."""
    rows = []
    with zipfile.ZipFile(path, "w") as z:
        for n, text in sorted(files.items()):
            data = text.encode("utf-8")
            zi = zipfile.ZipInfo(n, (2020, 1, 1, 0, 0, 0))
            zi.external_attr = (0o755 if "/scripts/" in n else 0o644) << 16
            z.writestr(zi, data)
            rows.append("%s,%s,%d" % (n, record_hash(data), len(data)))
        rows.append(info + "/RECORD,,")
        z.writestr(info + "/RECORD", "\n".join(rows) + "\n")
    return path


_PIP_ENV = {"PIP_DISABLE_PIP_VERSION_CHECK": "1", "PIP_NO_INPUT": "1", "PIP_CONFIG_FILE": os.devnull}


def run(argv, **kw):
    """Run argv (pip, a venv's python) with output captured; no PIP_* setting of the caller's."""
    env = dict((k, v) for k, v in os.environ.items() if not k.startswith("PIP_"))
    env.update(_PIP_ENV)
    return subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, universal_newlines=True, env=env, **kw)


def files_of(venv):
    """Every file under venv, relative to it."""
    out = set()
    for root, _dirs, names in os.walk(venv):
        for n in names:
            out.add(os.path.relpath(os.path.join(root, n), venv))
    return out
