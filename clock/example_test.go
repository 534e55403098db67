package clock_test

import (
	"fmt"
	"time"

	"github.com/coxswain/coxswain/clock"
)

func ExampleFake() {
	c := clock.NewFake(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	t := c.NewTimer(30 * time.Second)
	c.Advance(time.Minute)
	fmt.Println((<-t.C()).Format(time.TimeOnly))
	// Output: 00:00:30
}
