package master

import (
	"fmt"
	"os"

	"go.yaml.in/yaml/v3"

	"github.com/coxswain/coxswain/store/remote"
)

// WriteKubeconfig returns cc as a kubeconfig naming every API server of the
// cluster: cc.Server is the current context's cluster "name", and each of
// cc.Servers another cluster entry "name-2", "name-3", ... with the same CA
// and user. kubectl uses the current context; LoadKubeconfig also collects
// the other servers, so a client fails over between masters.
func WriteKubeconfig(cc remote.ClientConfig, name string) ([]byte, error) {
	servers := cc.Servers
	cc.Servers = nil
	b, err := remote.WriteKubeconfig(cc, name)
	if err != nil || len(servers) == 0 {
		return b, err
	}
	var kc remote.Kubeconfig
	if err := yaml.Unmarshal(b, &kc); err != nil {
		return nil, err
	}
	if len(kc.Clusters) != 1 || len(kc.Contexts) != 1 {
		return nil, fmt.Errorf("kubeconfig: want one cluster and one context, got %d and %d", len(kc.Clusters), len(kc.Contexts))
	}
	for i, s := range servers {
		n := fmt.Sprintf("%s-%d", kc.Clusters[0].Name, i+2)
		c := kc.Clusters[0]
		c.Name, c.Cluster.Server = n, s
		kc.Clusters = append(kc.Clusters, c)
		x := kc.Contexts[0]
		x.Name, x.Context.Cluster = n, n
		kc.Contexts = append(kc.Contexts, x)
	}
	return yaml.Marshal(kc)
}

// LoadKubeconfig reads a kubeconfig as remote.LoadClientConfig does, and adds
// to Servers the server of every other cluster entry with the same CA (the
// other masters, as WriteKubeconfig records them).
func LoadKubeconfig(path string) (remote.ClientConfig, error) {
	cc, err := remote.LoadClientConfig(path)
	if err != nil {
		return cc, err
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return cc, err
	}
	var kc remote.Kubeconfig
	if err := yaml.Unmarshal(b, &kc); err != nil {
		return cc, nil // LoadClientConfig read it; keep its answer
	}
	var cur string
	for _, x := range kc.Contexts {
		if x.Name == kc.CurrentContext {
			cur = x.Context.Cluster
		}
	}
	var ca string
	for _, c := range kc.Clusters {
		if c.Name == cur {
			ca = c.Cluster.CertificateAuthorityData
		}
	}
	for _, c := range kc.Clusters {
		if c.Name != cur && c.Cluster.Server != cc.Server && c.Cluster.CertificateAuthorityData == ca && ca != "" {
			cc.Servers = append(cc.Servers, c.Cluster.Server)
		}
	}
	return cc, nil
}
