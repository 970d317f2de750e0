/** The Python side of the plugin bridge (python-plugins.ts): run as `python3 -c BRIDGE_PY`. */
export const BRIDGE_PY = String.raw`
"""wheelwright's bridge to Python filter and test plugins (one process per run).

stdin: one JSON request per line; stdout: one JSON answer per line.
  {"op": "load", "kind": "filter"|"test", "file": path}
      -> {"ok": true, "names": [...]} | {"ok": false, "error": ..., "traceback": ...}
  {"op": "call", "kind": ..., "file": path, "name": n, "value": v, "args": [...], "kwargs": {...}}
      -> {"ok": true, "value": v} | {"ok": false, "error": ..., "traceback": ...}
A float that is integral travels as {"__ww_float__": x} (JSON would make it an int on the way), a
tuple as {"__ww_tuple__": [...]}.
The plugins' own prints go to stderr: stdout is the protocol's.
"""
import importlib.util
import json
import os
import sys
import traceback

proto = os.fdopen(os.dup(1), 'w', encoding='utf-8')
os.dup2(2, 1)
sys.stdout = sys.stderr

FLOAT = '__ww_float__'
TUPLE = '__ww_tuple__'
plugins = {}  # (kind, file) -> {name: function}


class NotJson(Exception):
    pass


def decode(x):
    if isinstance(x, dict):
        if len(x) == 1 and FLOAT in x:
            return float(x[FLOAT])
        return {k: decode(v) for k, v in x.items()}
    if isinstance(x, list):
        return [decode(v) for v in x]
    return x


def encode(x, path='value'):
    """The documented conversion: sets become lists, bytes UTF-8 text; anything else that is not JSON is an error."""
    if x is None or isinstance(x, (bool, str)):
        return x
    if isinstance(x, int):
        return int(x)
    if isinstance(x, float):
        if x != x or x in (float('inf'), float('-inf')):
            raise NotJson('%s is %r, which JSON cannot carry' % (path, x))
        return {FLOAT: x} if x.is_integer() else x
    if isinstance(x, bytes):
        return x.decode('utf-8', 'surrogateescape')
    if isinstance(x, dict):
        out = {}
        for k, v in x.items():
            if not isinstance(k, (str, int, float, bool)) and k is not None:
                raise NotJson('%s has a key of type %s' % (path, type(k).__name__))
            key = k if isinstance(k, str) else json.dumps(k) if not isinstance(k, bool) else ('true' if k else 'false')
            out[key] = encode(v, '%s[%r]' % (path, k))
        return out
    if isinstance(x, tuple):
        return {TUPLE: [encode(v, '%s[%d]' % (path, i)) for i, v in enumerate(x)]}
    if isinstance(x, list):
        return [encode(v, '%s[%d]' % (path, i)) for i, v in enumerate(x)]
    if isinstance(x, Remote):
        return {k: encode(x[k], '%s[%r]' % (path, k)) for k in x}
    if isinstance(x, (set, frozenset)):
        return [encode(v, path + ' item') for v in x]
    if isinstance(x, str):
        return str(x)
    # str subclasses (AnsibleUnsafeText) and int/float subclasses were taken above
    raise NotJson('%s is a %s.%s, which wheelwright cannot take back from Python (only JSON data: '
                  'dict, list, tuple, set, str, bytes, int, float, bool, None)' % (path, type(x).__module__, type(x).__name__))


def ask(req):
    """A question to wheelwright in the middle of a call (a variable, a filter): the answer is the next line."""
    proto.write(json.dumps(req) + '\n')
    proto.flush()
    answer = json.loads(sys.stdin.readline() or '{"ok": false, "error": "wheelwright went away"}')
    if not answer.get('ok'):
        raise RuntimeError(answer.get('error'))
    return answer


def undefined(name):
    try:
        from jinja2.runtime import Undefined
        return Undefined(name=name)
    except ImportError:
        return None


def remote_value(path, answer):
    if not answer.get('found'):
        return MISSING
    v = answer.get('value')
    if isinstance(v, dict) and v.get(REMOTE) is True and len(v) == 1:
        return Remote(path)
    return decode(v)


MISSING = object()
REMOTE = '__ww_remote__'


try:
    from collections.abc import Mapping
except ImportError:  # pragma: no cover
    Mapping = object


class Lookup(object):
    """Variables under self._path, asked of wheelwright key by key (Remote and Context share it)."""

    _path = []

    def _get(self, key):
        return remote_value(self._path + [key], ask({'op': 'get', 'path': self._path + [key]}))

    def __getitem__(self, key):
        v = self._get(key)
        if v is MISSING:
            raise KeyError(key)
        return v

    def __contains__(self, key):
        return self._get(key) is not MISSING

    def get(self, key, default=None):
        v = self._get(key)
        return default if v is MISSING else v


class Remote(Lookup, Mapping):
    """A mapping that stays in wheelwright (hostvars, a host's variables): read key by key."""

    def __init__(self, path):
        self._path = path

    def __iter__(self):
        return iter(ask({'op': 'keys', 'path': self._path}).get('value') or [])

    def __len__(self):
        return len(list(iter(self)))


class Environment(object):
    def call_filter(self, name, value, args=None, kwargs=None, context=None, eval_ctx=None):
        answer = ask({'op': 'filter', 'name': name, 'value': encode(value), 'args': encode(list(args or [])), 'kwargs': encode(dict(kwargs or {}))})
        return decode(answer.get('value'))

    def call_test(self, name, value, args=None, kwargs=None, context=None, eval_ctx=None):
        answer = ask({'op': 'test', 'name': name, 'value': encode(value), 'args': encode(list(args or [])), 'kwargs': encode(dict(kwargs or {}))})
        return bool(answer.get('value'))


class Context(Lookup):
    """What a @pass_context plugin reads: the template's variables, asked for one by one."""

    environment = Environment()

    def resolve_or_missing(self, key):
        return self._get(key)

    def resolve(self, key):
        v = self._get(key)
        return undefined(key) if v is MISSING else v


def tail():
    """The traceback's last plugin frames (the bridge's own are left out) and the exception."""
    et, ev, tb = sys.exc_info()
    frames = [f for f in traceback.extract_tb(tb) if f.filename != '<string>']
    return ''.join(traceback.format_list(frames[-3:]) + traceback.format_exception_only(et, ev)).rstrip()


def load(kind, path):
    name = 'ww_%s_plugin_%d_%s' % (kind, len(plugins), os.path.splitext(os.path.basename(path))[0])
    spec = importlib.util.spec_from_file_location(name, path)
    mod = importlib.util.module_from_spec(spec)
    sys.modules[name] = mod
    spec.loader.exec_module(mod)
    cls = getattr(mod, 'FilterModule' if kind == 'filter' else 'TestModule', None)
    if cls is None:
        return None
    table = cls().filters() if kind == 'filter' else cls().tests()
    plugins[(kind, path)] = dict(table)
    return sorted(table)


def handle(req):
    op = req.get('op')
    kind, path = req.get('kind'), req.get('file')
    if op == 'load':
        names = load(kind, path)
        return {'ok': True, 'names': names or [], 'missing_class': names is None}
    if op == 'call':
        fn = plugins[(kind, path)][req['name']]
        lead = []
        passed = getattr(fn, 'jinja_pass_arg', None)
        if passed is not None:
            if passed.name != 'context':
                return {'ok': False, 'error': "%s '%s' takes the Jinja %s (@pass_%s), which wheelwright's Python plugin bridge does not pass"
                        % (kind, req['name'], passed.name.replace('_', ' '), passed.name), 'traceback': ''}
            lead = [Context()]
        value = fn(*lead, decode(req['value']), *decode(req.get('args', [])), **decode(req.get('kwargs', {})))
        return {'ok': True, 'value': encode(value)}
    return {'ok': False, 'error': 'unknown request %r' % (op,), 'traceback': ''}


while True:
    line = sys.stdin.readline()
    if not line:
        break
    try:
        answer = handle(json.loads(line))
    except NotJson as e:
        answer = {'ok': False, 'error': 'returned a value that is not JSON data: %s' % e, 'traceback': ''}
    except BaseException as e:  # a plugin's SystemExit too: the bridge answers and goes on
        answer = {'ok': False, 'error': '%s: %s' % (type(e).__name__, e), 'traceback': tail()}
    proto.write(json.dumps(answer) + '\n')
    proto.flush()
`;
