"""Distro-packaged Python modules linked into a venv (venv_packages_to_symlink)."""
import os

from wwremote.distro import run_quiet
from wwremote.errors import RemoteError
from wwremote.fsutil import rm_rf, which
from wwremote.relazy import compiled

SITE_RE = compiled(r"^(.*/python3[^/]*/(?:site|dist)-packages)/([^/]+)")


def symlink_sources(pkgs, remembered=None):
    """Top-level modules/packages the distro packages install under python3*/(site|dist)-packages
    (from `dpkg -L`, or what `remembered` recorded at the current dpkg stamp)."""
    out = []
    for pkg in pkgs:
        key = "python-tops:" + pkg
        known = remembered.get(key) if remembered is not None else None
        if isinstance(known, list) and known:
            out.extend(t for t in known if t not in out)
            continue
        mine = []
        if which("dpkg-query"):
            rc, listing = run_quiet(["dpkg", "-L", pkg])
        else:
            rc, listing = run_quiet(["rpm", "-ql", pkg])
        if rc != 0:
            raise RemoteError("spec", "venv_packages_to_symlink: package %s is not installed (listing its files failed)" % pkg)
        found = 0
        for line in listing.splitlines():
            m = SITE_RE.match(line.strip())
            if not m or m.group(2) == "__pycache__":
                continue
            top = os.path.join(m.group(1), m.group(2))
            if top not in mine:
                mine.append(top)
            if top not in out:
                out.append(top)
                found += 1
        if not found:
            raise RemoteError("spec", "venv_packages_to_symlink: package %s has no Python modules under python3*/site-packages or dist-packages" % pkg)
        if remembered is not None:
            remembered.put(key, mine)
    return out


def link_into(site_packages, sources, log=None):
    """Link each source (absolute path) into site_packages under its own name, replacing what is
    there atomically (a temp link renamed over it); the number of links made or repaired."""
    made = 0
    seen = set()
    for src in sources or []:
        src = str(src).strip()
        if not src or src in seen:
            continue
        seen.add(src)
        dest = os.path.join(site_packages, os.path.basename(src.rstrip("/")))
        if os.path.islink(dest) and os.readlink(dest) == src:
            continue
        made += 1
        tmp = dest + ".ww-tmp-%d" % os.getpid()
        rm_rf(tmp)
        os.symlink(src, tmp)
        if os.path.isdir(dest) and not os.path.islink(dest):
            rm_rf(dest)
        os.replace(tmp, dest)
        if log is not None:
            log.write("symlinked %s -> %s\n" % (dest, src))
    return made
