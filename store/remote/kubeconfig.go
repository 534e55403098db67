package remote

import (
	"encoding/base64"
	"fmt"
	"os"
	"path/filepath"

	"go.yaml.in/yaml/v3"
)

// Kubeconfig is kubectl's client configuration file (clientcmd's Config,
// apiVersion v1, kind Config), the subset that names servers, CAs,
// certificates and tokens. kubectl reads the files WriteKubeconfig writes.
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
}

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

// WriteKubeconfig returns cfg as a kubeconfig with one cluster, one user
// and one context (all named name), the CA, certificate and key inline.
func WriteKubeconfig(cfg ClientConfig, name string) ([]byte, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	enc := base64.StdEncoding.EncodeToString
	kc := Kubeconfig{APIVersion: "v1", Kind: "Config", CurrentContext: name,
		Clusters: []NamedCluster{{Name: name, Cluster: KubeconfigCluster{Server: cfg.Server, InsecureSkipTLSVerify: cfg.InsecureSkipVerify}}},
		Users:    []NamedUser{{Name: name, User: KubeconfigUser{Token: cfg.Token}}},
		Contexts: []NamedContext{{Name: name, Context: KubeconfigContext{Cluster: name, User: name}}},
	}
	if len(cfg.CAData) > 0 {
		kc.Clusters[0].Cluster.CertificateAuthorityData = enc(cfg.CAData)
	}
	if len(cfg.CertData) > 0 {
		kc.Users[0].User.ClientCertificateData = enc(cfg.CertData)
		kc.Users[0].User.ClientKeyData = enc(cfg.KeyData)
	}
	return yaml.Marshal(kc)
}
