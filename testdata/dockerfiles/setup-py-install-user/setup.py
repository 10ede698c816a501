from setuptools import setup
setup(name="pgsample", version="1.0", py_modules=["entry"], install_requires=["psycopg2==2.9.9"])
