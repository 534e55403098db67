package scheduler_test

import "fmt"

func nodeName(i int) string { return fmt.Sprintf("n%04d", i) }

// fmtSscan reads the leading count of a histogram entry.
func fmtSscan(s string, n *int) (int, error) { return fmt.Sscan(s, n) }
