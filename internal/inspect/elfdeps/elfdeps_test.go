package elfdeps

import (
	"debug/elf"
	"os"
	"reflect"
	"testing"
)

func TestCandidate(t *testing.T) {
	for p, want := range map[string]bool{
		"/usr/local/lib/python3.11/site-packages/psycopg2/_psycopg.cpython-311-x86_64-linux-gnu.so":   true,
		"/usr/lib/python3/dist-packages/numpy/core/_multiarray_umath.cpython-311-x86_64-linux-gnu.so": true,
		"/venv/lib/python3.12/site-packages/numpy.libs/libopenblas64_p-r0-0cf96a72.3.23.dev.so":       true,
		"/venv/lib/python3.12/site-packages/PIL/.libs/libjpeg.so.62.4.0":                              true,
		"/usr/lib/x86_64-linux-gnu/libpq.so.5":                                                        false,
		"/usr/local/lib/python3.11/site-packages/psycopg2/__init__.py":                                false,
		"/usr/local/lib/python3.11/site-packages/solar.sol":                                           false,
	} {
		if Candidate(p) != want {
			t.Errorf("Candidate(%q) = %v", p, !want)
		}
	}
}

// TestNeededOfARealELF: the test binary itself, an ELF file of the Go
// toolchain: its value reads back as the libraries debug/elf finds.
func TestNeededOfARealELF(t *testing.T) {
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	content, err := os.ReadFile(exe)
	if err != nil {
		t.Fatal(err)
	}
	ef, err := elf.Open(exe)
	if err != nil {
		t.Skipf("the test binary is not an ELF file here: %v", err)
	}
	defer ef.Close()
	want, err := ef.ImportedLibraries()
	if err != nil {
		t.Fatal(err)
	}
	got, isELF := Parse(Needed(content))
	if !isELF || len(got) != len(want) || len(want) > 0 && !reflect.DeepEqual(got, want) {
		t.Errorf("Parse(Needed(test binary)) = %q, %v; want %q", got, isELF, want)
	}
	// Cut after its header: the section headers are missing.
	if v := string(Needed(content[:64])); v != "N" {
		t.Errorf("a truncated ELF file: %q", v)
	}
}

func TestParse(t *testing.T) {
	for v, want := range map[string][]string{
		"N":                      nil,
		"":                       nil,
		"X":                      nil,
		"E":                      {},
		"Elibpq.so.5\nlibc.so.6": {"libpq.so.5", "libc.so.6"},
	} {
		got, isELF := Parse([]byte(v))
		if !reflect.DeepEqual(got, want) || isELF != (v != "N" && v != "") {
			t.Errorf("Parse(%q) = %q, %v", v, got, isELF)
		}
	}
	if v := string(Needed([]byte("#!/bin/sh\n"))); v != "N" {
		t.Errorf("a script: %q", v)
	}
}
