package master

import (
	_ "embed"
	"net/http"
	"strings"
)

//go:embed ui.html
var uiPage string

// uiHandler serves the web view: one page whose script lists and watches
// the cluster through the read-only API next to it.
func uiHandler(name string) http.Handler {
	page := strings.ReplaceAll(uiPage, "{{MASTER}}", name)
	return http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Header().Set("Cache-Control", "no-store")
		_, _ = w.Write([]byte(page))
	})
}
