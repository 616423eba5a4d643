"""Code generation for this integration, from the ``.proto`` files in ``proto/``.

Run it with ``python -m <package> regen`` (``<package>``: this one; the
post-generation hook ran ``init`` once). What it writes, and who owns it afterwards:

* ``generated/`` — protoc's ``_pb2``/``_pb2_grpc``/``.pyi`` modules, imports made
  package-relative, plus ``contract.py``; regenerated at will, never edit.
* ``handlers/__init__.py`` — which handler class serves which service; regenerated.
* ``handlers/<service>.py``, ``handlers/events.py`` — yours once written: new RPCs get
  stub methods appended, filled methods are never touched, vanished RPCs are reported.
* ``samples/*.json``, ``tests/rpcs/test_*.py``, ``tenant.json`` — written when missing,
  never overwritten (to-do tests of new RPCs are appended).
* ``tenant.example.json`` — placeholders only, rewritten when ``parameters.py`` changes.
"""
