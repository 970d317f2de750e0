"""wheelwright's remote side: small stdlib-only helpers (Python >= 3.6) shared by the scripts sent
to hosts (src/venv/ensure_venv.py, src/wheels/build_wheels.py). src/remote/assemble.ts embeds these
modules into the one script sent per call; tests: `python3 -m unittest discover -s src/remote`."""
