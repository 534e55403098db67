//go:build race

package labels

// raceEnabled scales the generated corpora down under the race detector,
// which makes each comparison about ten times slower.
const raceEnabled = true
