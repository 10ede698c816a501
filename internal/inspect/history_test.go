package inspect

import (
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

func TestInstruction(t *testing.T) {
	cases := map[string]string{
		`/bin/sh -c #(nop)  CMD ["python3"]`: `CMD ["python3"]`,
		`/bin/sh -c #(nop) ADD file:4b03b5f551e3fbdf47ec609712007327828f7530cc3455c43bbcdcaf449a75a9 in / `: `ADD file:4b03b5f551e3fbdf47ec609712007327828f7530cc3455c43bbcdcaf449a75a9 in /`,
		`/bin/sh -c apt-get update && apt-get install -y gcc`:                                               `RUN apt-get update && apt-get install -y gcc`,
		`RUN /bin/sh -c pip install --no-cache-dir numpy # buildkit`:                                        `RUN pip install --no-cache-dir numpy`,
		`COPY . /app # buildkit`:                    `COPY . /app`,
		`|1 PYV=3.11 /bin/sh -c echo $PYV`:          `RUN echo $PYV`,
		`RUN |2 A=1 B=2 /bin/sh -c make # buildkit`: `RUN make`,
		`WORKDIR /app`:                              `WORKDIR /app`,
	}
	for in, want := range cases {
		if got := Instruction(in); got != want {
			t.Errorf("Instruction(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestLayerHistorySkipsEmptyLayers(t *testing.T) {
	h := []v1.History{
		{CreatedBy: "/bin/sh -c #(nop) ADD file:x in / "},
		{CreatedBy: `/bin/sh -c #(nop)  CMD ["bash"]`, EmptyLayer: true},
		{CreatedBy: "RUN /bin/sh -c apt-get update # buildkit"},
		{CreatedBy: "ENV A=b", EmptyLayer: true},
	}
	got := layerHistory(h, 3)
	want := []string{"ADD file:x in /", "RUN apt-get update", ""}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("layer %d: %q, want %q", i, got[i], want[i])
		}
	}
}
