package master

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/coxswain/coxswain/store/remote"
	"github.com/coxswain/coxswain/store/remote/pki"
)

// userMain is `master user --dir D --name NAME [--group G,...] [--validity
// D] --out FILE`: a client config for a new user, with a client certificate
// signed by the cluster CA (CN the user, O the groups), for the API servers
// of D/admin.conf. What the user may do is up to RBAC.
func userMain(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("master user", flag.ContinueOnError)
	fs.SetOutput(stderr)
	dir := fs.String("dir", "./cluster", "cluster directory made by init (holds the CA key)")
	name := fs.String("name", "", "user name, the certificate's common name (required)")
	groups := fs.String("group", "", "groups, comma-separated")
	validity := fs.Duration("validity", 365*24*time.Hour, "how long the certificate is valid")
	out := fs.String("out", "", "client config file to write (required)")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if *name == "" || *out == "" || fs.NArg() > 0 || *validity <= 0 {
		fmt.Fprintln(stderr, "master user: --name and --out are required, and --validity must be positive")
		return 2
	}
	var gs []string
	if *groups != "" {
		gs = strings.Split(*groups, ",")
	}
	if err := User(*dir, *name, gs, *validity, *out); err != nil {
		fmt.Fprintln(stderr, "master user:", err)
		return 1
	}
	fmt.Fprintf(stdout, "Client config for user %q (groups %v) written to %s; grant it rights with a RoleBinding or ClusterRoleBinding.\n", *name, gs, *out)
	return 0
}

// User writes to out a client config for user name in groups, with a
// certificate valid for validity, signed by the CA of the cluster directory
// dir, for the API servers its admin.conf names.
func User(dir, name string, groups []string, validity time.Duration, out string) error {
	for _, g := range groups {
		if g == "system:masters" {
			return errors.New("--group system:masters would make the user a cluster admin, whom RBAC cannot restrict; use admin.conf or bind cluster-admin instead")
		}
	}
	ca, err := LoadCA(dir)
	if err != nil {
		return fmt.Errorf("loading the cluster CA from %s: %w", dir, err)
	}
	admin, err := remote.LoadClientConfig(filepath.Join(dir, AdminConf))
	if err != nil {
		return fmt.Errorf("reading the API server addresses from %s: %w", filepath.Join(dir, AdminConf), err)
	}
	cert, key, err := ca.Issue(pki.Request{CommonName: name, Organization: groups, Client: true, Validity: validity})
	if err != nil {
		return err
	}
	cc := admin
	cc.CertData, cc.KeyData, cc.Token = cert, key, ""
	kc, err := remote.WriteKubeconfig(cc, "coxswain")
	if err != nil {
		return err
	}
	return os.WriteFile(out, kc, 0o600)
}
