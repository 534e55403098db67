// Command server is a tiny HTTP server for the agent's exec driver test: it
// listens on $POD_IP:$PORT and answers /healthz with "ok".
package main

import (
	"net"
	"net/http"
	"os"
)

func main() {
	mux := http.NewServeMux()
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write([]byte("ok")) })
	_ = http.ListenAndServe(net.JoinHostPort(os.Getenv("POD_IP"), os.Getenv("PORT")), mux)
}
