// Command testbin is the one program of the containerd driver's test images:
// a static multi-call binary whose first argument picks the behaviour.
//
//	sleep              run until SIGTERM (exit 143) or SIGINT (exit 130)
//	ignoreterm         ignore SIGTERM, print "ready", run until killed
//	print TEXT         print TEXT and a newline, exit 0
//	cat                copy stdin to stdout, exit 0
//	printenv NAME      print $NAME and a newline, exit 0
//	exit N             exit with code N
//	listen PORT [IP]   accept TCP connections on IP:PORT (default $POD_IP),
//	                   answering each with "hello from $HOSTNAME\n"
//	dial ADDR          connect to ADDR, copy what it sends to stdout, exit 0
//	alloc MIB          allocate and touch MIB mebibytes, then sleep
//	exists PATH        exit 0 if PATH exists, else print why and exit 1
//	readfile PATH      print the contents of PATH, exit 0
//	http PORT PATH     serve HTTP on PORT (all addresses): 200 while PATH
//	                   exists, 503 otherwise; run until SIGTERM
package main

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strconv"
	"syscall"
	"time"
)

// terms receives SIGTERM and SIGINT from the first moment: as a container's
// PID 1 a Go program without a handler cannot die of SIGTERM (the kernel
// ignores it) and the runtime exits 2 instead, so the handler is installed
// during package initialisation, before main.
var terms = func() chan os.Signal {
	c := make(chan os.Signal, 1)
	signal.Notify(c, syscall.SIGTERM, syscall.SIGINT)
	return c
}()

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: testbin sleep|ignoreterm|print|cat|printenv|exit|listen|dial|alloc|exists|readfile|http ...")
		os.Exit(2)
	}
	arg := func(i int) string {
		if len(os.Args) <= i {
			fmt.Fprintf(os.Stderr, "testbin %s: missing argument %d\n", os.Args[1], i-1)
			os.Exit(2)
		}
		return os.Args[i]
	}
	switch os.Args[1] {
	case "sleep":
		waitTerm()
	case "ignoreterm":
		signal.Ignore(syscall.SIGTERM)
		signal.Stop(terms)
		fmt.Println("ready")
		forever()
	case "print":
		fmt.Println(arg(2))
	case "cat":
		_, _ = io.Copy(os.Stdout, os.Stdin)
	case "printenv":
		fmt.Println(os.Getenv(arg(2)))
	case "exit":
		n, err := strconv.Atoi(arg(2))
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(2)
		}
		os.Exit(n)
	case "listen":
		ip := os.Getenv("POD_IP")
		if len(os.Args) > 3 {
			ip = os.Args[3]
		}
		ln, err := net.Listen("tcp", net.JoinHostPort(ip, arg(2)))
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		host, _ := os.Hostname()
		go func() {
			for {
				c, err := ln.Accept()
				if err != nil {
					return
				}
				fmt.Fprintf(c, "hello from %s\n", host)
				c.Close()
			}
		}()
		waitTerm()
	case "dial":
		var c net.Conn
		var err error
		for i := 0; i < 100; i++ {
			if c, err = net.DialTimeout("tcp", arg(2), time.Second); err == nil {
				break
			}
			time.Sleep(50 * time.Millisecond)
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		_, _ = io.Copy(os.Stdout, c)
	case "alloc":
		n, err := strconv.Atoi(arg(2))
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(2)
		}
		var keep [][]byte
		for i := 0; i < n; i++ {
			b := make([]byte, 1<<20)
			for j := range b {
				b[j] = byte(j)
			}
			keep = append(keep, b)
		}
		fmt.Println("allocated", len(keep))
		waitTerm()
	case "exists":
		if _, err := os.Stat(arg(2)); err != nil {
			fmt.Println(err)
			os.Exit(1)
		}
	case "readfile":
		b, err := os.ReadFile(arg(2))
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		_, _ = os.Stdout.Write(b)
	case "http":
		ln, err := net.Listen("tcp", ":"+arg(2))
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		path := arg(3)
		go func() {
			_ = http.Serve(ln, http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
				if _, err := os.Stat(path); err != nil {
					http.Error(w, err.Error(), http.StatusServiceUnavailable)
					return
				}
				fmt.Fprintln(w, "ok")
			}))
		}()
		waitTerm()
	default:
		fmt.Fprintf(os.Stderr, "testbin: unknown behaviour %q\n", os.Args[1])
		os.Exit(2)
	}
}

// forever blocks until the process is killed. A sleeping goroutine keeps
// the runtime from declaring a deadlock.
func forever() {
	for {
		time.Sleep(time.Hour)
	}
}

// waitTerm blocks until SIGTERM or SIGINT and exits as a shell would.
func waitTerm() {
	go forever()
	if s := <-terms; s == syscall.SIGINT {
		os.Exit(130)
	}
	os.Exit(143)
}
