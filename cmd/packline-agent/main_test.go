package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

func TestVersionAndUnknownCommand(t *testing.T) {
	var out, errb bytes.Buffer
	if code := runMain(context.Background(), []string{"version"}, &out, &errb); code != 0 || !strings.HasPrefix(out.String(), "packline-agent ") {
		t.Errorf("version: code %d, out %q, err %q", code, out.String(), errb.String())
	}
	out.Reset()
	errb.Reset()
	if code := runMain(context.Background(), []string{"fly"}, &out, &errb); code != 2 || !strings.Contains(errb.String(), `unknown command "fly"`) {
		t.Errorf("unknown: code %d, err %q", code, errb.String())
	}
}
