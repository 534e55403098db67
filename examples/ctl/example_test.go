package main

import (
	"fmt"

	"github.com/coxswain/coxswain/types"
)

// Kinds are named on the command line as kubectl names them, and objects in
// messages as kubectl prints them.
func Example_resolveKind() {
	s := types.NewScheme()
	for _, name := range []string{"deploy", "po", "svc", "deployments.apps"} {
		k, _ := resolveKind(s, name)
		fmt.Println(name, "→", qualified(k, "web"))
	}
	// Output:
	// deploy → deployment.apps/web
	// po → pod/web
	// svc → service/web
	// deployments.apps → deployment.apps/web
}
