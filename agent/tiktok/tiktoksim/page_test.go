package tiktoksim

import (
	"fmt"
	"math/rand/v2"
	"sort"
	"testing"
)

func TestPageOfWalksEveryRowOnceInOrder(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	var rows []row
	for i := range 523 {
		rows = append(rows, row{key: int64(rng.IntN(20)), id: fmt.Sprintf("%05d", rng.IntN(100000)*1000+i), idx: i})
	}
	for _, desc := range []bool{false, true} {
		want := append([]row(nil), rows...)
		sort.Slice(want, func(i, j int) bool {
			a, b := want[i], want[j]
			if a.key != b.key {
				return (a.key < b.key) != desc
			}
			return (a.id < b.id) != desc
		})
		for _, size := range []int{1, 10, 100, 600} {
			var got []row
			p := pageParams{size: size, desc: desc}
			for {
				page, next, aerr := pageOf(append([]row(nil), rows...), p, 42)
				if aerr != nil {
					t.Fatal(aerr.msg)
				}
				got = append(got, page...)
				if next == "" {
					break
				}
				if len(got) > len(rows) {
					t.Fatalf("desc=%v size=%d: more rows than exist", desc, size)
				}
				p.token = next
			}
			if len(got) != len(want) {
				t.Fatalf("desc=%v size=%d: %d rows, want %d", desc, size, len(got), len(want))
			}
			for i := range got {
				if got[i] != want[i] {
					t.Fatalf("desc=%v size=%d: row %d is %+v, want %+v", desc, size, i, got[i], want[i])
				}
			}
		}
	}
}
