//go:build !race

package tiktoksim

const raceEnabled = false
