package main

import (
	"context"
	"flag"
	"fmt"
	"runtime"
	"runtime/debug"
)

// version is set at link time: -ldflags "-X main.version=1.2.3".
var version = "dev"

func init() {
	register(&command{
		name:    "version",
		summary: "print the agent's version and build",
		run: func(_ context.Context, c *cli, _ *flag.FlagSet) error {
			rev := "unknown"
			if bi, ok := debug.ReadBuildInfo(); ok {
				for _, s := range bi.Settings {
					if s.Key == "vcs.revision" {
						rev = s.Value
					}
				}
			}
			fmt.Fprintf(c.stdout, "packline-agent %s (%s, %s/%s, %s)\n", version, rev, runtime.GOOS, runtime.GOARCH, runtime.Version())
			return nil
		},
	})
}
