"""The app: imports the C extension and its pure-Python dependency and uses both."""
import fastsum
import fastsum._speedups

print(fastsum.report(1000))
print("extension:", fastsum._speedups.__file__)
