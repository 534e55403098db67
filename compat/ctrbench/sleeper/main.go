// Command sleeper runs until SIGTERM or SIGINT: the process of the
// benchmark's containers.
package main

import (
	"os"
	"os/signal"
	"syscall"
	"time"
)

func main() {
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGTERM, syscall.SIGINT)
	go func() {
		for {
			time.Sleep(time.Hour)
		}
	}()
	<-sigs
}
