package store

import (
	"encoding/json"
	"os"
	"syscall"
)

func jsonMarshal(v any) ([]byte, error) { return json.Marshal(v) }

func errNoSpace() error { return syscall.ENOSPC }

func readAt(path string, p []byte, off int64) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	_, err = f.ReadAt(p, off)
	return err
}
