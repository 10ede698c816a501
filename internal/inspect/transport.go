package inspect

import (
	"context"
	"errors"
)

// TODO(transports): placeholder until the transport work lands.
func open(ctx context.Context, ref string, opts OpenOptions) (*Source, error) {
	return nil, errors.New("not implemented")
}
