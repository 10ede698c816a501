package main

import (
	"context"
	"strings"
	"time"

	"github.com/slimpy/slimpy/internal/inspect/rules"
	"github.com/slimpy/slimpy/internal/inspect/source"
	"github.com/slimpy/slimpy/internal/suggest"
	"github.com/spf13/cobra"
)

// completionEngineTimeout bounds the wait on the local Docker engine when
// a shell completes an image: a completion that hangs is worse than none.
const completionEngineTimeout = 2 * time.Second

// platforms are the platforms images commonly carry, for --platform.
var platforms = []string{"linux/amd64", "linux/arm64", "linux/arm64/v8", "linux/arm/v7", "linux/arm/v6", "linux/386", "linux/ppc64le", "linux/s390x", "linux/riscv64"}

// formats are the --format values of the commands that take more than
// text and json, by command path.
var formats = map[string][]string{
	"slimpy scan":       {"text\tfor a person", "json\tfor tools and scan merge", "markdown\tfor a summary or a wiki"},
	"slimpy scan merge": {"text\tfor a person", "json\tfor tools", "markdown\tfor a summary or a wiki"},
}

// addCompletion teaches the shell completion (cobra's completion command)
// slimpy's flag values and image arguments, for every command and
// subcommand; a command that completes its arguments itself keeps its own.
func addCompletion(root *cobra.Command) {
	for _, c := range allCommands(root) {
		fixed := map[string][]string{
			"format":           {"text\tfor a person", "json\tfor tools"},
			"platform":         platforms,
			"color":            {"auto", "always", "never"},
			"fail-on-severity": {"high", "medium", "low", "info", "off\tno severity check, not even the default policy's"},
			"report":           {"markdown=", "json=", "junit="},
		}
		if f, ok := formats[c.CommandPath()]; ok {
			fixed["format"] = f
		}
		for flag, values := range fixed {
			if c.Flags().Lookup(flag) != nil {
				c.RegisterFlagCompletionFunc(flag, completeValues(values))
			}
		}
		if c.Flags().Lookup("accept") != nil {
			c.RegisterFlagCompletionFunc("accept", completeList(suggestionIDs()))
		}
		if c.Flags().Lookup("fail-on-rule") != nil {
			c.RegisterFlagCompletionFunc("fail-on-rule", completeList(ruleIDs()))
		}
		if c.Flags().Lookup("baseline-image") != nil {
			c.RegisterFlagCompletionFunc("baseline-image", func(c *cobra.Command, _ []string, _ string) ([]string, cobra.ShellCompDirective) {
				return localImages(c.Context()), cobra.ShellCompDirectiveDefault
			})
		}
		if c.Args != nil && c.ValidArgsFunction == nil {
			c.ValidArgsFunction = func(c *cobra.Command, args []string, _ string) ([]string, cobra.ShellCompDirective) {
				if len(args) > 0 {
					return nil, cobra.ShellCompDirectiveNoFileComp
				}
				// The engine's images; files too (an archive, a layout).
				return localImages(c.Context()), cobra.ShellCompDirectiveDefault
			}
		}
	}
}

// completeValues completes a flag with fixed values; one ending in "="
// (--report FORMAT=) takes no space after it, and what follows the "=" is
// a file.
func completeValues(values []string) cobra.CompletionFunc {
	return func(_ *cobra.Command, _ []string, toComplete string) ([]string, cobra.ShellCompDirective) {
		if strings.Contains(toComplete, "=") {
			return nil, cobra.ShellCompDirectiveDefault
		}
		for _, v := range values {
			if strings.HasSuffix(v, "=") {
				return values, cobra.ShellCompDirectiveNoSpace | cobra.ShellCompDirectiveNoFileComp
			}
		}
		return values, cobra.ShellCompDirectiveNoFileComp
	}
}

// completeList completes a comma-separated list (--accept SG101,SG2…):
// the items not yet given, after the ones that are.
func completeList(items []string) cobra.CompletionFunc {
	return func(_ *cobra.Command, _ []string, toComplete string) ([]string, cobra.ShellCompDirective) {
		done := ""
		if i := strings.LastIndex(toComplete, ","); i >= 0 {
			done = toComplete[:i+1]
		}
		given := map[string]bool{}
		for _, g := range strings.Split(done, ",") {
			given[strings.ToUpper(g)] = true
		}
		var out []string
		for _, it := range items {
			id, _, _ := strings.Cut(it, "\t")
			if !given[id] && strings.HasPrefix(strings.ToUpper(done+id), strings.ToUpper(toComplete)) {
				out = append(out, done+it)
			}
		}
		return out, cobra.ShellCompDirectiveNoFileComp | cobra.ShellCompDirectiveNoSpace
	}
}

// suggestionIDs are the suggestion kinds, "SG101\tapt-no-install-recommends".
func suggestionIDs() []string {
	var out []string
	for _, k := range suggest.Kinds() {
		out = append(out, k.ID+"\t"+k.Name)
	}
	return out
}

// ruleIDs are the rules, "SP201\tbuild-toolchain".
func ruleIDs() []string {
	var out []string
	for _, r := range rules.Rules {
		out = append(out, r.ID+"\t"+r.Name)
	}
	return out
}

// localImages are the local engine's NAME:TAG images (a bare NAME:TAG
// reads the engine first); none when no engine answers in time.
func localImages(ctx context.Context) []string {
	if ctx == nil {
		ctx = context.Background()
	}
	ctx, cancel := context.WithTimeout(ctx, completionEngineTimeout)
	defer cancel()
	names, err := source.LocalImages(ctx)
	if err != nil {
		return nil
	}
	return names
}

// allCommands are root's commands and their subcommands, depth first.
func allCommands(root *cobra.Command) []*cobra.Command {
	var out []*cobra.Command
	for _, c := range root.Commands() {
		out = append(out, c)
		out = append(out, allCommands(c)...)
	}
	return out
}
