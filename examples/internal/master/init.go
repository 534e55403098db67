package master

import (
	"crypto/rand"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/coxswain/coxswain/store/remote"
	"github.com/coxswain/coxswain/store/remote/pki"
)

// Files of a cluster directory.
const (
	CACertFile = "pki/ca.crt"
	CAKeyFile  = "pki/ca.key"
	TokenFile  = "token"
	AdminConf  = "admin.conf"
)

// InitResult is what Init made.
type InitResult struct {
	// Kubeconfig is the admin client config's path.
	Kubeconfig string
	// Token is the bootstrap token nodes join with.
	Token string
	// CAHash is the CA's hash ("sha256:…").
	CAHash string
	// JoinCommand is the command a node runs to join.
	JoinCommand string
}

// Init prepares a cluster directory, as kubeadm init does: the cluster CA
// (kept if it already exists), a bootstrap token and the admin kubeconfig
// (admin.conf, user admin in group system:masters) for the API servers at
// servers (https URLs; the first is the one nodes are told to join).
func Init(dir string, servers []string) (InitResult, error) {
	if len(servers) == 0 {
		return InitResult{}, errors.New("init: no API server address given")
	}
	if err := os.MkdirAll(filepath.Join(dir, "pki"), 0o700); err != nil {
		return InitResult{}, err
	}
	ca, err := LoadCA(dir)
	if errors.Is(err, fs.ErrNotExist) {
		ca, err = pki.NewCA(pki.Config{})
		if err == nil {
			err = writeCA(dir, ca)
		}
	}
	if err != nil {
		return InitResult{}, err
	}
	tok, err := os.ReadFile(filepath.Join(dir, TokenFile))
	if errors.Is(err, fs.ErrNotExist) {
		var t string
		t, err = remote.NewBootstrapToken(rand.Reader)
		tok = []byte(t)
		if err == nil {
			err = os.WriteFile(filepath.Join(dir, TokenFile), tok, 0o600)
		}
	}
	if err != nil {
		return InitResult{}, err
	}
	token := strings.TrimSpace(string(tok))
	cert, key, err := ca.Issue(pki.Request{CommonName: "admin", Organization: []string{remote.GroupMasters}, Client: true})
	if err != nil {
		return InitResult{}, err
	}
	kc, err := remote.WriteKubeconfig(remote.ClientConfig{
		Server: servers[0], Servers: servers[1:], CAData: ca.CertPEM(), CertData: cert, KeyData: key,
	}, "coxswain")
	if err != nil {
		return InitResult{}, err
	}
	kcPath := filepath.Join(dir, AdminConf)
	if err := os.WriteFile(kcPath, kc, 0o600); err != nil {
		return InitResult{}, err
	}
	abs, _ := filepath.Abs(kcPath)
	return InitResult{
		Kubeconfig: abs,
		Token:      token,
		CAHash:     ca.Hash(),
		JoinCommand: fmt.Sprintf("node join --server %s --token %s --discovery-token-ca-cert-hash %s",
			strings.Join(servers, ","), token, ca.Hash()),
	}, nil
}

// LoadCA loads the cluster CA of dir.
func LoadCA(dir string) (*pki.CA, error) {
	c, err := os.ReadFile(filepath.Join(dir, CACertFile))
	if err != nil {
		return nil, err
	}
	k, err := os.ReadFile(filepath.Join(dir, CAKeyFile))
	if err != nil {
		return nil, err
	}
	return pki.LoadCA(c, k, pki.Config{})
}

func writeCA(dir string, ca *pki.CA) error {
	k, err := ca.KeyPEM()
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, CAKeyFile), k, 0o600); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, CACertFile), ca.CertPEM(), 0o644)
}
