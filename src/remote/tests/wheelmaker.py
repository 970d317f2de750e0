"""Test wheels: a zip of the given files with its RECORD, as a build backend writes one."""
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
