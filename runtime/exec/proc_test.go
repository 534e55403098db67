package exec

import (
	"os"
	"strconv"
	"testing"
)

func TestParseStat(t *testing.T) {
	for _, tc := range []struct {
		name, in string
		want     procStat
		err      bool
	}{
		{"plain", "42 (sleep) S 1 42 42 0 -1 4194560 100 0 0 0 7 3 0 0 20 0 1 0 12345 2000000 250 18446744073709551615",
			procStat{state: 'S', pgrp: 42, utime: 7, stime: 3, startTicks: 12345, rssPages: 250}, false},
		{"name with spaces and parentheses", "7 (a (b) c) R 1 9 9 0 -1 0 0 0 0 0 1 2 0 0 20 0 1 0 99 0 5 0",
			procStat{state: 'R', pgrp: 9, utime: 1, stime: 2, startTicks: 99, rssPages: 5}, false},
		{"too short", "1 (x) S 1 1", procStat{}, true},
		{"no name", "1 x S", procStat{}, true},
		{"bad number", "1 (x) S 1 1 1 0 -1 0 0 0 0 0 u 2 0 0 20 0 1 0 99 0 5 0", procStat{}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := parseStat([]byte(tc.in))
			if (err != nil) != tc.err || got != tc.want {
				t.Errorf("parseStat = %+v, %v; want %+v, error %v", got, err, tc.want, tc.err)
			}
		})
	}
	self, err := readStat(os.Getpid())
	if err != nil || self.state != 'R' && self.state != 'S' {
		t.Errorf("reading our own stat: %+v, %v", self, err)
	}
}

func FuzzParseStat(f *testing.F) {
	f.Add([]byte("42 (sleep) S 1 42 42 0 -1 4194560 100 0 0 0 7 3 0 0 20 0 1 0 12345 2000000 250 18446744073709551615"))
	f.Add([]byte("7 (a (b) c) R 1 9 9 0 -1 0 0 0 0 0 1 2 0 0 20 0 1 0 99 0 5 0"))
	if b, err := os.ReadFile("/proc/" + strconv.Itoa(os.Getpid()) + "/stat"); err == nil {
		f.Add(b)
	}
	f.Add([]byte(")"))
	f.Fuzz(func(t *testing.T, b []byte) {
		s, err := parseStat(b)
		if err != nil && s != (procStat{}) {
			t.Fatalf("parseStat returned %+v with error %v", s, err)
		}
	})
}
