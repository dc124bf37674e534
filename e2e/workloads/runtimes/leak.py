"""A CPython service that leaks the way Python services do: a module-level dict of sessions that
nothing ever expires. RUNTIME_MODE=bounded instead keeps the last CACHE_ENTRIES sessions in a
collections.deque(maxlen=...): it fills up to its cap and stays there, which is not a leak.
  LEAK_KIB_PER_S  KiB retained a second (default 64), after LEAK_START_AFTER seconds (300)
  CACHE_ENTRIES   the deque's cap in sessions of about 1 KiB (default 100000)"""
import collections
import json
import os
import time

MODE = os.environ.get("RUNTIME_MODE", "leak")
KIB_PER_S = float(os.environ.get("LEAK_KIB_PER_S", "64"))
START_AFTER = float(os.environ.get("LEAK_START_AFTER", "300"))
CAP = int(os.environ.get("CACHE_ENTRIES", "100000"))
TICK = 0.1

sessions = {}
recent = collections.deque(maxlen=CAP)


def handle(i, leaking):
    parsed = json.loads(json.dumps({"id": i, "items": list(range(64))}))  # the request's garbage
    if not leaking:
        return len(parsed["items"])
    # About 1 KiB kept (built at run time: a constant "s" * 900 would be one shared object).
    session = {"id": i, "user": "u%d" % i, "data": ("%d:" % i).ljust(900, "s")}
    if MODE == "leak":
        sessions[i] = session
    else:
        recent.append(session)
    return len(parsed["items"])


def main():
    start, n, owed = time.monotonic(), 0, 0.0
    while True:
        owed += KIB_PER_S * TICK
        leaking = time.monotonic() - start >= START_AFTER
        while owed >= 1:
            handle(n, leaking)
            n, owed = n + 1, owed - 1
        time.sleep(TICK)


if __name__ == "__main__":
    main()
