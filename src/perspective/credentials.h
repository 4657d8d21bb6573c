#pragma once
// Mutual-TLS credentials between the CA and its remote perspectives (`flint va-agent`), minted
// by the CA itself: a small private "perspective CA" kept in the CA's data directory issues the
// CA's client certificate and each agent's server certificate. Each side trusts that CA only
// (never the system store, never the ACME CA), and checks the peer's role and name:
//
//   DATA/perspectives/            0700
//     ca.pem      perspective CA: ECDSA P-256, self-signed, 10 years, pathlen:0     0644
//     ca.key      its key; only `flint admin perspective add` reads it                0600
//     client.pem  the CA's client certificate: SAN dNSName "flint-ca", EKU clientAuth, 2 years
//     client.key  its key                                                             0600
//   AGENTDIR/ (`flint admin perspective add NAME --out AGENTDIR`)   0700
//     agent.pem   the agent's certificate: SAN dNSName NAME, EKU serverAuth, 2 years   0644
//     agent.key   its key                                                             0600
//     ca.pem      the trust anchor (a copy of the perspective CA's certificate)       0644
//     agent.json  {"format":1,"name":NAME}                                            0644
//
// The agent accepts only a client certificate from the perspective CA with EKU clientAuth and
// the name "flint-ca"; the CA accepts only a server certificate from it with EKU serverAuth and
// the name it configured for that agent (--perspective NAME=URL), whatever the URL's host.
// Keys are written 0600 from their first byte (ca::WriteFileAtomic), never logged, and never
// appear in an error.

#include <string>
#include <string_view>

#include "core/clock.h"
#include "core/random.h"
#include "core/result.h"

namespace flint::perspective {

inline constexpr char kPerspectiveDir[] = "perspectives";
inline constexpr char kCaCertFile[] = "ca.pem";
inline constexpr char kCaKeyFile[] = "ca.key";
inline constexpr char kClientCertFile[] = "client.pem";
inline constexpr char kClientKeyFile[] = "client.key";
inline constexpr char kAgentCertFile[] = "agent.pem";
inline constexpr char kAgentKeyFile[] = "agent.key";
inline constexpr char kAgentTrustFile[] = "ca.pem";
inline constexpr char kAgentConfigFile[] = "agent.json";
// The name in the CA's client certificate, which agents require.
inline constexpr char kCaClientName[] = "flint-ca";

// A perspective name: 1 to 32 of a-z, 0-9 and '-', not starting or ending with '-' (a DNS
// label, so it can be the certificate's dNSName), and neither "primary" (the CA's own
// perspective in reports) nor "flint-ca" (the client's name).
bool ValidPerspectiveName(std::string_view name);

// What one side presents and trusts, PEM.
struct TlsIdentity {
  std::string name;       // own name: the agent's NAME, or kCaClientName
  std::string cert_pem;   // own certificate
  std::string key_pem;    // own key; wipe after use (ca::Cleanse)
  std::string trust_pem;  // the perspective CA certificate, the only trust anchor
};

// `flint admin perspective add`: creates DATA/perspectives (with the perspective CA and the CA's
// client certificate) if it has none yet, then issues a new certificate for agent `name` and
// writes AGENTDIR (created 0700 if missing; files of an earlier run replaced atomically).
// kMalformed for an invalid name; kInternal naming the file on any I/O or OpenSSL failure.
[[nodiscard]] core::Result<void> MintAgent(const std::string& data_dir, const std::string& name,
                                           const std::string& agent_dir,
                                           const core::Clock& clock, core::Random& random);

// `flint serve --perspective`: the CA's client identity. kNotFound (saying to run `flint admin
// perspective add`) when DATA/perspectives has none; kInternal when a file is unreadable.
[[nodiscard]] core::Result<TlsIdentity> LoadCaClientIdentity(const std::string& data_dir);

// `flint va-agent --data AGENTDIR`: the agent's identity. kNotFound or kInternal naming the file.
[[nodiscard]] core::Result<TlsIdentity> LoadAgentIdentity(const std::string& agent_dir);

}  // namespace flint::perspective
