package source

import (
	"context"
	"sort"

	"github.com/moby/moby/client"
)

// LocalImages lists the tagged images of the local Docker engine (the one
// docker-daemon: references read: DOCKER_HOST, else the docker CLI's
// context), as NAME:TAG, sorted; for shell completion, which must answer
// fast: ctx bounds the wait.
func LocalImages(ctx context.Context) ([]string, error) {
	cli, _, err := dockerClient()
	if err != nil {
		return nil, err
	}
	defer cli.Close()
	res, err := cli.ImageList(ctx, client.ImageListOptions{})
	if err != nil {
		return nil, err
	}
	var names []string
	for _, im := range res.Items {
		for _, t := range im.RepoTags {
			if t != "<none>:<none>" {
				names = append(names, t)
			}
		}
	}
	sort.Strings(names)
	return names, nil
}
