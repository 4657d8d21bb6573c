#pragma once
// flint's CA material on disk: a self-signed root, the intermediate that signs ACME leaves, and
// the certificate of flint's own HTTPS listener, all in one data directory.
//
//   root.pem          ECDSA P-384, self-signed, 10 years                      0644
//   root.key          its key; written once, never read again (may be moved offline)  0600
//   intermediate.pem  ECDSA P-256, pathlen:0, 5 years, signed by the root     0644
//   intermediate.key  its key, the one flint signs with                       0600
//   tls.pem           listener leaf (1 year, from the intermediate) + intermediate  0644
//   tls.key           its key                                                 0600
//   ca.json           marker written last: {"format":1,"created":...,"root_sha256":...,
//                     "chain_length":N,"alternate_roots":M}
//
// With a CaShape other than the default (one intermediate, no alternate root), also:
//   chain.pem             the chain_length - 1 intermediates between intermediate.pem and the
//                         root, the one that signed intermediate.pem first             0644
//   alternate-K.pem       alternate hierarchy K (1..M): the intermediate's cross-certificate
//                         (same subject and key as intermediate.pem), the intermediates above
//                         it, and last the alternate root K                             0644
//   alternate-K-root.key  that root's key; written once, never read by `flint serve`    0600
// The extra intermediates' keys exist only while the CA is created. Every hierarchy ends in the
// same issuing key and subject, so one leaf verifies under each root (as cross-signing does).

#include <openssl/evp.h>
#include <openssl/x509.h>

#include <memory>
#include <string>
#include <vector>

#include "ca/issuer.h"
#include "core/clock.h"
#include "core/random.h"
#include "core/result.h"

namespace flint::ca {

inline constexpr char kRootCertFile[] = "root.pem";
inline constexpr char kRootKeyFile[] = "root.key";
inline constexpr char kIntermediateCertFile[] = "intermediate.pem";
inline constexpr char kIntermediateKeyFile[] = "intermediate.key";
inline constexpr char kTlsCertFile[] = "tls.pem";
inline constexpr char kTlsKeyFile[] = "tls.key";
inline constexpr char kCaMarkerFile[] = "ca.json";

// The shape of a new CA's hierarchies (Pebble's PEBBLE_CHAIN_LENGTH and PEBBLE_ALTERNATE_ROOTS).
struct CaShape {
  static constexpr int kMaxChainLength = 8;
  static constexpr int kMaxAlternateRoots = 8;
  int chain_length = 1;     // intermediates between a leaf and its root, 1..kMaxChainLength
  int alternate_roots = 0;  // hierarchies besides root.pem's, 0..kMaxAlternateRoots
};

// One hierarchy a leaf can be served with (RFC 8555 §7.4.2 alternate chains).
struct IssuerChain {
  std::shared_ptr<X509> root;
  std::string root_pem;
  // What follows the leaf in application/pem-certificate-chain: the issuing intermediate (or its
  // cross-certificate) first, then each certificate above it, the root excluded.
  std::string chain_pem;
};

// Everything flint needs at serve time. The root's private key is deliberately absent.
struct CaMaterial {
  std::string dir;
  std::shared_ptr<X509> root_cert;
  std::shared_ptr<X509> intermediate_cert;
  std::shared_ptr<EVP_PKEY> intermediate_key;
  std::shared_ptr<X509> tls_cert;
  std::shared_ptr<EVP_PKEY> tls_key;
  std::string root_pem;
  std::string intermediate_pem;
  std::string tls_chain_pem;  // tls leaf then chains[0].chain_pem
  std::string tls_cert_path;  // dir + "/tls.pem"
  std::string tls_key_path;   // dir + "/tls.key"
  // chains[0] ends in root.pem; chains[K] in alternate root K. Never empty.
  std::vector<IssuerChain> chains;
  CaShape shape;              // as created (recorded in ca.json)
  bool created = false;       // this call generated a new CA
  bool tls_reissued = false;  // this call re-issued the listener certificate
};

// Loads the CA from `data_dir`, or creates one there if the directory is missing or holds none
// of the CA files, no marker and none of `needs_ca`: files of the same directory that other
// parts of flint write only once a CA exists (the store, named by cmd), so one of them without
// a CA means the CA was lost and a new one would not match what they record.
//
// `extra_tls_names` are added to the listener certificate's SAN besides localhost, 127.0.0.1
// and ::1: IP literals become iPAddress entries, anything else a (lowercased) dNSName.
// On load, the chain is checked (intermediate signed by root, listener by intermediate, keys
// match certificates, root matches the marker's fingerprint, none expired); if the listener
// certificate expires within 30 days or lacks a requested name, it alone is re-issued (same
// key, tls.pem replaced atomically).
//
// Never creates a CA over existing material: a CA file without the marker (an interrupted
// creation), a missing, unreadable, corrupt or mismatched file, or a `needs_ca` file without a CA all
// return kInternal with an operator-facing detail naming the file; nothing is written then.
// kMalformed if an extra TLS name is neither an IP literal nor a valid DNS name, or if `shape`
// is out of its bounds. `shape` applies only when a CA is created; a loaded CA keeps the shape
// its ca.json records (each hierarchy is checked as the primary one is).
// Never logs; no key material appears in any error.
[[nodiscard]] core::Result<CaMaterial> LoadOrCreateCa(
    const std::string& data_dir, const std::vector<std::string>& extra_tls_names,
    const core::Clock& clock, core::Random& random, const std::vector<std::string>& needs_ca = {},
    const CaShape& shape = {});

// The file names of alternate hierarchy `k` (1-based): "alternate-K.pem", "alternate-K-root.key".
std::string AlternateChainFile(int k);
std::string AlternateRootKeyFile(int k);

// An Issuer signing with the intermediate key from `material` (a KeySigner) and appending
// chains[0] (the intermediate, and those above it) to every chain.
std::unique_ptr<Issuer> NewIntermediateIssuer(const CaMaterial& material, core::Random& random);

}  // namespace flint::ca
