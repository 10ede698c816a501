"""greet: a pure-Python dependency."""


def hello(name):
    return "hello from " + name
