package remote

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/coxswain/coxswain/store/remote/pki"
	"github.com/coxswain/coxswain/types"
)

// The join flow. A joining node knows the API server's address, a bootstrap
// token and the CA hash (sha256 of the CA's public key, as kubeadm prints
// it). It:
//
//  1. fetches the CA certificate from CAPath over TLS without verifying the
//     server (it has nothing to verify with yet), and checks that the CA's
//     hash is the one it was given — this is what makes the next step safe;
//  2. talks TLS verified by that CA from then on, sending a certificate
//     request for CN system:node:<name>, O system:nodes to JoinPath with
//     the bootstrap token as its bearer token;
//  3. receives a client certificate signed by the CA, which the node uses
//     for everything else (the Node authorizer then limits it to its own
//     objects).
const (
	// CAPath serves the cluster CA certificate (PEM) to anyone.
	CAPath = "/coxswain/v1/ca"
	// JoinPath is where a node with a bootstrap token exchanges a
	// certificate request for a client certificate (POST a JoinRequest).
	JoinPath = "/coxswain/v1/join"
)

// JoinRequest is the body of a POST to JoinPath.
type JoinRequest struct {
	// CSR is a PEM certificate request for CN system:node:<name>, O
	// system:nodes.
	CSR string `json:"csr"`
}

// JoinResponse is the answer: the signed certificate and the CA, PEM.
type JoinResponse struct {
	Certificate string `json:"certificate"`
	CA          string `json:"ca"`
}

// JoinHandler serves CAPath and JoinPath for ca. Register it on the Server
// for both paths (Server.Handle), keep CAPath in Config.AnonymousPaths (it
// is by default) and let RBAC allow system:bootstrappers to post to
// JoinPath (DefaultRBAC does). Certificates it issues last validity
// (0: the CA's default).
func JoinHandler(ca *pki.CA, validity time.Duration) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case CAPath:
			w.Header().Set("Content-Type", "application/x-pem-file")
			_, _ = w.Write(ca.CertPEM())
			return
		case JoinPath:
		default:
			writeStatus(w, newStatus(http.StatusNotFound, ReasonNotFound, "not found"))
			return
		}
		if r.Method != http.MethodPost {
			writeStatus(w, newStatus(http.StatusMethodNotAllowed, ReasonMethodNotAllowed, "POST a JoinRequest"))
			return
		}
		u, _ := UserFrom(r.Context())
		if u == nil || !u.InGroup(GroupBootstrappers) {
			writeStatus(w, newStatus(http.StatusForbidden, ReasonForbidden, "only members of "+GroupBootstrappers+" may join"))
			return
		}
		var jr JoinRequest
		if err := json.NewDecoder(io.LimitReader(r.Body, 64<<10)).Decode(&jr); err != nil {
			writeStatus(w, badRequest("decoding JoinRequest: %v", err))
			return
		}
		csr, err := pki.ParseCSR([]byte(jr.CSR))
		if err != nil {
			writeStatus(w, badRequest("csr: %v", err))
			return
		}
		node, ok := strings.CutPrefix(csr.Subject.CommonName, NodeUserPrefix)
		if !ok || !types.IsDNS1123Subdomain(node) || !slices.Equal(csr.Subject.Organization, []string{GroupNodes}) {
			writeStatus(w, newStatus(http.StatusForbidden, ReasonForbidden,
				fmt.Sprintf("a joining node may only ask for CN %s<node name>, O %s; got CN %q, O %q", NodeUserPrefix, GroupNodes, csr.Subject.CommonName, csr.Subject.Organization)))
			return
		}
		cert, err := ca.SignCSR(csr, validity)
		if err != nil {
			writeStatus(w, newStatus(http.StatusInternalServerError, ReasonInternalError, err.Error()))
			return
		}
		writeJSON(w, http.StatusCreated, JoinResponse{Certificate: string(cert), CA: string(ca.CertPEM())})
	})
}

// JoinOptions are what a joining node knows.
type JoinOptions struct {
	// Server is the API server's https URL.
	Server string
	// Token is the bootstrap token.
	Token string
	// CAHash is "sha256:<hex>", the hash of the CA the server must use.
	CAHash string
	// NodeName is the node's name.
	NodeName string
	// Rand is used for the node's key; nil means crypto/rand.
	Rand io.Reader
	// Timeout bounds each request. Default 30s.
	Timeout time.Duration
}

// Join runs the join flow and returns a client config holding the node's
// certificate, key and the verified CA.
func Join(ctx context.Context, o JoinOptions) (ClientConfig, error) {
	if o.Timeout == 0 {
		o.Timeout = 30 * time.Second
	}
	if _, _, err := ParseBootstrapToken(o.Token); err != nil {
		return ClientConfig{}, err
	}
	if !types.IsDNS1123Subdomain(o.NodeName) {
		return ClientConfig{}, fmt.Errorf("%w: node name %q is not a DNS subdomain", ErrConfig, o.NodeName)
	}
	base := strings.TrimSuffix(o.Server, "/")
	// 1. Fetch the CA without verification, then pin it by its hash.
	insecure := &http.Client{Timeout: o.Timeout, Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true, MinVersion: tls.VersionTLS12}}} //nolint:gosec // verified by hash below
	defer insecure.CloseIdleConnections()
	caPEM, err := fetch(ctx, insecure, http.MethodGet, base+CAPath, "", nil)
	if err != nil {
		return ClientConfig{}, fmt.Errorf("fetching the CA: %w", err)
	}
	ca, err := pki.ParseCertificate(caPEM)
	if err != nil {
		return ClientConfig{}, fmt.Errorf("the served CA: %w", err)
	}
	ok, err := pki.CheckHash(ca, o.CAHash)
	if err != nil {
		return ClientConfig{}, err
	}
	if !ok {
		return ClientConfig{}, fmt.Errorf("%w: served CA %s, expected %s", ErrCAHash, pki.Hash(ca), o.CAHash)
	}
	// 2. Verified TLS from now on: ask for a certificate.
	csr, key, err := pki.NewCSR(o.Rand, NodeUserPrefix+o.NodeName, []string{GroupNodes})
	if err != nil {
		return ClientConfig{}, err
	}
	cfg := ClientConfig{Server: base, CAData: pki.EncodeCert(ca)}
	tc, err := clientTLS(cfg)
	if err != nil {
		return ClientConfig{}, err
	}
	tr := &http.Transport{TLSClientConfig: tc}
	defer tr.CloseIdleConnections()
	secure := &http.Client{Timeout: o.Timeout, Transport: tr}
	body, _ := json.Marshal(JoinRequest{CSR: string(csr)})
	out, err := fetch(ctx, secure, http.MethodPost, base+JoinPath, o.Token, body)
	if err != nil {
		return ClientConfig{}, fmt.Errorf("joining: %w", err)
	}
	var jr JoinResponse
	if err := json.Unmarshal(out, &jr); err != nil {
		return ClientConfig{}, fmt.Errorf("%w: decoding JoinResponse: %v", ErrServer, err)
	}
	cfg.CertData, cfg.KeyData = []byte(jr.Certificate), key
	return cfg, nil
}

func fetch(ctx context.Context, hc *http.Client, method, url, token string, body []byte) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, method, url, bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := hc.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return nil, err
	}
	if resp.StatusCode >= 300 {
		var s Status
		if json.Unmarshal(b, &s) == nil && s.Kind == "Status" {
			return nil, errorFromStatus(s, "", "", "")
		}
		return nil, fmt.Errorf("%w: %s: %s", ErrServer, resp.Status, bytes.TrimSpace(b))
	}
	return b, nil
}
