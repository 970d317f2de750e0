"""Local facts (an INI file, as the role's `ini_file` tasks write it): write and check."""
import os

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
    try:
        with open(facts["path"]) as f:
            data = plain_ini(f.read())
    except OSError:  # as configparser's read(): an unreadable file holds nothing
        return False
    except ValueError:  # not text: configparser says what it says
        data = None
    if data is not None:
        return all(s in data and o in data[s] and data[s][o] == v for s, o, v in values)
    import configparser  # here: a file that is not in the plain form write_facts() writes

    cp = configparser.RawConfigParser()
    cp.optionxform = str
    try:
        cp.read(facts["path"])
    except configparser.Error:
        return False
    return all(cp.has_section(s) and cp.has_option(s, o) and cp.get(s, o) == v for s, o, v in values)


def plain_ini(text):
    """{section: {option: value}} of an INI text in the plain form configparser writes (`[section]`
    lines, `option = value` lines, blank lines), as RawConfigParser (optionxform=str) reads it;
    None for anything else (comments, indented or continued lines, DEFAULT, duplicates, lines
    before a section), which configparser itself then reads. A no-op check imports no configparser
    (nor re, which it needs)."""
    out = {}
    cur = None
    for line in text.split("\n"):
        v = line.strip()
        if not v:
            continue
        if line[0].isspace() or v[0] in "#;":
            return None
        if v[0] == "[" and v[-1] == "]" and len(v) > 2:
            name = v[1:-1]
            if name == "DEFAULT" or name in out:
                return None
            cur = out[name] = {}
            continue
        cuts = [i for i in (v.find("="), v.find(":")) if i >= 0]
        if cur is None or not cuts or v[0] == "[":
            return None
        i = min(cuts)
        opt = v[:i].rstrip()
        if not opt or opt in cur:
            return None
        cur[opt] = v[i + 1:].strip()
    return out


def write_facts(facts):
    """Set the given values, keeping the file's other sections and options; atomic. False when
    there is nothing to write."""
    values = _values(facts)
    if values is None:
        return False
    path = facts["path"]
    import configparser
    from io import StringIO

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
