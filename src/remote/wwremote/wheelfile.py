"""Wheel file names (PEP 427), project names (PEP 503), versions, and finding pip's own wheel."""
import os
import sys

from wwremote.relazy import compiled, re

WHEEL_RE = compiled(
    r"^(?P<name>[^\s-]+?)-(?P<version>[^\s-]+?)(?:-(?P<build>\d[^\s-]*))?-(?P<py>[^\s-]+?)-(?P<abi>[^\s-]+?)-(?P<plat>[^\s-]+?)\.whl$"
)


def parse_wheel_name(filename):
    """{name, version, build, py, abi, plat} of a wheel file name (WHEEL_RE's groups), or None.
    Split at its dashes without re (a no-op build check reads every name in the wheel dir)."""
    n = os.path.basename(filename)
    if any(c.isspace() for c in n):
        m = WHEEL_RE.match(n)
        return m.groupdict() if m else None
    parts = n.split("-")
    if len(parts) not in (5, 6) or not parts[-1].endswith(".whl") or "" in parts or len(parts[-1]) <= 4:
        return None
    build = None
    if len(parts) == 6:
        build = parts.pop(2)
        if not build[0].isdecimal():  # \d
            return None
    return {"name": parts[0], "version": parts[1], "build": build, "py": parts[2], "abi": parts[3], "plat": parts[4][:-4]}


def pep503(name):
    """re.sub(r"[-_.]+", "-", name).lower(), without re (a no-op compares names)."""
    out = []
    sep = False
    for c in name:
        if c in "-_.":
            if not sep:
                out.append("-")
            sep = True
        else:
            out.append(c)
            sep = False
    return "".join(out).lower()


def version_key(v):
    """A sort key for release versions: numeric parts compared as numbers (23 > 9), then a
    pre-release marker sorts before the final release. Enough to pick the newest pip wheel."""
    m = re.match(r"^v?(\d+(?:\.\d+)*)(.*)$", v.strip())
    if not m:
        return ((), 0, v)
    nums = tuple(int(x) for x in m.group(1).split("."))
    while len(nums) > 1 and nums[-1] == 0:
        nums = nums[:-1]
    rest = m.group(2).lower()
    return (nums, 0 if re.match(r"^[-_.]?(a|b|c|rc|alpha|beta|pre|preview|dev)", rest) else 1, rest)


def python_ok_for(requires_python, version_info=None):
    """Understands the `>=X.Y` clauses pip's wheels declare; anything else counts as compatible."""
    if not requires_python:
        return True
    have = tuple((version_info or sys.version_info)[:3])
    for clause in requires_python.split(","):
        m = re.match(r"\s*>=\s*([0-9.]+)\s*$", clause)
        if m and have < tuple(int(x) for x in m.group(1).split(".")):
            return False
    return True


def wheel_metadata_field(path, field):
    """One header field of the wheel's METADATA (None when absent or unreadable)."""
    try:
        import zipfile  # here: a no-op run never opens a wheel

        with zipfile.ZipFile(path) as z:
            meta = [n for n in z.namelist() if re.match(r"^[^/]+\.dist-info/METADATA$", n)]
            if not meta:
                return None
            head = z.read(meta[0]).decode("utf-8", "replace").split("\n\n", 1)[0]
    except (zipfile.BadZipFile, OSError, KeyError):
        return None
    m = re.search(r"^%s:\s*(.+?)\s*$" % re.escape(field), head, re.M)
    return m.group(1) if m else None


def find_newest_wheel(dirs, project, version_info=None):
    """The newest wheel of `project` (PEP 503 name) in `dirs` whose Requires-Python accepts this
    interpreter, by version (pip-23 beats pip-9, whatever the name order), or None."""
    best = None
    want = pep503(project)
    for d in dirs:
        try:
            names = os.listdir(d)
        except OSError:
            continue
        for n in names:
            w = parse_wheel_name(n)
            if not w or pep503(w["name"]) != want:
                continue
            p = os.path.join(d, n)
            if not python_ok_for(wheel_metadata_field(p, "Requires-Python"), version_info):
                continue
            key = version_key(w["version"])
            if best is None or key > best[0]:
                best = (key, p)
    return best[1] if best else None


def find_pip_wheel(dirs, version_info=None):
    """The newest pip wheel in `dirs` whose Requires-Python accepts this interpreter, by version
    (pip-23 beats pip-9, whatever the name order), or None."""
    return find_newest_wheel(dirs, "pip", version_info)
