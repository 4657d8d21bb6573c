// tls-alpn-01 (RFC 8737; RFC 8738 §6 for IP identifiers).

#include <arpa/inet.h>
#include <openssl/objects.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <cctype>
#include <cstring>
#include <memory>

#include "core/ascii.h"
#include "va/challenges.h"

namespace flint::va::internal {
namespace {

using core::Err;
using core::ErrorType;
using core::Result;

constexpr std::string_view kAcmeTls1 = "acme-tls/1";
// RFC 8737 §6.1: id-pe-acmeIdentifier.
constexpr const char* kAcmeIdentifierOid = "1.3.6.1.5.5.7.1.31";

// RFC 8738 §6: for an IP identifier the SNI is its reverse-mapping name (RFC 1035 §3.5,
// RFC 3596 §2.5).
std::string ReverseName(const std::string& ip) {
  uint8_t b[16];
  if (inet_pton(AF_INET, ip.c_str(), b) == 1) {
    return std::to_string(b[3]) + "." + std::to_string(b[2]) + "." + std::to_string(b[1]) + "." +
           std::to_string(b[0]) + ".in-addr.arpa";
  }
  inet_pton(AF_INET6, ip.c_str(), b);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (int i = 15; i >= 0; --i) {
    out += kHex[b[i] & 0x0f];
    out += '.';
    out += kHex[b[i] >> 4];
    out += '.';
  }
  return out + "ip6.arpa";
}

core::Error BadCert(const std::string& who, std::string_view why) {
  return Err(ErrorType::kUnauthorized,
             "Incorrect validation certificate for tls-alpn-01 challenge from " + who + ": " +
                 std::string(why));
}

// RFC 8737 §3: exactly one subjectAltName entry, equal to the identifier.
Result<void> CheckSan(X509* cert, const core::Identifier& id, const std::string& who) {
  int crit = 0;
  std::unique_ptr<GENERAL_NAMES, void (*)(GENERAL_NAMES*)> sans(
      static_cast<GENERAL_NAMES*>(X509_get_ext_d2i(cert, NID_subject_alt_name, &crit, nullptr)),
      GENERAL_NAMES_free);
  if (sans == nullptr) return BadCert(who, "no subjectAltName extension");
  int count = sk_GENERAL_NAME_num(sans.get());
  if (count != 1) {
    return BadCert(who, "subjectAltName must hold exactly one name, found " +
                            std::to_string(count));
  }
  const GENERAL_NAME* name = sk_GENERAL_NAME_value(sans.get(), 0);
  if (id.type == core::IdentifierType::kDns) {
    if (name->type != GEN_DNS) return BadCert(who, "subjectAltName is not a dNSName");
    std::string_view dns(reinterpret_cast<const char*>(ASN1_STRING_get0_data(name->d.dNSName)),
                         static_cast<size_t>(ASN1_STRING_length(name->d.dNSName)));
    if (!core::IEquals(dns, id.value)) {
      return BadCert(who, "subjectAltName is \"" + Excerpt(dns, 100) + "\", not " + id.value);
    }
    return core::Ok();
  }
  if (name->type != GEN_IPADD) return BadCert(who, "subjectAltName is not an iPAddress");
  uint8_t want[16];
  size_t want_len = 4;
  if (inet_pton(AF_INET, id.value.c_str(), want) != 1) {
    inet_pton(AF_INET6, id.value.c_str(), want);
    want_len = 16;
  }
  const ASN1_OCTET_STRING* got = name->d.iPAddress;
  if (static_cast<size_t>(ASN1_STRING_length(got)) != want_len ||
      memcmp(ASN1_STRING_get0_data(got), want, want_len) != 0) {
    return BadCert(who, "subjectAltName iPAddress is not " + id.value);
  }
  return core::Ok();
}

// RFC 8737 §3: a critical acmeIdentifier extension whose value is the DER OCTET STRING holding
// SHA-256(key authorization).
Result<void> CheckAcmeIdentifier(X509* cert, const std::string& key_authorization,
                                 const std::string& who) {
  std::unique_ptr<ASN1_OBJECT, void (*)(ASN1_OBJECT*)> oid(OBJ_txt2obj(kAcmeIdentifierOid, 1),
                                                           ASN1_OBJECT_free);
  int index = X509_get_ext_by_OBJ(cert, oid.get(), -1);
  if (index < 0) return BadCert(who, "no acmeIdentifier extension");
  if (X509_get_ext_by_OBJ(cert, oid.get(), index) >= 0) {
    return BadCert(who, "more than one acmeIdentifier extension");
  }
  X509_EXTENSION* ext = X509_get_ext(cert, index);
  if (X509_EXTENSION_get_critical(ext) != 1) {
    return BadCert(who, "acmeIdentifier extension is not critical");
  }
  const ASN1_OCTET_STRING* ext_value = X509_EXTENSION_get_data(ext);
  const unsigned char* p = ASN1_STRING_get0_data(ext_value);
  long len = ASN1_STRING_length(ext_value);
  std::unique_ptr<ASN1_OCTET_STRING, void (*)(ASN1_OCTET_STRING*)> digest(
      d2i_ASN1_OCTET_STRING(nullptr, &p, len), ASN1_OCTET_STRING_free);
  if (digest == nullptr || p != ASN1_STRING_get0_data(ext_value) + len ||
      ASN1_STRING_length(digest.get()) != 32) {
    return BadCert(who, "acmeIdentifier extension is not an OCTET STRING of 32 bytes");
  }
  std::string got(reinterpret_cast<const char*>(ASN1_STRING_get0_data(digest.get())), 32);
  std::string want = Sha256(key_authorization);
  if (got != want) {
    return Err(ErrorType::kIncorrectResponse,
               "Incorrect validation certificate for tls-alpn-01 challenge from " + who +
                   ": acmeIdentifier is " + Base64Url(got) + ", expected " + Base64Url(want) +
                   " (base64url of SHA-256 of the key authorization)");
  }
  return core::Ok();
}

}  // namespace

Task<Result<void>> ValidateTlsAlpn01(Attempt& at, const VaOptions& options, Resolver& resolver,
                                     const core::Identifier& id,
                                     const std::string& key_authorization) {
  core::Identifier target = id;
  bool is_ip = id.type == core::IdentifierType::kIp;
  if (is_ip) {
    FLINT_CO_ASSIGN_OR_RETURN(target.value, NormalizeIp(id.value));
  } else {
    FLINT_CO_ASSIGN_OR_RETURN(target.value, NormalizeDnsName(id.value));
  }
  const std::string who = (is_ip && target.value.find(':') != std::string::npos
                               ? "[" + target.value + "]" : target.value) +
                          ":" + std::to_string(options.tlsalpn01_port);
  auto prefixed = [&](core::Error e) {
    e.detail = who + ": " + e.detail;
    return e;
  };
  FLINT_CO_ASSIGN_OR_RETURN(std::vector<std::string> addresses,
                            co_await ResolveTargets(at, options, resolver, target.value, is_ip));
  Result<Conn> conn = co_await ConnectFirst(at, addresses, options.tlsalpn01_port);
  if (!conn.ok()) co_return prefixed(std::move(conn).error());
  Conn::TlsOptions tls;
  tls.sni = is_ip ? ReverseName(target.value) : target.value;
  tls.alpn_wire = std::string(1, static_cast<char>(kAcmeTls1.size())) + std::string(kAcmeTls1);
  Result<void> handshake = co_await conn->Handshake(at, tls);
  if (!handshake.ok()) co_return prefixed(std::move(handshake).error());
  // RFC 8737 §4: the server must negotiate acme-tls/1.
  const unsigned char* proto = nullptr;
  unsigned proto_len = 0;
  SSL_get0_alpn_selected(conn->ssl(), &proto, &proto_len);
  if (proto == nullptr ||
      std::string_view(reinterpret_cast<const char*>(proto), proto_len) != kAcmeTls1) {
    co_return Err(ErrorType::kTls, who + ": server did not negotiate the acme-tls/1 protocol");
  }
  std::unique_ptr<X509, void (*)(X509*)> cert(SSL_get1_peer_certificate(conn->ssl()), X509_free);
  if (cert == nullptr) co_return Err(ErrorType::kTls, who + ": no certificate presented");
  FLINT_CO_TRY(CheckSan(cert.get(), target, who));
  co_return CheckAcmeIdentifier(cert.get(), key_authorization, who);
}

}  // namespace flint::va::internal
