package remote

import (
	"encoding/base64"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"slices"

	"go.yaml.in/yaml/v3"
)

// Kubeconfig is kubectl's client configuration file (clientcmd's Config,
// apiVersion v1, kind Config), the subset that names servers, CAs,
// certificates and tokens. kubectl reads the files WriteKubeconfig writes.
//
// Every API server of a cluster is recorded in its cluster entry's
// extensions, under ServersExtension:
//
//	clusters:
//	- name: coxswain
//	  cluster:
//	    server: https://10.0.0.1:6443
//	    extensions:
//	    - name: coxswain.io/servers
//	      extension:
//	        servers: [https://10.0.0.1:6443, https://10.0.0.2:6443]
//
// kubectl and client-go keep the extension when they rewrite the file and
// otherwise ignore it; they use server.
type Kubeconfig struct {
	APIVersion     string         `yaml:"apiVersion" json:"apiVersion"`
	Kind           string         `yaml:"kind" json:"kind"`
	Clusters       []NamedCluster `yaml:"clusters" json:"clusters"`
	Users          []NamedUser    `yaml:"users" json:"users"`
	Contexts       []NamedContext `yaml:"contexts" json:"contexts"`
	CurrentContext string         `yaml:"current-context" json:"current-context"`
	Preferences    map[string]any `yaml:"preferences,omitempty" json:"preferences,omitempty"`
}

// NamedCluster is a named cluster entry.
type NamedCluster struct {
	Name    string            `yaml:"name" json:"name"`
	Cluster KubeconfigCluster `yaml:"cluster" json:"cluster"`
}

// KubeconfigCluster is how to reach a cluster.
type KubeconfigCluster struct {
	Server                   string `yaml:"server" json:"server"`
	CertificateAuthorityData string `yaml:"certificate-authority-data,omitempty" json:"certificate-authority-data,omitempty"`
	CertificateAuthority     string `yaml:"certificate-authority,omitempty" json:"certificate-authority,omitempty"`
	InsecureSkipTLSVerify    bool   `yaml:"insecure-skip-tls-verify,omitempty" json:"insecure-skip-tls-verify,omitempty"`
	TLSServerName            string `yaml:"tls-server-name,omitempty" json:"tls-server-name,omitempty"`
	// Extensions are kubeconfig's named extensions; ServersExtension is
	// the one this package reads and writes.
	Extensions []NamedExtension `yaml:"extensions,omitempty" json:"extensions,omitempty"`
}

// NamedExtension is a named extension of a kubeconfig entry: any YAML or
// JSON value, which clients that do not know the name ignore.
type NamedExtension struct {
	Name      string `yaml:"name" json:"name"`
	Extension any    `yaml:"extension" json:"extension"`
}

// ServersExtension names the cluster extension that lists every API server
// of the cluster, server included, as {servers: [url, ...]}.
const ServersExtension = "coxswain.io/servers"

// NamedUser is a named credential entry.
type NamedUser struct {
	Name string         `yaml:"name" json:"name"`
	User KubeconfigUser `yaml:"user" json:"user"`
}

// KubeconfigUser is a credential.
type KubeconfigUser struct {
	ClientCertificateData string `yaml:"client-certificate-data,omitempty" json:"client-certificate-data,omitempty"`
	ClientCertificate     string `yaml:"client-certificate,omitempty" json:"client-certificate,omitempty"`
	ClientKeyData         string `yaml:"client-key-data,omitempty" json:"client-key-data,omitempty"`
	ClientKey             string `yaml:"client-key,omitempty" json:"client-key,omitempty"`
	Token                 string `yaml:"token,omitempty" json:"token,omitempty"`
	TokenFile             string `yaml:"tokenFile,omitempty" json:"tokenFile,omitempty"`
}

// NamedContext is a named (cluster, user, namespace) triple.
type NamedContext struct {
	Name    string            `yaml:"name" json:"name"`
	Context KubeconfigContext `yaml:"context" json:"context"`
}

// KubeconfigContext pairs a cluster with a user.
type KubeconfigContext struct {
	Cluster   string `yaml:"cluster" json:"cluster"`
	User      string `yaml:"user" json:"user"`
	Namespace string `yaml:"namespace,omitempty" json:"namespace,omitempty"`
}

// LoadClientConfig reads a kubeconfig file and returns the client config
// of its current context. Relative file paths in it are relative to the
// file's directory, as kubectl resolves them.
func LoadClientConfig(path string) (ClientConfig, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return ClientConfig{}, err
	}
	return ParseKubeconfig(data, filepath.Dir(path), "")
}

// ParseKubeconfig parses kubeconfig data and returns the client config of
// the named context ("" = current-context). dir resolves relative file
// references ("" = do not read files).
//
// Server is the context's cluster server, as kubectl uses it. Servers are
// the cluster's other API servers, in order, from its ServersExtension, and
// from nothing else. A list that does not name server is stale (the server
// was changed by hand, say with kubectl config set-cluster) and is ignored,
// so a client never fails over to a cluster the file no longer names.
func ParseKubeconfig(data []byte, dir, context string) (ClientConfig, error) {
	var kc Kubeconfig
	if err := yaml.Unmarshal(data, &kc); err != nil {
		return ClientConfig{}, fmt.Errorf("%w: kubeconfig: %v", ErrConfig, err)
	}
	if kc.Kind != "" && kc.Kind != "Config" {
		return ClientConfig{}, fmt.Errorf("%w: kubeconfig kind %q, want Config", ErrConfig, kc.Kind)
	}
	if context == "" {
		context = kc.CurrentContext
	}
	if context == "" && len(kc.Contexts) == 1 {
		context = kc.Contexts[0].Name
	}
	var ctx *KubeconfigContext
	for i := range kc.Contexts {
		if kc.Contexts[i].Name == context {
			ctx = &kc.Contexts[i].Context
		}
	}
	if ctx == nil {
		return ClientConfig{}, fmt.Errorf("%w: kubeconfig has no context %q", ErrConfig, context)
	}
	var cl *KubeconfigCluster
	for i := range kc.Clusters {
		if kc.Clusters[i].Name == ctx.Cluster {
			cl = &kc.Clusters[i].Cluster
		}
	}
	if cl == nil {
		return ClientConfig{}, fmt.Errorf("%w: kubeconfig context %q names cluster %q, which is not there", ErrConfig, context, ctx.Cluster)
	}
	var u KubeconfigUser
	if ctx.User != "" {
		found := false
		for i := range kc.Users {
			if kc.Users[i].Name == ctx.User {
				u, found = kc.Users[i].User, true
			}
		}
		if !found {
			return ClientConfig{}, fmt.Errorf("%w: kubeconfig context %q names user %q, which is not there", ErrConfig, context, ctx.User)
		}
	}
	cfg := ClientConfig{Server: cl.Server, InsecureSkipVerify: cl.InsecureSkipTLSVerify, Token: u.Token}
	var err error
	if cfg.Servers, err = otherServers(ctx.Cluster, cl); err != nil {
		return ClientConfig{}, err
	}
	if cfg.CAData, err = dataOrFile("certificate-authority", cl.CertificateAuthorityData, cl.CertificateAuthority, dir); err != nil {
		return ClientConfig{}, err
	}
	if cfg.CertData, err = dataOrFile("client-certificate", u.ClientCertificateData, u.ClientCertificate, dir); err != nil {
		return ClientConfig{}, err
	}
	if cfg.KeyData, err = dataOrFile("client-key", u.ClientKeyData, u.ClientKey, dir); err != nil {
		return ClientConfig{}, err
	}
	if u.Token == "" && u.TokenFile != "" {
		b, err := dataOrFile("tokenFile", "", u.TokenFile, dir)
		if err != nil {
			return ClientConfig{}, err
		}
		cfg.Token = string(trimSpace(b))
	}
	if err := cfg.Validate(); err != nil {
		return ClientConfig{}, err
	}
	return cfg, nil
}

// otherServers returns the servers of cl's ServersExtension other than
// cl.Server, or nil if it has none or its list does not name cl.Server.
func otherServers(name string, cl *KubeconfigCluster) ([]string, error) {
	var ext *NamedExtension
	for i := range cl.Extensions {
		if cl.Extensions[i].Name != ServersExtension {
			continue
		}
		if ext != nil {
			return nil, fmt.Errorf("%w: kubeconfig cluster %q has extension %q twice", ErrConfig, name, ServersExtension)
		}
		ext = &cl.Extensions[i]
	}
	if ext == nil {
		return nil, nil
	}
	field := func(f string) string {
		return fmt.Sprintf("kubeconfig cluster %q extension %q %s", name, ServersExtension, f)
	}
	m, ok := ext.Extension.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("%w: %s is %s, want {servers: [url, ...]}", ErrConfig, field("value"), describe(ext.Extension))
	}
	list, ok := m["servers"].([]any)
	if !ok {
		return nil, fmt.Errorf("%w: %s is %s, want a list of URLs", ErrConfig, field("servers"), describe(m["servers"]))
	}
	var servers []string
	listed := false
	for i, v := range list {
		s, ok := v.(string)
		if !ok {
			return nil, fmt.Errorf("%w: %s is %s, want a URL", ErrConfig, field(fmt.Sprintf("servers[%d]", i)), describe(v))
		}
		if u, err := url.Parse(s); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return nil, fmt.Errorf("%w: %s %q is not an http(s) URL", ErrConfig, field(fmt.Sprintf("servers[%d]", i)), s)
		}
		if s == cl.Server {
			listed = true
		} else if !slices.Contains(servers, s) {
			servers = append(servers, s)
		}
	}
	if !listed {
		return nil, nil
	}
	return servers, nil
}

// describe names the YAML type of v for an error message.
func describe(v any) string {
	switch v := v.(type) {
	case nil:
		return "missing"
	case string:
		return fmt.Sprintf("the string %q", v)
	case []any:
		return "a list"
	case map[string]any, map[any]any:
		return "a map"
	default:
		return fmt.Sprintf("%T %v", v, v)
	}
}

func trimSpace(b []byte) []byte {
	for len(b) > 0 && (b[len(b)-1] == '\n' || b[len(b)-1] == '\r' || b[len(b)-1] == ' ') {
		b = b[:len(b)-1]
	}
	return b
}

func dataOrFile(field, data, file, dir string) ([]byte, error) {
	if data != "" {
		b, err := base64.StdEncoding.DecodeString(data)
		if err != nil {
			return nil, fmt.Errorf("%w: kubeconfig %s-data is not base64: %v", ErrConfig, field, err)
		}
		return b, nil
	}
	if file == "" {
		return nil, nil
	}
	if dir == "" {
		return nil, fmt.Errorf("%w: kubeconfig %s refers to file %q; only inline data is allowed here", ErrConfig, field, file)
	}
	if !filepath.IsAbs(file) {
		file = filepath.Join(dir, file)
	}
	b, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("%w: kubeconfig %s: %v", ErrConfig, field, err)
	}
	return b, nil
}

// WriteKubeconfig returns cfg as a kubeconfig whose current context, cluster
// and user are all named name, with the CA, certificate and key inline.
// The cluster's server is cfg.Server (or the first of cfg.Servers), the one
// kubectl uses. When cfg names more than one server, the cluster records
// them all (Server, then Servers) in its ServersExtension, which
// ParseKubeconfig reads back as Servers; and each other server gets a
// cluster and context of its own, name-2, name-3, ..., with the same list
// and user, so a kubectl user can pick one with --context.
func WriteKubeconfig(cfg ClientConfig, name string) ([]byte, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if name == "" {
		return nil, fmt.Errorf("%w: kubeconfig name is empty", ErrConfig)
	}
	var servers []string
	for _, s := range append([]string{cfg.Server}, cfg.Servers...) {
		if s != "" && !slices.Contains(servers, s) {
			servers = append(servers, s)
		}
	}
	enc := base64.StdEncoding.EncodeToString
	cluster := KubeconfigCluster{InsecureSkipTLSVerify: cfg.InsecureSkipVerify}
	if len(cfg.CAData) > 0 {
		cluster.CertificateAuthorityData = enc(cfg.CAData)
	}
	if len(servers) > 1 {
		cluster.Extensions = []NamedExtension{{Name: ServersExtension, Extension: map[string]any{"servers": servers}}}
	}
	user := KubeconfigUser{Token: cfg.Token}
	if len(cfg.CertData) > 0 {
		user.ClientCertificateData = enc(cfg.CertData)
		user.ClientKeyData = enc(cfg.KeyData)
	}
	kc := Kubeconfig{APIVersion: "v1", Kind: "Config", CurrentContext: name,
		Users: []NamedUser{{Name: name, User: user}},
	}
	for i, s := range servers {
		n := name
		if i > 0 {
			n = fmt.Sprintf("%s-%d", name, i+1)
		}
		c := cluster
		c.Server = s
		kc.Clusters = append(kc.Clusters, NamedCluster{Name: n, Cluster: c})
		kc.Contexts = append(kc.Contexts, NamedContext{Name: n, Context: KubeconfigContext{Cluster: n, User: name}})
	}
	return yaml.Marshal(kc)
}
