package source

// Metadata is read whole, so it is bounded before it is read: the limits
// containers/image and the distribution registry use (containerd's is
// 4 MiB too; go-containerregistry's remote package allows 100 MiB).
const (
	// maxManifestBytes bounds a manifest, an index, an OCI layout's
	// index.json and a docker save archive's manifest.json.
	maxManifestBytes = 4 << 20
	// maxTagPageBytes bounds one page of a registry's tag list: the most
	// tags scan --all-tags reads (fleet.DefaultMaxTags, 100,000) of the
	// longest name a tag may have (128 characters), quoted.
	maxTagPageBytes = 16 << 20
	// maxConfigBytes bounds an image config.
	maxConfigBytes = 4 << 20
	// maxHistory bounds the history entries of a config: 4 MiB of "{},"
	// would be 1.4 million of them, ~110 MB once parsed. Real images have
	// a few dozen (one per Dockerfile instruction).
	maxHistory = 10_000
	// maxArchiveMembers bounds the members of a docker save or OCI archive
	// whose names are remembered while it is scanned (real ones hold a
	// few per layer).
	maxArchiveMembers = 100_000
)
