package source

import (
	"fmt"
	"strings"
)

// listShown is how many names an error lists before it gives a count:
// an index of 20,000 platforms must not make an error of 800 KB.
const listShown = 8

// listSome joins the first listShown items with ", " and counts the rest
// ("a, b, c and 19997 more").
func listSome(items []string) string {
	if len(items) <= listShown {
		return strings.Join(items, ", ")
	}
	return fmt.Sprintf("%s and %d more", strings.Join(items[:listShown], ", "), len(items)-listShown)
}

// listNames lists the names of an archive's or a layout's images, then
// how many have none; none is what is said when there are neither.
func listNames(names []string, untagged int, none string) string {
	switch {
	case untagged == 0 && len(names) == 0:
		return none
	case untagged == 0:
		return listSome(names)
	case len(names) == 0:
		return fmt.Sprintf("%d untagged", untagged)
	}
	return fmt.Sprintf("%s, %d untagged", listSome(names), untagged)
}
