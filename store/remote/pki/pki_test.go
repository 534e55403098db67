package pki

import (
	"crypto/x509"
	"net"
	"testing"
	"time"

	"github.com/coxswain/coxswain/clock"
)

func TestIssueAndVerify(t *testing.T) {
	clk := clock.NewFake(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	ca, err := NewCA(Config{Clock: clk})
	if err != nil {
		t.Fatal(err)
	}
	certPEM, keyPEM, err := ca.Issue(Request{CommonName: "api", IPs: []net.IP{net.ParseIP("10.0.0.1")}, DNSNames: []string{"master"}, Server: true})
	if err != nil {
		t.Fatal(err)
	}
	cert, err := ParseCertificate(certPEM)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ParseKey(keyPEM); err != nil {
		t.Fatal(err)
	}
	opts := x509.VerifyOptions{Roots: ca.Pool(), DNSName: "master", CurrentTime: clk.Now(), KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	if _, err := cert.Verify(opts); err != nil {
		t.Fatalf("server certificate does not verify: %v", err)
	}
	if err := cert.VerifyHostname("10.0.0.1"); err != nil {
		t.Fatalf("IP SAN: %v", err)
	}
	// A CSR for a node is signed with the subject it asks for.
	csrPEM, _, err := NewCSR(nil, "system:node:n1", []string{"system:nodes"})
	if err != nil {
		t.Fatal(err)
	}
	csr, err := ParseCSR(csrPEM)
	if err != nil {
		t.Fatal(err)
	}
	signed, err := ca.SignCSR(csr, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	c2, _ := ParseCertificate(signed)
	if c2.Subject.CommonName != "system:node:n1" || c2.Subject.Organization[0] != "system:nodes" {
		t.Fatalf("subject %v", c2.Subject)
	}
	if _, err := c2.Verify(x509.VerifyOptions{Roots: ca.Pool(), CurrentTime: clk.Now(), KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}); err != nil {
		t.Fatalf("client certificate: %v", err)
	}
	if _, err := c2.Verify(x509.VerifyOptions{Roots: ca.Pool(), CurrentTime: clk.Now().Add(2 * time.Hour), KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}); err == nil {
		t.Fatal("expired certificate verifies")
	}
	// A key from elsewhere does not load as the CA.
	other, _ := NewCA(Config{})
	otherKey, _ := other.KeyPEM()
	if _, err := LoadCA(ca.CertPEM(), otherKey, Config{}); err == nil {
		t.Fatal("mismatched CA key accepted")
	}
}

func FuzzParsePEM(f *testing.F) {
	ca, _ := NewCA(Config{})
	k, _ := ca.KeyPEM()
	csr, _, _ := NewCSR(nil, "u", nil)
	f.Add(ca.CertPEM())
	f.Add(k)
	f.Add(csr)
	f.Add([]byte("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		if c, err := ParseCertificate(b); err == nil && c == nil {
			t.Fatal("nil certificate without error")
		}
		if k, err := ParseKey(b); err == nil && k == nil {
			t.Fatal("nil key without error")
		}
		if c, err := ParseCSR(b); err == nil && c == nil {
			t.Fatal("nil CSR without error")
		}
		_, _ = CheckHash(ca.Cert, string(b))
	})
}
