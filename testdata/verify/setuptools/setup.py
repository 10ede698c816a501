from setuptools import setup

setup(
    name="greeter",
    version="1.0",
    packages=["greeter"],
    install_requires=["fastsum==1.0", "tally==1.0"],
    entry_points={"console_scripts": ["greeter = greeter.cli:main"]},
)
