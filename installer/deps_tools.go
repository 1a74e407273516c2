//go:build tools

// Package installer pins module dependencies during bootstrap.
package installer

import (
	_ "fyne.io/fyne/v2"
	_ "fyne.io/fyne/v2/app"
	_ "fyne.io/fyne/v2/test"
	_ "fyne.io/fyne/v2/widget"
	_ "github.com/BurntSushi/toml"
	_ "github.com/boombuler/barcode/code128"
	_ "github.com/creack/pty"
	_ "github.com/go-pdf/fpdf"
	_ "github.com/google/go-cmp/cmp"
	_ "github.com/google/uuid"
	_ "github.com/gorilla/websocket"
	_ "github.com/kardianos/service"
	_ "github.com/klippa-app/go-pdfium/webassembly"
	_ "github.com/makiuchi-d/gozxing/oned"
	_ "github.com/prometheus/client_golang/prometheus"
	_ "github.com/prometheus/client_golang/prometheus/promhttp"
	_ "github.com/tarm/serial"
	_ "go.etcd.io/bbolt"
	_ "golang.org/x/sync/errgroup"
	_ "golang.org/x/sys/windows"
	_ "gopkg.in/natefinch/lumberjack.v2"
)
