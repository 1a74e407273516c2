//go:build !windows

package installer

func secureDataDir(string, []string) error { return nil }
