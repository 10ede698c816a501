package rules

// What SP111 (optimized bytecode) and SP112 (orphaned bytecode) share.

import "regexp"

// pycacheName splits __pycache__/NAME.TAG[.opt-N].pyc: NAME, TAG
// (cpython-311, pypy39...), the optimisation level.
var pycacheName = regexp.MustCompile(`^(.+?)\.([a-z]+-?[0-9]+[a-z]*)(\.opt-([12]))?\.pyc$`)
