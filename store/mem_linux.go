package store

import (
	bolt "go.etcd.io/bbolt"
	"golang.org/x/sys/unix"
)

// releaseMapped tells the kernel the process no longer needs the pages of
// the file mapping that the startup check read. They stay in the page cache
// and fault back in on use, but no longer count in the agent's resident set.
func releaseMapped(b *bolt.DB, size int64) {
	data := b.Info().Data
	if data == 0 || size <= 0 {
		return
	}
	_, _, _ = unix.Syscall(unix.SYS_MADVISE, data, uintptr(size), unix.MADV_DONTNEED)
}
