// Command packline-agent is Packline's warehouse agent: the service that owns
// the store, the devices and the TikTok Shop connection, and its command line.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sort"
	"strings"
	"syscall"
)

// command is one verb of the command line. Each verb lives in its own file
// and registers itself in init.
type command struct {
	name    string
	args    string
	summary string
	// run executes the verb; fs holds its flags, already parsed.
	run   func(ctx context.Context, cli *cli, fs *flag.FlagSet) error
	flags func(fs *flag.FlagSet)
}

var commands = map[string]*command{}

func register(c *command) {
	if _, dup := commands[c.name]; dup {
		panic("packline-agent: command registered twice: " + c.name)
	}
	commands[c.name] = c
}

// cli carries the process's streams to a command.
type cli struct {
	stdout, stderr io.Writer
}

// errUsage marks an error already explained by the usage text.
var errUsage = errors.New("usage")

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := runMain(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

func runMain(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	c := &cli{stdout: stdout, stderr: stderr}
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
		usage(stderr)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	name, rest := args[0], args[1:]
	// Two-word verbs: "service install", "scale read".
	if len(rest) > 0 {
		if _, ok := commands[name+" "+rest[0]]; ok {
			name, rest = name+" "+rest[0], rest[1:]
		}
	}
	cmd, ok := commands[name]
	if !ok {
		fmt.Fprintf(stderr, "packline-agent: unknown command %q\n\n", strings.Join(args[:1], " "))
		usage(stderr)
		return 2
	}
	fs := flag.NewFlagSet("packline-agent "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintf(stderr, "usage: packline-agent %s %s\n\n%s\n", name, cmd.args, cmd.summary)
		fs.PrintDefaults()
	}
	if cmd.flags != nil {
		cmd.flags(fs)
	}
	if err := fs.Parse(rest); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if err := cmd.run(ctx, c, fs); err != nil {
		if errors.Is(err, errUsage) {
			fs.Usage()
			return 2
		}
		fmt.Fprintf(stderr, "packline-agent %s: %v\n", name, err)
		return exitCode(err)
	}
	return 0
}

// exitCode is the process exit code for a failed command: the code an error
// in its chain asks for (svc.ExitError), otherwise 1.
func exitCode(err error) int {
	var ec interface{ ExitCode() int }
	if errors.As(err, &ec) && ec.ExitCode() > 0 {
		return ec.ExitCode()
	}
	return 1
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "usage: packline-agent <command> [flags] [args]\n\ncommands:")
	names := make([]string, 0, len(commands))
	for n := range commands {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		c := commands[n]
		fmt.Fprintf(w, "  %-28s %s\n", strings.TrimSpace(n+" "+c.args), c.summary)
	}
}
