"""json.loads / json.dumps without importing json: the json package imports re (and with it enum,
functools, collections), a third of a no-op check's start-up on a small host. Its C accelerator
(`_json`) alone does the work, driven as json.loads / json.dumps(sort_keys=...) drive it, so the
results are the same to the byte; anything else (indent, bytes, an error to report, a Python
without `_json`) is json's own."""

_scanner = None
_encoders = {}
_WS = " \t\n\r"  # json's WHITESPACE


class _Decoder(object):
    """What the C scanner reads from json.JSONDecoder() (its default arguments)."""

    strict = True
    object_hook = None
    object_pairs_hook = None
    parse_float = float
    parse_int = int

    @staticmethod
    def parse_constant(name):
        return {"-Infinity": float("-inf"), "Infinity": float("inf"), "NaN": float("nan")}[name]


def _scan():
    global _scanner
    if _scanner is None:
        import _json

        _scanner = _json.make_scanner(_Decoder())
    return _scanner


def loads(s):
    """json.loads(s)."""
    if isinstance(s, str):
        try:
            start = len(s) - len(s.lstrip(_WS))
            obj, end = _scan()(s, start)
            if not s[end:].strip(_WS):
                return obj
        except Exception:  # noqa: BLE001 - not JSON, or no _json: json says what is wrong
            pass
    import json

    return json.loads(s)


def _unsupported(o):
    raise TypeError


def dumps(obj, sort_keys=False):
    """json.dumps(obj, sort_keys=sort_keys)."""
    try:
        enc = _encoders.get(sort_keys)
        if enc is None:
            import _json

            # as json.JSONEncoder.iterencode(o, _one_shot=True) makes it for the default arguments
            enc = _encoders[sort_keys] = (_json.make_encoder, _json.encode_basestring_ascii)
        make, ascii_str = enc
        return "".join(make({}, _unsupported, ascii_str, None, ": ", ", ", sort_keys, False, True)(obj, 0))
    except Exception:  # noqa: BLE001 - a type json must convert or reject
        import json

        return json.dumps(obj, sort_keys=sort_keys)
