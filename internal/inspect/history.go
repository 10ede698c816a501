package inspect

import (
	"regexp"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// layerHistory returns the created_by instruction of each layer, in layer
// order: history entries marked empty_layer made no layer and are skipped.
// When the history does not account for every layer (squashed or rebuilt
// images), the unmatched layers get "".
func layerHistory(history []v1.History, layers int) []string {
	out := make([]string, layers)
	i := 0
	for _, h := range history {
		if h.EmptyLayer {
			continue
		}
		if i >= layers {
			break
		}
		out[i] = Instruction(h.CreatedBy)
		if out[i] == "" && h.Comment != "" {
			out[i] = "# " + h.Comment // e.g. "Imported from -" for docker import
		}
		i++
	}
	return out
}

// argsPrefix matches the "|2 NAME=value NAME=value " prefix the classic
// builder puts before RUN commands that had build args in scope.
var argsPrefix = regexp.MustCompile(`^\|\d+ (?:\S+=\S* )*`)

// Instruction shows a history created_by the way a Dockerfile reads:
//
//	/bin/sh -c #(nop)  CMD ["python3"]   → CMD ["python3"]
//	/bin/sh -c apt-get install -y gcc    → RUN apt-get install -y gcc
//	RUN /bin/sh -c pip install x # buildkit → RUN pip install x
//	COPY . /app # buildkit               → COPY . /app
func Instruction(createdBy string) string {
	s := strings.TrimSpace(createdBy)
	s = strings.TrimSpace(strings.TrimSuffix(s, "# buildkit"))
	s = argsPrefix.ReplaceAllString(s, "")
	if rest, ok := strings.CutPrefix(s, "RUN "); ok {
		s = strings.TrimSpace(rest)
		s = argsPrefix.ReplaceAllString(s, "")
		if cmd, ok := cutShell(s); ok {
			return "RUN " + cmd
		}
		return "RUN " + s
	}
	if cmd, ok := cutShell(s); ok {
		if nop, ok := strings.CutPrefix(cmd, "#(nop)"); ok {
			return strings.TrimSpace(nop)
		}
		return "RUN " + cmd
	}
	return s
}

// cutShell removes the shell the builder wrapped a command in.
func cutShell(s string) (string, bool) {
	for _, sh := range []string{"/bin/sh -c ", "/bin/bash -c ", "/bin/sh -o pipefail -c ", "/bin/bash -o pipefail -c "} {
		if rest, ok := strings.CutPrefix(s, sh); ok {
			return strings.TrimSpace(rest), true
		}
	}
	return "", false
}
