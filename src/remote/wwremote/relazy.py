"""Regular expressions that import `re` only when first used: `re` (with enum, functools and
collections) is a quarter of a no-op check's start-up on a small host, and most patterns serve
only error, build and install paths."""


class _Re(object):
    """Stands for the re module: `from wwremote.relazy import re`, then re.sub(...) as usual."""

    def __getattr__(self, name):
        import re as real

        return getattr(real, name)


re = _Re()


class compiled(object):
    """re.compile(pattern, flags) on first use; flags by name ("I", "M") so that defining the
    pattern imports nothing."""

    __slots__ = ("_pattern", "_flags", "_rx")

    def __init__(self, pattern, *flags):
        self._pattern = pattern
        self._flags = flags
        self._rx = None

    def __getattr__(self, name):  # match, search, sub, findall, pattern, ...
        if self._rx is None:
            import re as real

            f = 0
            for n in self._flags:
                f |= getattr(real, n)
            self._rx = real.compile(self._pattern, f)
        return getattr(self._rx, name)
