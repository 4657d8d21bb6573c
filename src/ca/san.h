#pragma once
// The one reader of subjectAltName entries (RFC 5280 §4.2.1.6) in flint: for the CSRs clients
// send, the certificates they present for revocation, and the listener certificate flint checks
// on start. Each caller decides what to refuse; the reading is the same everywhere.

#include <openssl/x509v3.h>

#include <string>
#include <vector>

#include "core/types.h"

namespace flint::ca {

struct SanName {
  enum class Kind { kDns, kIp, kOther };
  Kind kind = Kind::kOther;
  // kDns: the IA5String bytes, ASCII-lowercased (RFC 4343), unchecked otherwise;
  // kIp: canonical text (dotted quad or RFC 5952), empty when the octets are not 4 or 16;
  // kOther: empty (a name type flint neither issues nor accepts).
  std::string value;
};

SanName ReadSanName(const GENERAL_NAME* name);

// Whether a dNSName read by ReadSanName is non-empty printable ASCII without spaces.
bool IsPrintableDnsName(const std::string& value);

// The dNSName and iPAddress entries of `cert`'s subjectAltName as identifiers, in certificate
// order; other name types, empty or non-printable dNSNames and iPAddresses that are not 4 or 16
// octets are skipped. Empty when the certificate has no (readable) subjectAltName.
std::vector<core::Identifier> SanIdentifiers(X509* cert);

}  // namespace flint::ca
