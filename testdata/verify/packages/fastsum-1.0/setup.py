from setuptools import Extension, setup

setup(
    name="fastsum",
    version="1.0",
    packages=["fastsum"],
    ext_modules=[Extension("fastsum._speedups", ["fastsum/_speedups.c"])],
    install_requires=["greet>=1.0"],
)
