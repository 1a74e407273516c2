//go:build race

package tiktoksim

// raceEnabled is true under the race detector, which makes the PDFium
// WebAssembly runtime too slow for the package's time budget.
const raceEnabled = true
