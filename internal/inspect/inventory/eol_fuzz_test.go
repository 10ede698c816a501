package inventory

import (
	"strings"
	"testing"
)

// FuzzEOLLookup: os-release text through ParseOSRelease and OSRelease,
// and PythonRelease: the release found is the one the version names.
func FuzzEOLLookup(f *testing.F) {
	f.Add("PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\nID=debian\nVERSION_ID=\"12\"\n", "12.4", "3.11.7")
	f.Add("ID=ubuntu\nVERSION_ID='22.04'\n", "", "3.10")
	f.Add("ID=alpine\nVERSION_ID=3.19.1\n", "", "2.7.18")
	f.Add("", "11.9", "3.14.0rc1")
	f.Add("ID=Debian\n# comment\nVERSION_ID=\"1\\\"2\"\n", "bookworm/sid", "3")
	f.Fuzz(func(t *testing.T, osRelease, debianVersion, python string) {
		fields := ParseOSRelease(osRelease)
		if r, ok := OSRelease(fields, debianVersion); ok {
			if r.Name == "" || r.EOL.IsZero() {
				t.Fatalf("%q, %q: an empty release %+v", osRelease, debianVersion, r)
			}
			var word string
			switch id := strings.ToLower(fields["ID"]); id {
			case "debian", "":
				v := fields["VERSION_ID"]
				if v == "" || id == "" {
					v = strings.TrimSpace(debianVersion) // without an ID, only /etc/debian_version counts
				}
				word = "Debian " + strings.SplitN(v, ".", 2)[0] + " "
			case "ubuntu":
				word = "Ubuntu " + fields["VERSION_ID"] + " "
			case "alpine":
				p := strings.SplitN(fields["VERSION_ID"], ".", 3)
				word = "Alpine " + p[0] + "." + p[1]
			default:
				t.Fatalf("ID %q found %s", id, r.Name)
			}
			if !strings.HasPrefix(r.Name, word) {
				t.Fatalf("%q, %q: found %s, want %q…", osRelease, debianVersion, r.Name, word)
			}
		}
		if r, ok := PythonRelease(python); ok {
			p := strings.SplitN(python, ".", 3)
			if r.Name != "Python "+p[0]+"."+p[1] {
				t.Fatalf("%q: found %s", python, r.Name)
			}
		}
	})
}
