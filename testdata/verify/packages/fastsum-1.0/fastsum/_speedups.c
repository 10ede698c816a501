/* A small C extension: the sum of the squares of 0..n-1. */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

static PyObject *sum_squares(PyObject *self, PyObject *args) {
    long long n, i, s = 0;
    if (!PyArg_ParseTuple(args, "L", &n))
        return NULL;
    for (i = 0; i < n; i++)
        s += i * i;
    return PyLong_FromLongLong(s);
}

static PyMethodDef methods[] = {
    {"sum_squares", sum_squares, METH_VARARGS, "Sum of i*i for i in range(n)."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_speedups", NULL, -1, methods};

PyMODINIT_FUNC PyInit__speedups(void) { return PyModule_Create(&module); }
