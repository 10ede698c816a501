from setuptools import setup, find_packages

setup(
    name="directory",
    version="1.0",
    packages=find_packages(),
    install_requires=["Flask==1.1.4", "python-ldap==3.4.0", "gunicorn==20.1.0"],
)
