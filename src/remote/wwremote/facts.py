"""Local facts (an INI file, as the role's `ini_file` tasks write it): write and check."""
import configparser
import os
from io import StringIO

from wwremote.fsutil import write_atomic


def _values(facts):
    if not facts or not facts.get("path") or not facts.get("values"):
        return None
    return [(str(v["section"]), str(v["option"]), str(v["value"])) for v in facts["values"]]


def facts_current(facts):
    """The facts file holds every given value ({path, values: [{section, option, value}]})."""
    values = _values(facts)
    if values is None:
        return True
    cp = configparser.RawConfigParser()
    cp.optionxform = str
    try:
        cp.read(facts["path"])
    except configparser.Error:
        return False
    return all(cp.has_section(s) and cp.has_option(s, o) and cp.get(s, o) == v for s, o, v in values)


def write_facts(facts):
    """Set the given values, keeping the file's other sections and options; atomic. False when
    there is nothing to write."""
    values = _values(facts)
    if values is None:
        return False
    path = facts["path"]
    cp = configparser.RawConfigParser()
    cp.optionxform = str
    if os.path.exists(path):
        cp.read(path)
    for s, o, v in values:
        if not cp.has_section(s):
            cp.add_section(s)
        cp.set(s, o, v)
    d = os.path.dirname(path)
    if d and not os.path.isdir(d):
        os.makedirs(d)
    buf = StringIO()
    cp.write(buf)
    write_atomic(path, buf.getvalue(), 0o644)
    return True
