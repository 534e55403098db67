// Package pki is the cluster's certificate authority: it creates (or
// loads) an ECDSA P-256 CA, issues server certificates for the API and raft
// ports (with the IP and DNS names clients dial in their SANs) and client
// certificates whose subject carries the identity the API server
// authenticates (CommonName = user, Organization = groups), signs
// certificate requests of joining nodes, and computes the CA hash a joining
// node pins, exactly as kubeadm does:
//
//	sha256:<hex of SHA-256 of the CA certificate's DER SubjectPublicKeyInfo>
//
// Randomness and time are injected (Config.Rand, Config.Clock), so tests
// are repeatable. A *CA is safe for concurrent use.
package pki
