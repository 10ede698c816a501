// Package apkversion orders Alpine package versions as apk does
// (apk version -t): Gentoo-style versions, digits separated by dots, an
// optional letter, suffixes (_alpha < _beta < _pre < _rc < none < _cvs <
// _svn < _git < _hg < _p, each with an optional number) and a -rN
// package revision.
package apkversion

import (
	"cmp"
	"strings"
)

// kind is what a version string holds next, in the order apk ranks them
// when one version ends before the other.
type kind int

const (
	kindInvalid     kind = iota - 1
	kindDigitOrZero      // after a '.': a number, or a run of zeros
	kindDigit            // a number
	kindLetter           // one lower-case letter after a number
	kindSuffix           // after '_': alpha, beta, pre, rc, cvs, svn, git, hg, p
	kindSuffixNo         // the number after a suffix
	kindRevisionNo       // the N of -rN
	kindEnd
)

// Pre-release suffixes rank below the plain version, the others above it.
var (
	preSuffixes  = []string{"alpha", "beta", "pre", "rc"}
	postSuffixes = []string{"cvs", "svn", "git", "hg", "p"}
)

// value is one token's weight: a number as its digits without leading
// zeros (numbers of any length), or a small integer (letters, suffixes,
// and a run of n zeros after a dot, which weighs -n).
type value struct {
	digits string
	isNum  bool
	n      int
}

func (v value) compare(w value) int {
	if v.isNum && w.isNum {
		if len(v.digits) != len(w.digits) {
			return cmp.Compare(len(v.digits), len(w.digits))
		}
		return strings.Compare(v.digits, w.digits)
	}
	if v.isNum || w.isNum {
		// A number (≥ 0) against a run of zeros (< 0) or an empty token (0).
		num, other, s := v, w, 1
		if w.isNum {
			num, other, s = w, v, -1
		}
		if other.n < 0 || num.digits != "" {
			return s
		}
		return 0
	}
	return cmp.Compare(v.n, w.n)
}

// scanner walks a version string token by token.
type scanner struct {
	s    string
	kind kind // of the next token
}

// token reads the next token (of sc.kind) and finds the kind of the one
// after it.
func (sc *scanner) token() value {
	if sc.s == "" {
		sc.kind = kindEnd
		return value{}
	}
	var v value
	i := 0
	next := kindInvalid
	switch sc.kind {
	case kindDigitOrZero, kindDigit, kindSuffixNo, kindRevisionNo:
		if sc.kind == kindDigitOrZero && sc.s[0] == '0' {
			// After a dot, leading zeros weigh by their count: 1.01 < 1.1,
			// 1.001 < 1.01. What follows them is a plain number.
			for i < len(sc.s) && sc.s[i] == '0' {
				i++
			}
			v, next = value{n: -i}, kindDigit
			break
		}
		for i < len(sc.s) && isDigit(sc.s[i]) {
			i++
		}
		v = value{digits: strings.TrimLeft(sc.s[:i], "0"), isNum: true}
	case kindLetter:
		v, i = value{n: int(sc.s[0])}, 1
	case kindSuffix:
		n, l, ok := suffix(sc.s)
		if !ok {
			sc.kind = kindInvalid
			return value{n: -1}
		}
		v, i = value{n: n}, l
	default:
		sc.kind = kindInvalid
		return value{n: -1}
	}
	sc.s = sc.s[i:]
	switch {
	case sc.s == "":
		sc.kind = kindEnd
	case next != kindInvalid:
		sc.kind = next
	default:
		sc.advance()
	}
	return v
}

// suffix weighs the suffix s starts with: pre-release ones negative.
func suffix(s string) (weight, length int, ok bool) {
	for i, p := range preSuffixes {
		if strings.HasPrefix(s, p) {
			return i - len(preSuffixes), len(p), true
		}
	}
	for i, p := range postSuffixes {
		if strings.HasPrefix(s, p) {
			return i, len(p), true
		}
	}
	return 0, 0, false
}

// advance finds the kind of the next token from the separator or the
// character that starts it; a kind that may not follow the last one
// makes the rest invalid.
func (sc *scanner) advance() {
	n := kindInvalid
	c := sc.s[0]
	switch {
	case (sc.kind == kindDigit || sc.kind == kindDigitOrZero) && c >= 'a' && c <= 'z':
		n = kindLetter
	case sc.kind == kindLetter && isDigit(c):
		n = kindDigit
	case sc.kind == kindSuffix && isDigit(c):
		n = kindSuffixNo
	default:
		switch c {
		case '.':
			n = kindDigitOrZero
		case '_':
			n = kindSuffix
		case '-':
			if len(sc.s) > 1 && sc.s[1] == 'r' {
				n = kindRevisionNo
				sc.s = sc.s[1:]
			}
		}
		sc.s = sc.s[1:]
	}
	if n < sc.kind && !(n == kindDigitOrZero && sc.kind == kindDigit ||
		n == kindSuffix && sc.kind == kindSuffixNo ||
		n == kindDigit && sc.kind == kindLetter) {
		n = kindInvalid
	}
	sc.kind = n
}

// Compare returns -1, 0 or 1 as apk orders version a before, as, or after
// version b.
func Compare(a, b string) int {
	sa, sb := scanner{s: a, kind: kindDigit}, scanner{s: b, kind: kindDigit}
	for sa.kind == sb.kind && sa.kind != kindEnd && sa.kind != kindInvalid {
		if c := sa.token().compare(sb.token()); c != 0 {
			return c
		}
	}
	if sa.kind == sb.kind {
		return 0
	}
	// One goes on where the other stops: it is newer, unless what follows
	// is a pre-release suffix, or a kind that ranks lower.
	if sa.kind == kindSuffix && sa.peekSuffix() < 0 {
		return -1
	}
	if sb.kind == kindSuffix && sb.peekSuffix() < 0 {
		return 1
	}
	return cmp.Compare(sb.kind, sa.kind)
}

func (sc scanner) peekSuffix() int { return sc.token().n }

func isDigit(c byte) bool { return c >= '0' && c <= '9' }
