package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"regexp"
	"runtime"
	"runtime/debug"
	"slices"
	"strings"
	"syscall"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/browser-use/browseruse-go"
)

// exitError ends the command with code once the command has said why on
// stderr itself. Any other error from a command is a usage error: run prints
// it with a pointer to the help and exits 2.
type exitError struct{ code int }

func (e exitError) Error() string { return fmt.Sprintf("exit status %d", e.code) }

// pipeOut is stdout for what cobra prints (help, the version, completion
// scripts). A reader that has gone (| head) ends it quietly, as SIGPIPE
// would, not with an error cobra prints on stderr (write /dev/stdout:
// broken pipe, under a help longer than the pipe's buffer). Any other
// failure (a full disk) is kept for run to report once, with exit 5:
// cobra printed it bare and exited 0, and the version was not checked.
type pipeOut struct {
	w   io.Writer
	err error // the first write error but EPIPE
}

func (p *pipeOut) Write(b []byte) (int, error) {
	n, err := p.w.Write(b)
	if err == nil {
		return n, nil
	}
	if !errors.Is(err, syscall.EPIPE) && p.err == nil {
		p.err = err
	}
	return len(b), nil
}

// isWord tells a word of a help topic from a flag.
func isWord(arg string) bool { return !strings.HasPrefix(arg, "-") }

// helpArgs reports whether the words after a help topic's command are
// arguments it takes.
func helpArgs(cmd *cobra.Command, rest []string) bool {
	words := slices.DeleteFunc(slices.Clone(rest), func(a string) bool { return !isWord(a) })
	if len(words) == 0 {
		return true
	}
	// cobra's help command takes any words (help help x printed its own
	// help): as a topic, none.
	help := cmd.Name() == "help" && cmd.Parent() == cmd.Root()
	return !help && !cmd.HasSubCommands() && cmd.ValidateArgs(words) == nil
}

func (c *cli) run(ctx context.Context, args []string) int {
	root := c.rootCommand()
	if len(args) == 0 {
		// Asked for nothing: the help, on stderr since it is not a result.
		root.SetOut(c.stderr)
		root.InitDefaultHelpCmd() // cobra adds these when it executes; list them here too
		root.InitDefaultHelpFlag()
		_ = root.Help()
		return exitUsage
	}
	if args[0] == cobra.ShellCompRequestCmd {
		plainUsage(root)
	}
	if len(args) > 1 && args[0] == "help" {
		// cobra prints an unknown topic as typed, on stdout, and exits 0:
		// a usage error here, where the key pasted into it is redacted
		// (before quoting, which would change its spelling).
		root.InitDefaultHelpCmd() // help help
		// Find stops at the last word it knows and hands back the rest: an
		// unknown topic when that word names a group of commands (help
		// skills junk) or a command that takes no such arguments (help
		// version junk), its arguments otherwise (help completion bash).
		if cmd, rest, err := root.Find(args[1:]); err != nil || !helpArgs(cmd, rest) {
			fmt.Fprintf(c.stderr, "browseruse: unknown help topic %q\n", c.withoutKey(strings.Join(args[1:], " ")))
			fmt.Fprintln(c.stderr, "Run 'browseruse help' for the commands.")
			return exitUsage
		}
	}
	out := &pipeOut{w: c.stdout}
	root.SetOut(out)
	root.SetArgs(legacyLongFlags(args))
	cmd, err := root.ExecuteContextC(ctx)
	var exit exitError
	switch {
	case err == nil && out.err != nil:
		fmt.Fprintln(c.stderr, "browseruse: writing to stdout:", out.err)
		return exitWrite
	case err == nil:
		return exitOK
	case errors.As(err, &exit):
		return exit.code
	}
	msg := strings.TrimRight(errText(err), "\n")
	shown := c.withoutKey(msg)
	fmt.Fprintln(c.stderr, "browseruse: "+shown)
	if shown != msg {
		fmt.Fprintln(c.stderr, "(an argument held an API key: it is shown as [redacted])")
	}
	fmt.Fprintf(c.stderr, "Run '%s --help' for usage.\n", cmd.CommandPath())
	return exitUsage
}

// keyLike is what a Browser Use API key looks like: a new key pasted
// before it is exported differs from BROWSER_USE_API_KEY.
var keyLike = regexp.MustCompile(`bu_[A-Za-z0-9_-]{8,}`)

// withoutKey takes API keys out of a usage error: one pasted into the
// wrong argument (the skill id, -p, --timeout) is quoted back as it was
// typed.
func (c *cli) withoutKey(s string) string {
	if key := c.redactedKey(); key != "" {
		s = browseruse.RedactKey(s, key) // escaped spellings too
	}
	return keyLike.ReplaceAllString(s, "[redacted]")
}

// redactedKey is BROWSER_USE_API_KEY, if long enough to be taken out of
// what the command prints: a shorter one would blank out words, and no key
// is that short.
func (c *cli) redactedKey() string {
	if key := c.getenv("BROWSER_USE_API_KEY"); len(key) >= 8 {
		return key
	}
	return ""
}

// exitCode is the exit status for what a command returned.
func exitCode(err error) int {
	var exit exitError
	switch {
	case err == nil:
		return exitOK
	case errors.As(err, &exit):
		return exit.code
	}
	return exitUsage
}

func (c *cli) rootCommand() *cobra.Command {
	root := &cobra.Command{
		Use:   "browseruse",
		Short: "browseruse runs Browser Use skills from the command line.",
		Long: `browseruse runs Browser Use skills from the command line.

Environment:
  BROWSER_USE_API_KEY    the API key (not needed with --fake)
  BROWSER_USE_BASE_URL   the API base URL (default ` + defaultBaseURL + `)
  BROWSER_USE_CACHE_DIR  where a batch remembers the account's plan for the next
                         (default: the user's cache directory, browseruse/)`,
		Version:       commandVersion(debug.ReadBuildInfo),
		SilenceErrors: true, // run prints them, with the exit code's context
		SilenceUsage:  true,
		// Completion scripts are offered through the completion command below,
		// which names its shells and rejects the others as usage errors.
		CompletionOptions: cobra.CompletionOptions{DisableDefaultCmd: true},
	}
	root.SetIn(c.stdin)
	root.SetOut(c.stdout)
	root.SetErr(c.stderr)
	// No -v shorthand: in skills execute, -v is --verbose.
	root.Flags().Bool("version", false, "print the command's and Go's versions")
	root.SetVersionTemplate("{{.Version}}\n")
	// The help of the commands that run skills ends with the exit codes,
	// which scripts branch on; version and completion keep cobra's own.
	plain := root.HelpTemplate()
	root.SetHelpTemplate(plain + exitCodesText)

	skills := &cobra.Command{
		Use:   "skills",
		Short: "Run skills",
		// Runnable only to reject what is not a subcommand as a usage error;
		// cobra would print the help and exit 0.
		RunE: func(cmd *cobra.Command, args []string) error {
			switch {
			case len(args) == 0:
				return errors.New("'browseruse skills' needs a subcommand: execute")
			case args[0] == "help":
				return cmd.Help()
			}
			return fmt.Errorf("unknown subcommand 'skills %s'; the subcommand is 'skills execute'", args[0])
		},
	}
	skills.AddCommand(c.executeCommand())
	version, completion := versionCommand(), completionCommand()
	version.SetHelpTemplate(plain)
	completion.SetHelpTemplate(plain)
	root.AddCommand(skills, version, completion)
	return root
}

func versionCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print the command's and Go's versions",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			fmt.Fprintln(cmd.OutOrStdout(), cmd.Root().Version)
			return nil
		},
	}
}

// commandVersion is what version and --version print: the module version
// the build recorded (a tag for go install ...@v1.2.3, a pseudo-version for
// a build from a checkout that Go stamped from git), else "devel" with the
// revision and whether the tree was modified when the build recorded them,
// and the Go release that built it, which decides the TLS and HTTP/2 code
// in use.
func commandVersion(read func() (*debug.BuildInfo, bool)) string {
	v, goVersion := "devel", runtime.Version()
	if bi, ok := read(); ok {
		if m := bi.Main.Version; m != "" && m != "(devel)" {
			v = m
		}
		var rev, modified string
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				rev = s.Value[:min(len(s.Value), 12)]
			case "vcs.modified":
				if s.Value == "true" {
					modified = ", modified"
				}
			}
		}
		if v == "devel" && rev != "" {
			v += " (" + rev + modified + ")"
		}
		if bi.GoVersion != "" {
			goVersion = bi.GoVersion
		}
	}
	return fmt.Sprintf("browseruse %s\n%s %s/%s", v, goVersion, runtime.GOOS, runtime.GOARCH)
}

var completionShells = []string{"bash", "zsh", "fish", "powershell"}

func completionCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "completion SHELL",
		Short: "Print a completion script for bash, zsh, fish or powershell",
		Long: `Prints a script that completes browseruse's commands and flags in SHELL:
bash, zsh, fish or powershell. For the current session:

  source <(browseruse completion bash)
  source <(browseruse completion zsh)
  browseruse completion fish | source
  browseruse completion powershell | Out-String | Invoke-Expression

To load it in every session, write it where your shell reads completions,
for example: browseruse completion bash > /etc/bash_completion.d/browseruse

The bash script needs the bash-completion package (version 2), which
most Linux distributions install with bash; on macOS:
brew install bash-completion@2, then follow its instructions.`,
		ValidArgs: completionShells,
		Args: func(cmd *cobra.Command, args []string) error {
			// cobra's own messages name neither the shells nor what was missing.
			if len(args) != 1 || !slices.Contains(completionShells, args[0]) {
				return fmt.Errorf("completion takes one shell, one of: %s", strings.Join(completionShells, ", "))
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			root, out := cmd.Root(), cmd.OutOrStdout()
			var err error
			switch args[0] {
			case "bash":
				err = root.GenBashCompletionV2(out, true)
			case "zsh":
				err = root.GenZshCompletion(out)
			case "fish":
				err = root.GenFishCompletion(out, true)
			case "powershell":
				err = root.GenPowerShellCompletionWithDesc(out)
			}
			if err != nil {
				fmt.Fprintln(cmd.ErrOrStderr(), "browseruse: writing the completion script:", err)
				return exitError{exitWrite}
			}
			return nil
		},
	}
}

// plainUsage drops the backticks that name a flag's value in its usage
// (`FILE`) from every flag of every command. pflag takes them out of the
// help itself, but the completion scripts show descriptions as given, and
// they ask the command for them through cobra's __complete.
func plainUsage(cmd *cobra.Command) {
	drop := func(f *pflag.Flag) { f.Usage = strings.ReplaceAll(f.Usage, "`", "") }
	cmd.Flags().VisitAll(drop)
	cmd.PersistentFlags().VisitAll(drop)
	for _, sub := range cmd.Commands() {
		plainUsage(sub)
	}
}

// legacyLongFlags rewrites -name to --name for the long flags the command
// had before it moved to cobra: it parsed them with package flag, which
// accepts one dash as well as two, and scripts may have written -json or
// -fake. pflag would read -json as -j -s -o -n.
func legacyLongFlags(args []string) []string {
	out := make([]string, 0, len(args))
	takesValue := false // the previous argument was a flag whose value is this one
	for i, a := range args {
		if a == "--" {
			return append(out, args[i:]...)
		}
		if takesValue {
			out, takesValue = append(out, a), false
			continue
		}
		name, _, inline := strings.Cut(strings.TrimLeft(a, "-"), "=")
		value, known := legacyFlags[name]
		if known && len(name) > 1 && strings.HasPrefix(a, "-") && !strings.HasPrefix(a, "--") {
			a = "-" + a
		}
		takesValue = known && value && !inline && strings.HasPrefix(a, "-")
		out = append(out, a)
	}
	return out
}

// legacyFlags maps the flags of the command before cobra to whether they
// take a value.
var legacyFlags = map[string]bool{
	"p": true, "param": true, "params-json": true, "session": true, "base-url": true, "timeout": true,
	"json": false, "fake": false, "v": false, "verbose": false, "help": false, "h": false,
}
