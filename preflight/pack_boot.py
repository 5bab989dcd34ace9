"""The bootstrap a policy pack is started with: `python -u -c BOOT PACK_DIR`.

It runs the pack's `__main__.py` exactly as `python PACK_DIR` would, after one change to pulumi-policy:
its servicer converts the request's property struct with `json_format.MessageToDict` once per policy,
so a resource analyzed by 56 policies is converted 56 times. The conversion is memoized per message
object (the same object is passed for every policy of one call; the result is only read), which cuts
a pack's CPU without changing any answer. The code is self-contained because the pack may run in its
own virtualenv, where Rollway is not installed.
"""

BOOT = r"""
import runpy, sys, threading
try:
    import pulumi_policy.policy as _policy
    from google.protobuf import json_format as _json_format
except ImportError:
    _policy = None
if _policy is not None:
    class _MemoJsonFormat:
        def __init__(self):
            self._lock = threading.Lock()
            self._recent = {}

        def __getattr__(self, name):
            return getattr(_json_format, name)

        def MessageToDict(self, message, *args, **kwargs):
            if args or kwargs:
                return _json_format.MessageToDict(message, *args, **kwargs)
            key = id(message)
            with self._lock:
                hit = self._recent.get(key)
            if hit is not None and hit[0] is message:
                return hit[1]
            result = _json_format.MessageToDict(message)
            with self._lock:
                if len(self._recent) >= 256:
                    self._recent.clear()
                self._recent[key] = (message, result)
            return result

    _policy.json_format = _MemoJsonFormat()
pack = sys.argv[1]
sys.argv = [pack]
runpy.run_path(pack, run_name="__main__")
"""
