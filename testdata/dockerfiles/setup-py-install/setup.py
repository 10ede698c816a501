from setuptools import setup, find_packages

setup(
    name="etl-runner",
    version="2.1.0",
    packages=find_packages(),
    install_requires=["SQLAlchemy==2.0.31", "pyarrow==16.1.0"],
    entry_points={"console_scripts": ["etl-runner=etl.cli:main"]},
)
