package remote_test

import (
	"fmt"

	"github.com/coxswain/coxswain/store/remote"
)

// A kubeconfig names every API server of a cluster: kubectl uses Server,
// and ParseKubeconfig reads the others back as Servers.
func ExampleWriteKubeconfig() {
	data, err := remote.WriteKubeconfig(remote.ClientConfig{
		Server:  "https://10.0.0.1:6443",
		Servers: []string{"https://10.0.0.2:6443", "https://10.0.0.3:6443"},
		Token:   "abcdef.0123456789abcdef",
	}, "coxswain")
	if err != nil {
		panic(err)
	}
	for _, context := range []string{"", "coxswain-3"} {
		cfg, err := remote.ParseKubeconfig(data, "", context)
		if err != nil {
			panic(err)
		}
		fmt.Println(cfg.Server, cfg.Servers)
	}
	// Output:
	// https://10.0.0.1:6443 [https://10.0.0.2:6443 https://10.0.0.3:6443]
	// https://10.0.0.3:6443 [https://10.0.0.1:6443 https://10.0.0.2:6443]
}
