from setuptools import setup

setup(
    name="tally",
    version="1.0",
    packages=["tally"],
    install_requires=["greet>=1.0"],
    entry_points={"console_scripts": ["tally = tally.cli:main"]},
)
