// Package tui is slimpy's terminal user interface: a progress view while
// the layers stream, then tabs over one inspection — summary, layers,
// findings, files and Dockerfile suggestions.
//
// It only renders what it is given (an Input: the report, the merged file
// tree and the suggestions with a callback that writes them) and never
// reads an image itself. Each screen is a small component with its own keys
// in its own file; the root Model routes messages to the active one, and the
// styles are defined once in styles.go. docs/tui.md shows every view.
package tui
