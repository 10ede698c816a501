// Package inventory lists what an image has installed: Build reads the
// merged file system and the layers' package databases into an Inventory
// of OS packages (dpkg, apk) with the layer that installed each, Python
// distributions and interpreters. It also holds what the rules know about
// releases: os-release parsing, the end-of-life tables of Debian, Ubuntu,
// Alpine and CPython, and the order of Python releases. Reads names the
// files Build reads, for the walker to capture.
package inventory
