package bigimage

import (
	"bytes"
	"fmt"
	"math/rand"
	"strings"
)

// Content comes from three pools built once from a fixed seed; a file's
// bytes are a window of a pool at a pseudo-random offset. Windows of
// different files differ (no false duplicates), and each pool compresses
// like what it stands for:
//
//	text  Python-like source (~3.3x with gzip -6, like real site-packages code)
//	pyc   byte code: marshalled constants and names (~2x)
//	bin   shared objects: code-like bytes, tables, strings and zero runs (~2.5x)
const (
	poolText = iota
	poolPyc
	poolBin
	numPools
)

const poolSize = 16 << 20

type pools [numPools][]byte

func newPools(seed int64) *pools {
	rng := rand.New(rand.NewSource(seed))
	v := newVocab(rng)
	var p pools
	p[poolText] = v.pythonText(rng, poolSize)
	p[poolPyc] = v.bytecode(rng, poolSize)
	p[poolBin] = v.sharedObject(rng, poolSize)
	return &p
}

// vocab is a Zipf-distributed identifier vocabulary, so that text has the
// skewed word frequencies of real code.
type vocab struct {
	words []string
	zipf  *rand.Zipf
}

var (
	commonWords = strings.Fields("self value result data name path args kwargs key index items config " +
		"options dtype array shape axis other obj func method cls attr node tree parent child buffer " +
		"stream size offset length count total start end mapping default params context request " +
		"response error message logger level")
	syllables = strings.Fields("get set make parse read write load dump to from is has num str int " +
		"float bool list dict iter gen comp val idx arr mat vec frame series col row block chunk cache " +
		"pool task job run exec eval calc sum avg min max norm scale fit pred train test data info meta " +
		"type kind mode flag opt cfg env ctx")
)

func newVocab(rng *rand.Rand) *vocab {
	words := make([]string, 3000)
	for i := range words {
		if i < len(commonWords) {
			words[i] = commonWords[i]
			continue
		}
		parts := make([]string, 1+rng.Intn(3))
		for j := range parts {
			parts[j] = syllables[rng.Intn(len(syllables))]
		}
		words[i] = strings.Join(parts, "_")
	}
	return &vocab{words: words, zipf: rand.NewZipf(rng, 1.1, 4, uint64(len(words)-1))}
}

func (v *vocab) word() string { return v.words[v.zipf.Uint64()] }

func title(s string) string { return strings.ToUpper(s[:1]) + s[1:] }

func (v *vocab) pythonText(rng *rand.Rand, size int) []byte {
	var b bytes.Buffer
	b.Grow(size + 256)
	w := v.word
	var recent []string // lines real code repeats: imports, idioms
	for b.Len() < size {
		if len(recent) > 0 && rng.Intn(5) == 0 {
			b.WriteString(recent[rng.Intn(len(recent))])
			continue
		}
		start := b.Len()
		ind := strings.Repeat("    ", rng.Intn(4))
		switch r := rng.Intn(20); {
		case r == 0:
			fmt.Fprintf(&b, "\ndef %s(%s, %s=%d):\n", w(), w(), w(), rng.Intn(100))
		case r == 1:
			fmt.Fprintf(&b, "%s\"\"\"%s %s %s %s the %s.\n%s\"\"\"\n", ind, title(w()), w(), w(), w(), w(), ind)
		case r == 2:
			fmt.Fprintf(&b, "%s# %s %s %s %s\n", ind, w(), w(), w(), w())
		case r == 3:
			fmt.Fprintf(&b, "%sif %s.%s is not None:\n", ind, w(), w())
		case r == 4:
			fmt.Fprintf(&b, "%sreturn %s(%s)\n", ind, w(), w())
		case r == 5:
			fmt.Fprintf(&b, "%sfor %s in %s.%s():\n", ind, w(), w(), w())
		case r == 6:
			fmt.Fprintf(&b, "from .%s import %s, %s\n", w(), w(), w())
		case r < 12:
			fmt.Fprintf(&b, "%s%s = %s.%s(%s, %s=%s)\n", ind, w(), w(), w(), w(), w(), w())
		case r < 16:
			fmt.Fprintf(&b, "%s%s.%s[%d] = %s + %s * %d\n", ind, w(), w(), rng.Intn(64), w(), w(), rng.Intn(1000))
		default:
			fmt.Fprintf(&b, "%sraise %sError(\"%s %s %s: %%s\" %% %s)\n", ind, title(w()), w(), w(), w(), w())
		}
		if len(recent) < 64 {
			recent = append(recent, string(b.Bytes()[start:]))
		} else {
			recent[rng.Intn(64)] = string(b.Bytes()[start:])
		}
	}
	return b.Bytes()[:size]
}

// bytecode imitates marshalled code objects: opcode pairs, small integer
// arguments, length-prefixed names and constants.
func (v *vocab) bytecode(rng *rand.Rand, size int) []byte {
	b := make([]byte, 0, size+512)
	ops := []byte{100, 101, 116, 124, 125, 131, 83, 160, 161, 106, 107, 90, 97, 1, 2, 23}
	for len(b) < size {
		switch rng.Intn(6) {
		case 0, 1, 2:
			for i := 0; i < 8+rng.Intn(24); i++ {
				b = append(b, ops[rng.Intn(len(ops))], byte(rng.Intn(4)))
			}
		case 3, 4:
			s := v.word()
			b = append(b, 0xda, byte(len(s)))
			b = append(b, s...)
		default:
			b = append(b, 0xe9, byte(rng.Intn(64)), 0, 0, 0)
		}
	}
	return b[:size]
}

// sharedObject imitates an ELF shared object: machine code with a skewed
// opcode distribution, symbol strings, relocation tables and zero padding.
func (v *vocab) sharedObject(rng *rand.Rand, size int) []byte {
	b := make([]byte, 0, size+4096)
	ops := []byte{0x48, 0x89, 0x8b, 0xe8, 0x0f, 0x85, 0x84, 0xc3, 0x41, 0x4c, 0x83, 0xc4, 0x5d, 0x31, 0xc0}
	for len(b) < size {
		switch r := rng.Intn(10); {
		case r < 5: // code
			for i := 0; i < 256; i++ {
				if rng.Intn(12) == 0 {
					b = append(b, byte(rng.Intn(256)))
				} else {
					b = append(b, ops[rng.Intn(len(ops))])
				}
			}
		case r < 7: // symbol names
			for i := 0; i < 8; i++ {
				b = append(b, "_ZN"...)
				b = append(b, v.word()...)
				b = append(b, 0)
			}
		case r < 9: // relocations: increasing addresses
			base := rng.Uint32()
			for i := uint32(0); i < 16; i++ {
				a := base + i*8
				b = append(b, byte(a), byte(a>>8), byte(a>>16), byte(a>>24), 8, 0, 0, 0)
			}
		default: // alignment padding and zeroed data
			b = append(b, make([]byte, 64+rng.Intn(1024))...)
		}
	}
	return b[:size]
}

// window writes size bytes of pool p starting at off (wrapping around).
func (p *pools) window(pool uint8, off, size int64, write func([]byte) error) error {
	src := p[pool]
	off %= int64(len(src))
	for size > 0 {
		n := int64(len(src)) - off
		if n > size {
			n = size
		}
		if err := write(src[off : off+n]); err != nil {
			return err
		}
		size -= n
		off = 0
	}
	return nil
}
