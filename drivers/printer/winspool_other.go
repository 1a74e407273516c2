//go:build !windows

package printer

import "fmt"

func newWinspool(name, datatype string) (transport, error) {
	return nil, fmt.Errorf("printer %q: the winspool transport exists only on Windows: use zpl+cups://QUEUE or zpl+tcp://HOST:9100 here", name)
}
