# A tiny package with a C extension, so that pip compiles it with gcc from
# build-essential and keeps the built wheel in its cache (/root/.cache/pip).
from setuptools import Extension, setup

setup(
    name="slimpy_cext",
    version="1.0",
    description="slimpy test fixture: a C extension built from source",
    py_modules=[],
    ext_modules=[Extension("slimpy_cext", ["slimpy_cext.c"])],
)
