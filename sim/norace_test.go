//go:build !race

package sim_test

// raceEnabled is true when the race detector is on.
const raceEnabled = false
