// Command kubectl is the unchanged upstream kubectl (k8s.io/kubectl), built
// here so the compatibility tests can run it against a Coxswain master.
package main

import (
	"os"

	"k8s.io/kubectl/pkg/cmd"
)

func main() {
	if err := cmd.NewDefaultKubectlCommand().Execute(); err != nil {
		os.Exit(1)
	}
}
