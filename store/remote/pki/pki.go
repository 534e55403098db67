package pki

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net"
	"strings"
	"time"

	"github.com/coxswain/coxswain/clock"
)

// Errors.
var (
	// ErrPEM: the input holds no PEM block of the expected type.
	ErrPEM = errors.New("pki: bad PEM")
	// ErrKey: a key is not an ECDSA or RSA private key, or does not match.
	ErrKey = errors.New("pki: bad key")
	// ErrCSR: a certificate request is malformed or its signature is bad.
	ErrCSR = errors.New("pki: bad certificate request")
	// ErrHash: a CA hash is malformed.
	ErrHash = errors.New("pki: bad CA hash")
)

// Config tunes a CA. The zero value uses crypto/rand, the real clock, the
// common name "coxswain-ca" and ten years of validity.
type Config struct {
	// CommonName of a new CA. Default "coxswain-ca".
	CommonName string
	// Validity of a new CA. Default 10 years.
	Validity time.Duration
	// CertValidity of certificates it issues. Default 1 year.
	CertValidity time.Duration
	// Rand is the source of keys and serial numbers; nil means crypto/rand.
	Rand io.Reader
	// Clock dates certificates; nil means the real clock.
	Clock clock.Clock
}

func (c Config) withDefaults() Config {
	if c.CommonName == "" {
		c.CommonName = "coxswain-ca"
	}
	if c.Validity == 0 {
		c.Validity = 10 * 365 * 24 * time.Hour
	}
	if c.CertValidity == 0 {
		c.CertValidity = 365 * 24 * time.Hour
	}
	if c.Rand == nil {
		c.Rand = rand.Reader
	}
	c.Clock = clock.Or(c.Clock)
	return c
}

// CA is a certificate authority: a self-signed certificate and its key.
type CA struct {
	Cert *x509.Certificate
	Key  crypto.Signer
	cfg  Config
}

// NewCA creates a new CA with an ECDSA P-256 key.
func NewCA(cfg Config) (*CA, error) {
	cfg = cfg.withDefaults()
	key, err := ecdsa.GenerateKey(elliptic.P256(), cfg.Rand)
	if err != nil {
		return nil, err
	}
	now := cfg.Clock.Now()
	serial, err := serialNumber(cfg.Rand)
	if err != nil {
		return nil, err
	}
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: cfg.CommonName},
		NotBefore:             now.Add(-5 * time.Minute),
		NotAfter:              now.Add(cfg.Validity),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment,
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	der, err := x509.CreateCertificate(cfg.Rand, tmpl, tmpl, key.Public(), key)
	if err != nil {
		return nil, err
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, err
	}
	return &CA{Cert: cert, Key: key, cfg: cfg}, nil
}

// LoadCA loads a CA from PEM certificate and key.
func LoadCA(certPEM, keyPEM []byte, cfg Config) (*CA, error) {
	cert, err := ParseCertificate(certPEM)
	if err != nil {
		return nil, err
	}
	if !cert.IsCA {
		return nil, fmt.Errorf("%w: certificate %q is not a CA", ErrPEM, cert.Subject.CommonName)
	}
	key, err := ParseKey(keyPEM)
	if err != nil {
		return nil, err
	}
	if !publicKeysEqual(cert.PublicKey, key.Public()) {
		return nil, fmt.Errorf("%w: the key does not match the CA certificate", ErrKey)
	}
	return &CA{Cert: cert, Key: key, cfg: cfg.withDefaults()}, nil
}

func publicKeysEqual(a, b crypto.PublicKey) bool {
	type eq interface{ Equal(crypto.PublicKey) bool }
	if x, ok := a.(eq); ok {
		return x.Equal(b)
	}
	return false
}

func serialNumber(r io.Reader) (*big.Int, error) {
	return rand.Int(r, new(big.Int).Lsh(big.NewInt(1), 127))
}

// CertPEM returns the CA certificate as PEM.
func (ca *CA) CertPEM() []byte { return EncodeCert(ca.Cert) }

// KeyPEM returns the CA key as PEM (PKCS #8).
func (ca *CA) KeyPEM() ([]byte, error) { return EncodeKey(ca.Key) }

// Pool returns a pool holding the CA certificate.
func (ca *CA) Pool() *x509.CertPool {
	p := x509.NewCertPool()
	p.AddCert(ca.Cert)
	return p
}

// Hash returns the CA's hash as kubeadm prints it.
func (ca *CA) Hash() string { return Hash(ca.Cert) }

// Hash returns sha256:<hex> of a certificate's DER SubjectPublicKeyInfo,
// the value kubeadm's --discovery-token-ca-cert-hash takes.
func Hash(cert *x509.Certificate) string {
	sum := sha256.Sum256(cert.RawSubjectPublicKeyInfo)
	return "sha256:" + hex.EncodeToString(sum[:])
}

// CheckHash reports whether cert matches a "sha256:<hex>" hash.
func CheckHash(cert *x509.Certificate, hash string) (bool, error) {
	h, ok := strings.CutPrefix(hash, "sha256:")
	if !ok || len(h) != 64 {
		return false, fmt.Errorf("%w: %q is not sha256:<64 hex digits>", ErrHash, hash)
	}
	if _, err := hex.DecodeString(h); err != nil {
		return false, fmt.Errorf("%w: %q is not sha256:<64 hex digits>", ErrHash, hash)
	}
	return strings.EqualFold(Hash(cert), "sha256:"+h), nil
}

// Request describes a certificate to issue.
type Request struct {
	// CommonName is the user (client certificates) or the host name.
	CommonName string
	// Organization holds the groups of a client certificate.
	Organization []string
	// DNSNames and IPs are the server names clients dial (SANs).
	DNSNames []string
	IPs      []net.IP
	// Server and Client choose the extended key usages (both may be set,
	// as raft peers are both).
	Server, Client bool
	// Validity overrides Config.CertValidity.
	Validity time.Duration
}

// Issue creates a key and a certificate for req, signed by the CA, and
// returns both as PEM.
func (ca *CA) Issue(req Request) (certPEM, keyPEM []byte, err error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), ca.cfg.Rand)
	if err != nil {
		return nil, nil, err
	}
	der, err := ca.sign(req, key.Public())
	if err != nil {
		return nil, nil, err
	}
	kp, err := EncodeKey(key)
	if err != nil {
		return nil, nil, err
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), kp, nil
}

func (ca *CA) sign(req Request, pub crypto.PublicKey) ([]byte, error) {
	now := ca.cfg.Clock.Now()
	v := req.Validity
	if v == 0 {
		v = ca.cfg.CertValidity
	}
	serial, err := serialNumber(ca.cfg.Rand)
	if err != nil {
		return nil, err
	}
	tmpl := &x509.Certificate{
		SerialNumber: serial,
		Subject:      pkix.Name{CommonName: req.CommonName, Organization: req.Organization},
		NotBefore:    now.Add(-5 * time.Minute),
		NotAfter:     now.Add(v),
		KeyUsage:     x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment,
		DNSNames:     req.DNSNames,
		IPAddresses:  req.IPs,
	}
	if req.Server {
		tmpl.ExtKeyUsage = append(tmpl.ExtKeyUsage, x509.ExtKeyUsageServerAuth)
	}
	if req.Client {
		tmpl.ExtKeyUsage = append(tmpl.ExtKeyUsage, x509.ExtKeyUsageClientAuth)
	}
	return x509.CreateCertificate(ca.cfg.Rand, tmpl, ca.Cert, pub, ca.Key)
}

// NewCSR creates a key and a PEM certificate request for a client
// identity (CommonName = user, Organization = groups).
func NewCSR(r io.Reader, commonName string, groups []string) (csrPEM, keyPEM []byte, err error) {
	if r == nil {
		r = rand.Reader
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), r)
	if err != nil {
		return nil, nil, err
	}
	der, err := x509.CreateCertificateRequest(r, &x509.CertificateRequest{Subject: pkix.Name{CommonName: commonName, Organization: groups}}, key)
	if err != nil {
		return nil, nil, err
	}
	kp, err := EncodeKey(key)
	if err != nil {
		return nil, nil, err
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE REQUEST", Bytes: der}), kp, nil
}

// ParseCSR parses and checks the signature of a PEM certificate request.
func ParseCSR(csrPEM []byte) (*x509.CertificateRequest, error) {
	b, _ := pem.Decode(csrPEM)
	if b == nil || b.Type != "CERTIFICATE REQUEST" {
		return nil, fmt.Errorf("%w: no CERTIFICATE REQUEST block", ErrCSR)
	}
	csr, err := x509.ParseCertificateRequest(b.Bytes)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrCSR, err)
	}
	if err := csr.CheckSignature(); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrCSR, err)
	}
	return csr, nil
}

// SignCSR issues a client certificate for a checked request, with the
// subject the request names. The caller decides whether the subject is
// acceptable.
func (ca *CA) SignCSR(csr *x509.CertificateRequest, validity time.Duration) ([]byte, error) {
	der, err := ca.sign(Request{CommonName: csr.Subject.CommonName, Organization: csr.Subject.Organization, Client: true, Validity: validity}, csr.PublicKey)
	if err != nil {
		return nil, err
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), nil
}

// EncodeCert returns a certificate as PEM.
func EncodeCert(c *x509.Certificate) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.Raw})
}

// EncodeKey returns a private key as PKCS #8 PEM.
func EncodeKey(k crypto.Signer) ([]byte, error) {
	der, err := x509.MarshalPKCS8PrivateKey(k)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrKey, err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), nil
}

// ParseCertificate parses the first CERTIFICATE block of PEM data.
func ParseCertificate(p []byte) (*x509.Certificate, error) {
	for {
		var b *pem.Block
		b, p = pem.Decode(p)
		if b == nil {
			return nil, fmt.Errorf("%w: no CERTIFICATE block", ErrPEM)
		}
		if b.Type == "CERTIFICATE" {
			c, err := x509.ParseCertificate(b.Bytes)
			if err != nil {
				return nil, fmt.Errorf("%w: %v", ErrPEM, err)
			}
			return c, nil
		}
	}
}

// ParseKey parses a PEM private key (PKCS #8, SEC 1 EC or PKCS #1 RSA).
func ParseKey(p []byte) (crypto.Signer, error) {
	for {
		var b *pem.Block
		b, p = pem.Decode(p)
		if b == nil {
			return nil, fmt.Errorf("%w: no private key block", ErrKey)
		}
		var k any
		var err error
		switch b.Type {
		case "PRIVATE KEY":
			k, err = x509.ParsePKCS8PrivateKey(b.Bytes)
		case "EC PRIVATE KEY":
			k, err = x509.ParseECPrivateKey(b.Bytes)
		case "RSA PRIVATE KEY":
			k, err = x509.ParsePKCS1PrivateKey(b.Bytes)
		default:
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("%w: %v", ErrKey, err)
		}
		s, ok := k.(crypto.Signer)
		if !ok {
			return nil, fmt.Errorf("%w: %T is not a signing key", ErrKey, k)
		}
		return s, nil
	}
}

// ServerTLS returns a TLS config for a server with the given certificate
// that asks for (but does not require) client certificates, so a request
// may authenticate by certificate or by token; the API server's
// CertAuthenticator verifies presented certificates against the CA.
func ServerTLS(certPEM, keyPEM []byte) (*tls.Config, error) {
	cert, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		return nil, err
	}
	return &tls.Config{
		MinVersion:   tls.VersionTLS12,
		Certificates: []tls.Certificate{cert},
		ClientAuth:   tls.RequestClientCert,
		NextProtos:   []string{"h2", "http/1.1"},
	}, nil
}

// PeerTLS returns a mutual-TLS config for raft peers: each side presents
// its certificate and verifies the other's against the CA.
func (ca *CA) PeerTLS(certPEM, keyPEM []byte) (*tls.Config, error) {
	cert, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		return nil, err
	}
	return &tls.Config{
		MinVersion:   tls.VersionTLS12,
		Certificates: []tls.Certificate{cert},
		ClientAuth:   tls.RequireAndVerifyClientCert,
		ClientCAs:    ca.Pool(),
		RootCAs:      ca.Pool(),
	}, nil
}
