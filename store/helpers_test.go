package store

import (
	"encoding/json"
	"syscall"
)

func jsonMarshal(v any) ([]byte, error) { return json.Marshal(v) }

func errNoSpace() error { return syscall.ENOSPC }
