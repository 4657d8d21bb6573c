#include "ca/ca_files.h"

#include <openssl/bn.h>
#include <openssl/err.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <boost/json.hpp>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <optional>

#include "ca/atomic_file.h"
#include "ca/openssl_util.h"
#include "ca/san.h"
#include "ca/signer.h"
#include "ca/x509_ext.h"
#include "core/ascii.h"
#include "core/json.h"

namespace flint::ca {
namespace {

using std::chrono::days;
using std::chrono::hours;

constexpr auto kBackdate = hours(1);        // tolerate clients whose clocks run a little slow
constexpr auto kRootLifetime = days(3652);  // 10 years
constexpr auto kIntermediateLifetime = days(1826);  // 5 years
constexpr auto kTlsLifetime = days(365);
constexpr auto kTlsRenewBefore = days(30);
constexpr int64_t kMarkerFormat = 1;
constexpr mode_t kKeyMode = 0600;
constexpr mode_t kCertMode = 0644;

constexpr char kChainFile[] = "chain.pem";

const char* const kCaFiles[] = {
    kRootCertFile, kRootKeyFile, kIntermediateCertFile, kIntermediateKeyFile, kTlsCertFile,
    kTlsKeyFile,   kChainFile};

// The one message shape for a directory flint will not touch.
core::Error Refuse(const std::string& dir, const std::string& what, const std::string& problem) {
  ERR_clear_error();
  return core::Err(core::ErrorType::kInternal,
                   "CA directory " + dir + ": " + what + " " + problem +
                       "; refusing to create a new CA over it. Restore the CA files from a "
                       "backup, or move the directory away to start a new CA (certificates "
                       "issued so far would then chain to a different root).");
}

bool PathExists(const std::string& path) {
  struct stat st {};
  // Anything but a clear "does not exist" counts as present: never create over the unknown.
  return ::lstat(path.c_str(), &st) == 0 || errno != ENOENT;
}

// localhost, 127.0.0.1, ::1, then the extra names, canonical and without duplicates.
core::Result<std::vector<core::Identifier>> TlsIdentifiers(const std::vector<std::string>& extra) {
  std::vector<core::Identifier> ids = {{core::IdentifierType::kDns, "localhost"},
                                       {core::IdentifierType::kIp, "127.0.0.1"},
                                       {core::IdentifierType::kIp, "::1"}};
  for (const std::string& name : extra) {
    core::Identifier id;
    std::string ip = IpTextToBytes(name);
    if (!ip.empty()) {
      id = {core::IdentifierType::kIp, IpBytesToText(ip)};
    } else {
      id = {core::IdentifierType::kDns, name};
      core::AsciiLowerInPlace(id.value);
      if (!IsIssuableDnsName(id.value)) {
        return core::Err(core::ErrorType::kMalformed,
                         "TLS name \"" + name + "\" is neither an IP address nor a DNS name");
      }
    }
    if (std::find(ids.begin(), ids.end(), id) == ids.end()) ids.push_back(std::move(id));
  }
  return ids;
}

core::Result<void> SetRandomSerial(X509* cert, core::Random& random) {
  std::string bytes = random.Bytes(16);
  if (bytes.size() != 16) return core::Err(core::ErrorType::kInternal, "short random read");
  bytes[0] = static_cast<char>(bytes[0] & 0x7f);  // positive (RFC 5280 §4.1.2.2)
  bytes[15] = static_cast<char>(bytes[15] | 1);   // non-zero
  UniqueBignum bn(BN_bin2bn(reinterpret_cast<const unsigned char*>(bytes.data()), 16, nullptr));
  if (!bn || BN_to_ASN1_INTEGER(bn.get(), X509_get_serialNumber(cert)) == nullptr) {
    return OpenSslError("CA certificate serial");
  }
  return core::Ok();
}

// DER round trip, so the in-memory certificate is exactly what is written and OpenSSL's cached
// extension data is computed from the final encoding.
core::Result<UniqueX509> Reparse(X509* cert) {
  FLINT_ASSIGN_OR_RETURN(std::string der, CertToDer(cert));
  const auto* p = reinterpret_cast<const unsigned char*>(der.data());
  UniqueX509 out(d2i_X509(nullptr, &p, static_cast<long>(der.size())));
  if (!out) return OpenSslError("re-reading certificate");
  return out;
}

struct CaCertSpec {
  std::string common_name;
  EVP_PKEY* key = nullptr;  // the subject's key
  X509* issuer = nullptr;   // nullptr: self-signed
  const Signer* signer = nullptr;
  core::TimePoint not_before;
  core::TimePoint not_after;
  int path_len = -1;  // -1: no pathLenConstraint
  int key_usage = 0;
  std::vector<int> eku;  // empty: no extendedKeyUsage
};

core::Result<void> SetCaSubject(X509* cert, const CaCertSpec& spec) {
  UniqueX509Name name(X509_NAME_new());
  auto add = [&](int nid, const std::string& value) {
    return X509_NAME_add_entry_by_NID(name.get(), nid, MBSTRING_UTF8,
                                      reinterpret_cast<const unsigned char*>(value.data()),
                                      static_cast<int>(value.size()), -1, 0) == 1;
  };
  if (!name || !add(NID_organizationName, "flint") || !add(NID_commonName, spec.common_name) ||
      X509_set_subject_name(cert, name.get()) != 1 ||
      X509_set_issuer_name(
          cert, spec.issuer != nullptr ? X509_get_subject_name(spec.issuer) : name.get()) != 1) {
    return OpenSslError("CA certificate names");
  }
  return core::Ok();
}

core::Result<UniqueX509> BuildCaCert(const CaCertSpec& spec, core::Random& random) {
  UniqueX509 cert(X509_new());
  if (!cert || X509_set_version(cert.get(), X509_VERSION_3) != 1) return OpenSslError("X509_new");
  FLINT_TRY(SetRandomSerial(cert.get(), random));
  FLINT_TRY(SetCaSubject(cert.get(), spec));
  FLINT_ASSIGN_OR_RETURN(UniqueAsn1Time not_before, ToAsn1Time(spec.not_before));
  FLINT_ASSIGN_OR_RETURN(UniqueAsn1Time not_after, ToAsn1Time(spec.not_after));
  if (X509_set1_notBefore(cert.get(), not_before.get()) != 1 ||
      X509_set1_notAfter(cert.get(), not_after.get()) != 1 ||
      X509_set_pubkey(cert.get(), spec.key) != 1) {
    return OpenSslError("CA certificate fields");
  }
  FLINT_TRY(AddBasicConstraints(cert.get(), /*is_ca=*/true, spec.path_len));
  FLINT_TRY(AddKeyUsage(cert.get(), spec.key_usage));
  if (!spec.eku.empty()) FLINT_TRY(AddExtendedKeyUsage(cert.get(), spec.eku));
  FLINT_TRY(AddSubjectKeyId(cert.get()));
  if (spec.issuer != nullptr) FLINT_TRY(AddAuthorityKeyId(cert.get(), spec.issuer));
  FLINT_TRY(spec.signer->SignCertificate(cert.get()));
  return Reparse(cert.get());
}

// Issues the listener certificate for `key` from the intermediate in `m`.
core::Result<IssuedCertificate> IssueTlsCert(const CaMaterial& m, EVP_PKEY* key,
                                             const std::vector<core::Identifier>& ids,
                                             core::TimePoint now, core::Random& random) {
  FLINT_ASSIGN_OR_RETURN(core::TimePoint issuer_end,
                         FromAsn1Time(X509_get0_notAfter(m.intermediate_cert.get())));
  IssueRequest request;
  request.identifiers = ids;
  request.public_key = key;
  request.not_before = now - kBackdate;
  request.not_after = std::min<core::TimePoint>(now + kTlsLifetime, issuer_end);
  return NewIntermediateIssuer(m, random)->Issue(request);
}

core::Result<void> AdoptTlsCert(CaMaterial& m, const IssuedCertificate& issued) {
  const auto* p = reinterpret_cast<const unsigned char*>(issued.der.data());
  UniqueX509 leaf(d2i_X509(nullptr, &p, static_cast<long>(issued.der.size())));
  if (!leaf) return OpenSslError("re-reading listener certificate");
  m.tls_cert = ShareX509(std::move(leaf));
  m.tls_chain_pem = issued.chain_pem;
  return core::Ok();
}

struct PendingFile {
  std::string name;
  std::string content;
  mode_t mode;
};

// Writes the files in order; on failure removes those this call already wrote, so a failed
// creation (disk full, permissions) does not leave a half-written CA behind.
core::Result<void> WriteNewCaFiles(const std::string& dir, std::vector<PendingFile>& files,
                                   core::Random& random) {
  core::Result<void> result = core::Ok();
  size_t written = 0;
  for (; written < files.size(); ++written) {
    const PendingFile& f = files[written];
    result = WriteFileAtomic(dir, f.name, f.content, f.mode, random);
    if (!result.ok()) break;
  }
  for (PendingFile& f : files) Cleanse(f.content);
  if (!result.ok()) {
    for (size_t i = 0; i < written; ++i) ::unlink((dir + "/" + files[i].name).c_str());
  }
  return result;
}

std::string MarkerJson(core::TimePoint now, X509* root, const CaShape& shape) {
  boost::json::object marker;
  marker["format"] = kMarkerFormat;
  marker["created"] = core::FormatRfc3339(now);
  marker["root_sha256"] = CertFingerprintSha256(root);
  marker["chain_length"] = shape.chain_length;
  marker["alternate_roots"] = shape.alternate_roots;
  return core::SerializeJson(marker) + "\n";
}

// One hierarchy as generated: a root, the intermediates under it, and at the bottom the issuing
// certificate for the CA's one issuing key.
struct BuiltHierarchy {
  std::shared_ptr<EVP_PKEY> root_key;
  UniqueX509 root;
  std::vector<UniqueX509> above_issuing;  // nearest the issuing certificate first
  UniqueX509 issuing;
};

// Builds a hierarchy of `chain_length` intermediates under a new P-384 root "flint root <tag>":
// "flint intermediate <tag> #N" down to #1 (each with a fresh P-256 key, used only here), then
// `issuing_cn` for `issuing_key`. pathLenConstraint counts the CA certificates below each one.
core::Result<BuiltHierarchy> BuildHierarchy(const std::string& tag, EVP_PKEY* issuing_key,
                                            const std::string& issuing_cn, int chain_length,
                                            core::TimePoint now, core::Random& random) {
  BuiltHierarchy h;
  FLINT_ASSIGN_OR_RETURN(UniquePkey root_key, GenerateEcKey("P-384"));
  h.root_key = SharePkey(std::move(root_key));
  auto signer = std::make_unique<KeySigner>(h.root_key);
  FLINT_ASSIGN_OR_RETURN(h.root, BuildCaCert({"flint root " + tag,
                                              h.root_key.get(),
                                              nullptr,
                                              signer.get(),
                                              now - kBackdate,
                                              now + kRootLifetime,
                                              -1,
                                              KU_KEY_CERT_SIGN | KU_CRL_SIGN,
                                              {}},
                                             random));
  X509* parent = h.root.get();
  std::vector<UniqueX509> top_down;
  for (int n = chain_length - 1; n >= 1; --n) {
    FLINT_ASSIGN_OR_RETURN(UniquePkey owned, GenerateEcKey("P-256"));
    std::shared_ptr<EVP_PKEY> key = SharePkey(std::move(owned));
    FLINT_ASSIGN_OR_RETURN(UniqueX509 cert,
                           BuildCaCert({"flint intermediate " + tag + " #" + std::to_string(n),
                                        key.get(),
                                        parent,
                                        signer.get(),
                                        now - kBackdate,
                                        now + kIntermediateLifetime,
                                        n,
                                        KU_KEY_CERT_SIGN | KU_CRL_SIGN,
                                        {NID_server_auth, NID_client_auth}},
                                       random));
    signer = std::make_unique<KeySigner>(key);
    parent = cert.get();
    top_down.push_back(std::move(cert));
  }
  FLINT_ASSIGN_OR_RETURN(h.issuing,
                         BuildCaCert({issuing_cn,
                                      issuing_key,
                                      parent,
                                      signer.get(),
                                      now - kBackdate,
                                      now + kIntermediateLifetime,
                                      0,
                                      KU_KEY_CERT_SIGN | KU_CRL_SIGN | KU_DIGITAL_SIGNATURE,
                                      {NID_server_auth, NID_client_auth}},
                                     random));
  for (auto it = top_down.rbegin(); it != top_down.rend(); ++it) {
    h.above_issuing.push_back(std::move(*it));
  }
  return h;
}

core::Result<std::string> CertsToPem(const std::vector<X509*>& certs) {
  std::string out;
  for (X509* c : certs) {
    FLINT_ASSIGN_OR_RETURN(std::string pem, CertToPem(c));
    out += pem;
  }
  return out;
}

// Writes a freshly generated CA: each key just before its certificate, the marker last.
// `root_keys[k]` is the key of chains[k]'s root; `chain_extra_pem` the content of chain.pem.
core::Result<void> WriteNewCa(const CaMaterial& m, const std::vector<EVP_PKEY*>& root_keys,
                              const std::string& chain_extra_pem,
                              const std::vector<std::string>& alternate_pems, core::TimePoint now,
                              core::Random& random) {
  std::vector<PendingFile> files;
  auto add_key = [&files](std::string name, EVP_PKEY* key) -> core::Result<void> {
    FLINT_ASSIGN_OR_RETURN(std::string pem, PrivateKeyToPem(key));
    files.push_back({std::move(name), std::move(pem), kKeyMode});
    return core::Ok();
  };
  core::Result<void> keys = add_key(kRootKeyFile, root_keys[0]);
  if (keys.ok()) {
    files.push_back({kRootCertFile, m.root_pem, kCertMode});
    keys = add_key(kIntermediateKeyFile, m.intermediate_key.get());
  }
  if (keys.ok()) {
    files.push_back({kIntermediateCertFile, m.intermediate_pem, kCertMode});
    if (!chain_extra_pem.empty()) files.push_back({kChainFile, chain_extra_pem, kCertMode});
  }
  for (size_t k = 1; keys.ok() && k < root_keys.size(); ++k) {
    keys = add_key(AlternateRootKeyFile(static_cast<int>(k)), root_keys[k]);
    if (keys.ok()) {
      files.push_back({AlternateChainFile(static_cast<int>(k)), alternate_pems[k - 1], kCertMode});
    }
  }
  if (keys.ok()) keys = add_key(kTlsKeyFile, m.tls_key.get());
  if (!keys.ok()) {
    for (PendingFile& f : files) Cleanse(f.content);
    return keys;
  }
  files.push_back({kTlsCertFile, m.tls_chain_pem, kCertMode});
  files.push_back({kCaMarkerFile, MarkerJson(now, m.root_cert.get(), m.shape), kCertMode});
  return WriteNewCaFiles(m.dir, files, random);
}

core::Result<CaMaterial> CreateCa(const std::string& dir, const std::vector<core::Identifier>& ids,
                                  const CaShape& shape, const core::Clock& clock,
                                  core::Random& random) {
  const core::TimePoint now = std::chrono::floor<std::chrono::seconds>(clock.Now());
  const std::string tag = HexEncode(random.Bytes(4));
  const std::string issuing_cn = "flint intermediate " + tag;
  FLINT_ASSIGN_OR_RETURN(UniquePkey intermediate_key, GenerateEcKey("P-256"));
  FLINT_ASSIGN_OR_RETURN(UniquePkey tls_key, GenerateEcKey("P-256"));

  // Step 1: each hierarchy, all ending in the one issuing key and subject.
  std::vector<BuiltHierarchy> built;
  for (int k = 0; k <= shape.alternate_roots; ++k) {
    const std::string root_tag = k == 0 ? tag : tag + " alternate " + std::to_string(k);
    FLINT_ASSIGN_OR_RETURN(BuiltHierarchy h,
                           BuildHierarchy(root_tag, intermediate_key.get(), issuing_cn,
                                          shape.chain_length, now, random));
    built.push_back(std::move(h));
  }
  CaMaterial m;
  m.dir = dir;
  m.tls_cert_path = dir + "/" + kTlsCertFile;
  m.tls_key_path = dir + "/" + kTlsKeyFile;
  m.created = true;
  m.shape = shape;
  std::string chain_extra_pem;
  std::vector<std::string> alternate_pems;
  std::vector<EVP_PKEY*> root_keys;
  for (size_t k = 0; k < built.size(); ++k) {
    BuiltHierarchy& h = built[k];
    std::vector<X509*> above;
    for (UniqueX509& c : h.above_issuing) above.push_back(c.get());
    FLINT_ASSIGN_OR_RETURN(std::string above_pem, CertsToPem(above));
    IssuerChain chain;
    FLINT_ASSIGN_OR_RETURN(chain.root_pem, CertToPem(h.root.get()));
    FLINT_ASSIGN_OR_RETURN(std::string issuing_pem, CertToPem(h.issuing.get()));
    chain.chain_pem = issuing_pem + above_pem;
    chain.root = ShareX509(std::move(h.root));
    root_keys.push_back(h.root_key.get());
    if (k == 0) {
      m.root_pem = chain.root_pem;
      m.root_cert = chain.root;
      m.intermediate_pem = issuing_pem;
      m.intermediate_cert = ShareX509(std::move(h.issuing));
      chain_extra_pem = above_pem;
    } else {
      alternate_pems.push_back(chain.chain_pem + chain.root_pem);
    }
    m.chains.push_back(std::move(chain));
  }
  m.intermediate_key = SharePkey(std::move(intermediate_key));
  m.tls_key = SharePkey(std::move(tls_key));

  // Step 2: the listener certificate.
  FLINT_ASSIGN_OR_RETURN(IssuedCertificate tls, IssueTlsCert(m, m.tls_key.get(), ids, now, random));
  FLINT_TRY(AdoptTlsCert(m, tls));

  // Step 3: the files, keys 0600 from creation, the marker last.
  FLINT_TRY(WriteNewCa(m, root_keys, chain_extra_pem, alternate_pems, now, random));
  return m;
}

// ---- Loading an existing CA ----

core::Result<std::string> ReadCaFile(const std::string& dir, const std::string& name) {
  auto content = ReadSmallFile(dir + "/" + name);
  if (content.ok()) return content;
  if (content.error().type == core::ErrorType::kNotFound) {
    return Refuse(dir, name, "is missing although ca.json marks the CA as complete");
  }
  return Refuse(dir, name, "cannot be read (" + content.error().detail + ")");
}

struct Marker {
  std::string root_sha256;
  CaShape shape;
};

// Reads an optional integer marker field within [lo, hi]; absent: `fallback`.
std::optional<int> MarkerInt(const boost::json::object& obj, const char* key, int fallback, int lo,
                             int hi) {
  const boost::json::value* v = obj.if_contains(key);
  if (v == nullptr) return fallback;
  if (!v->is_int64() || v->as_int64() < lo || v->as_int64() > hi) return std::nullopt;
  return static_cast<int>(v->as_int64());
}

// Returns the root fingerprint and the shape the marker records (a marker without a shape is
// from before alternate hierarchies: one intermediate, no alternate root).
core::Result<Marker> ReadMarker(const std::string& dir) {
  FLINT_ASSIGN_OR_RETURN(std::string text, ReadCaFile(dir, kCaMarkerFile));
  auto json = core::ParseStrictJson(text);
  const boost::json::object* obj = json.ok() ? json->if_object() : nullptr;
  const boost::json::value* format = obj != nullptr ? obj->if_contains("format") : nullptr;
  const boost::json::value* fp = obj != nullptr ? obj->if_contains("root_sha256") : nullptr;
  if (format == nullptr || !format->is_int64() || fp == nullptr || !fp->is_string()) {
    return Refuse(dir, kCaMarkerFile, "is not a valid CA marker");
  }
  if (format->as_int64() != kMarkerFormat) {
    return Refuse(dir, kCaMarkerFile,
                  "has format " + std::to_string(format->as_int64()) +
                      ", which this flint "
                      "does not understand");
  }
  std::optional<int> chain_length = MarkerInt(*obj, "chain_length", 1, 1, CaShape::kMaxChainLength);
  std::optional<int> alternate_roots =
      MarkerInt(*obj, "alternate_roots", 0, 0, CaShape::kMaxAlternateRoots);
  if (!chain_length || !alternate_roots) {
    return Refuse(dir, kCaMarkerFile, "records a chain_length or alternate_roots out of bounds");
  }
  return Marker{std::string(fp->as_string()), {*chain_length, *alternate_roots}};
}

core::Result<std::vector<UniqueX509>> LoadCerts(const std::string& dir, const std::string& name,
                                                size_t expected, std::string* pem_out) {
  FLINT_ASSIGN_OR_RETURN(std::string pem, ReadCaFile(dir, name));
  auto certs = ParsePemCertificates(pem);
  if (!certs.ok()) return Refuse(dir, name, "is corrupt (" + certs.error().detail + ")");
  if (certs->size() != expected) {
    return Refuse(dir, name,
                  "holds " + std::to_string(certs->size()) + " certificates, expected " +
                      std::to_string(expected));
  }
  if (pem_out != nullptr) *pem_out = std::move(pem);
  return std::move(certs).value();
}

core::Result<std::shared_ptr<EVP_PKEY>> LoadKeyFor(const std::string& dir, const char* name,
                                                   X509* cert, const char* cert_name) {
  FLINT_ASSIGN_OR_RETURN(std::string pem, ReadCaFile(dir, name));
  auto key = ParsePemPrivateKey(pem);
  Cleanse(pem);
  if (!key.ok()) return Refuse(dir, name, "is corrupt (not a readable unencrypted PEM key)");
  if (X509_check_private_key(cert, key->get()) != 1) {
    return Refuse(dir, name, std::string("does not match the key in ") + cert_name);
  }
  return SharePkey(std::move(key).value());
}

// `cert` (from file `name`) names `issuer` as its issuer, carries its key id, and verifies.
core::Result<void> CheckIssuedBy(const std::string& dir, const std::string& name, X509* cert,
                                 X509* issuer, const std::string& issuer_name) {
  if (X509_check_issued(issuer, cert) != X509_V_OK ||
      X509_verify(cert, X509_get0_pubkey(issuer)) != 1) {
    return Refuse(dir, name, "is not signed by " + issuer_name);
  }
  return core::Ok();
}

core::Result<void> CheckCaCert(const std::string& dir, const std::string& name, X509* cert,
                               core::TimePoint now) {
  if (X509_check_ca(cert) == 0) return Refuse(dir, name, "is not a CA certificate");
  auto not_after = FromAsn1Time(X509_get0_notAfter(cert));
  if (!not_after.ok()) return Refuse(dir, name, "has an unreadable notAfter");
  if (*not_after <= now) {
    return Refuse(dir, name, "expired at " + core::FormatRfc3339(*not_after));
  }
  return core::Ok();
}

bool TlsCertNeedsReissue(X509* leaf, const std::vector<core::Identifier>& ids,
                         core::TimePoint now) {
  auto not_after = FromAsn1Time(X509_get0_notAfter(leaf));
  ERR_clear_error();
  if (!not_after.ok() || *not_after - now < kTlsRenewBefore) return true;
  std::vector<core::Identifier> present = SanIdentifiers(leaf);
  return std::any_of(ids.begin(), ids.end(), [&](const core::Identifier& id) {
    return std::find(present.begin(), present.end(), id) == present.end();
  });
}

// Checks that `certs` (from file `name`) form a path upwards: each certificate is a CA
// certificate in force and is signed by the next one; the last by `top` (itself if null).
core::Result<void> CheckPathUp(const std::string& dir, const std::string& name,
                               const std::vector<UniqueX509>& certs, X509* top,
                               const std::string& top_name, core::TimePoint now) {
  for (size_t i = 0; i < certs.size(); ++i) {
    FLINT_TRY(CheckCaCert(dir, name, certs[i].get(), now));
    const bool last = i + 1 == certs.size();
    X509* issuer = !last ? certs[i + 1].get() : (top != nullptr ? top : certs[i].get());
    FLINT_TRY(CheckIssuedBy(dir, name, certs[i].get(), issuer,
                            !last ? name : (top != nullptr ? top_name : "itself")));
  }
  return core::Ok();
}

// Alternate hierarchy `k`: the issuing intermediate's cross-certificate (same subject and key),
// the intermediates above it, and its self-signed root.
core::Result<IssuerChain> LoadAlternate(const CaMaterial& m, int k, core::TimePoint now) {
  const std::string name = AlternateChainFile(k);
  FLINT_ASSIGN_OR_RETURN(
      auto certs, LoadCerts(m.dir, name, static_cast<size_t>(m.shape.chain_length) + 1, nullptr));
  X509* cross = certs[0].get();
  if (X509_NAME_cmp(X509_get_subject_name(cross),
                    X509_get_subject_name(m.intermediate_cert.get())) != 0 ||
      EVP_PKEY_eq(X509_get0_pubkey(cross), m.intermediate_key.get()) != 1) {
    return Refuse(m.dir, name, "does not start with a certificate for intermediate.key");
  }
  FLINT_TRY(CheckPathUp(m.dir, name, certs, nullptr, "", now));
  IssuerChain chain;
  std::vector<X509*> below_root;
  for (size_t i = 0; i + 1 < certs.size(); ++i) below_root.push_back(certs[i].get());
  FLINT_ASSIGN_OR_RETURN(chain.chain_pem, CertsToPem(below_root));
  FLINT_ASSIGN_OR_RETURN(chain.root_pem, CertToPem(certs.back().get()));
  chain.root = ShareX509(std::move(certs.back()));
  return chain;
}

core::Result<void> LoadRootAndIntermediate(CaMaterial& m, core::TimePoint now) {
  const std::string& dir = m.dir;
  FLINT_ASSIGN_OR_RETURN(Marker marker, ReadMarker(dir));
  m.shape = marker.shape;
  FLINT_ASSIGN_OR_RETURN(auto roots, LoadCerts(dir, kRootCertFile, 1, &m.root_pem));
  if (CertFingerprintSha256(roots[0].get()) != marker.root_sha256) {
    return Refuse(dir, kRootCertFile, "is not the root recorded in ca.json");
  }
  FLINT_TRY(CheckIssuedBy(dir, kRootCertFile, roots[0].get(), roots[0].get(), "itself"));
  FLINT_TRY(CheckCaCert(dir, kRootCertFile, roots[0].get(), now));
  FLINT_ASSIGN_OR_RETURN(auto inters,
                         LoadCerts(dir, kIntermediateCertFile, 1, &m.intermediate_pem));
  std::string chain_extra_pem;
  if (m.shape.chain_length > 1) {
    FLINT_ASSIGN_OR_RETURN(auto extra,
                           LoadCerts(dir, kChainFile, static_cast<size_t>(m.shape.chain_length) - 1,
                                     &chain_extra_pem));
    FLINT_TRY(
        CheckIssuedBy(dir, kIntermediateCertFile, inters[0].get(), extra[0].get(), kChainFile));
    FLINT_TRY(CheckPathUp(dir, kChainFile, extra, roots[0].get(), kRootCertFile, now));
  } else {
    FLINT_TRY(
        CheckIssuedBy(dir, kIntermediateCertFile, inters[0].get(), roots[0].get(), kRootCertFile));
  }
  FLINT_TRY(CheckCaCert(dir, kIntermediateCertFile, inters[0].get(), now));
  FLINT_ASSIGN_OR_RETURN(m.intermediate_key, LoadKeyFor(dir, kIntermediateKeyFile, inters[0].get(),
                                                        kIntermediateCertFile));
  m.root_cert = ShareX509(std::move(roots[0]));
  m.intermediate_cert = ShareX509(std::move(inters[0]));
  m.chains.push_back({m.root_cert, m.root_pem, m.intermediate_pem + chain_extra_pem});
  for (int k = 1; k <= m.shape.alternate_roots; ++k) {
    FLINT_ASSIGN_OR_RETURN(IssuerChain alt, LoadAlternate(m, k, now));
    m.chains.push_back(std::move(alt));
  }
  return core::Ok();
}

core::Result<void> LoadTls(CaMaterial& m) {
  const std::string& dir = m.dir;
  FLINT_ASSIGN_OR_RETURN(auto chain,
                         LoadCerts(dir, kTlsCertFile, 1 + static_cast<size_t>(m.shape.chain_length),
                                   &m.tls_chain_pem));
  if (X509_cmp(chain[1].get(), m.intermediate_cert.get()) != 0) {
    return Refuse(dir, kTlsCertFile, "does not end with the certificate in intermediate.pem");
  }
  FLINT_TRY(CheckIssuedBy(dir, kTlsCertFile, chain[0].get(), m.intermediate_cert.get(),
                          kIntermediateCertFile));
  FLINT_ASSIGN_OR_RETURN(m.tls_key, LoadKeyFor(dir, kTlsKeyFile, chain[0].get(), kTlsCertFile));
  m.tls_cert = ShareX509(std::move(chain[0]));
  return core::Ok();
}

core::Result<CaMaterial> LoadCa(const std::string& dir, const std::vector<core::Identifier>& ids,
                                const core::Clock& clock, core::Random& random) {
  const core::TimePoint now = std::chrono::floor<std::chrono::seconds>(clock.Now());
  CaMaterial m;
  m.dir = dir;
  m.tls_cert_path = dir + "/" + kTlsCertFile;
  m.tls_key_path = dir + "/" + kTlsKeyFile;
  // Step 1: everything is read and cross-checked before anything is written.
  FLINT_TRY(LoadRootAndIntermediate(m, now));
  FLINT_TRY(LoadTls(m));
  ERR_clear_error();
  // Step 2: renew the listener certificate (same key) when it is close to expiry or lacks a name.
  if (TlsCertNeedsReissue(m.tls_cert.get(), ids, now)) {
    FLINT_ASSIGN_OR_RETURN(IssuedCertificate tls,
                           IssueTlsCert(m, m.tls_key.get(), ids, now, random));
    FLINT_TRY(WriteFileAtomic(dir, kTlsCertFile, tls.chain_pem, kCertMode, random));
    FLINT_TRY(AdoptTlsCert(m, tls));
    m.tls_reissued = true;
  }
  return m;
}

core::Result<void> MakeDataDir(const std::string& dir) {
  std::filesystem::path parent = std::filesystem::path(dir).parent_path();
  std::error_code ec;
  if (!parent.empty()) std::filesystem::create_directories(parent, ec);
  if (ec) {
    return core::Err(core::ErrorType::kInternal,
                     "creating " + parent.string() + ": " + ec.message());
  }
  if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) {
    return core::Err(core::ErrorType::kInternal,
                     "creating CA directory " + dir + ": " + std::strerror(errno));
  }
  return core::Ok();
}

}  // namespace

std::string AlternateChainFile(int k) { return "alternate-" + std::to_string(k) + ".pem"; }
std::string AlternateRootKeyFile(int k) { return "alternate-" + std::to_string(k) + "-root.key"; }

core::Result<CaMaterial> LoadOrCreateCa(const std::string& data_dir,
                                        const std::vector<std::string>& extra_tls_names,
                                        const core::Clock& clock, core::Random& random,
                                        const std::vector<std::string>& needs_ca,
                                        const CaShape& shape) {
  FLINT_ASSIGN_OR_RETURN(std::vector<core::Identifier> ids, TlsIdentifiers(extra_tls_names));
  if (shape.chain_length < 1 || shape.chain_length > CaShape::kMaxChainLength ||
      shape.alternate_roots < 0 || shape.alternate_roots > CaShape::kMaxAlternateRoots) {
    return core::Err(core::ErrorType::kMalformed,
                     "chain length must be 1-" + std::to_string(CaShape::kMaxChainLength) +
                         " and alternate roots 0-" + std::to_string(CaShape::kMaxAlternateRoots));
  }
  if (data_dir.empty()) return core::Err(core::ErrorType::kInternal, "CA directory is not set");
  struct stat st {};
  if (::stat(data_dir.c_str(), &st) != 0) {
    if (errno != ENOENT) {
      return core::Err(core::ErrorType::kInternal,
                       "CA directory " + data_dir + ": " + std::strerror(errno));
    }
    FLINT_TRY(MakeDataDir(data_dir));
    return CreateCa(data_dir, ids, shape, clock, random);
  }
  if (!S_ISDIR(st.st_mode)) {
    return core::Err(core::ErrorType::kInternal,
                     "CA directory " + data_dir + " is not a directory");
  }
  if (PathExists(data_dir + "/" + kCaMarkerFile)) return LoadCa(data_dir, ids, clock, random);

  std::string present;
  for (const char* name : kCaFiles) {
    if (PathExists(data_dir + "/" + name))
      present += (present.empty() ? "" : ", ") + std::string(name);
  }
  if (!present.empty()) {
    return Refuse(data_dir, present,
                  "exist(s) but ca.json does not (an interrupted CA creation, or a lost marker)");
  }
  for (const std::string& name : needs_ca) {
    if (PathExists(data_dir + "/" + name)) {
      return Refuse(data_dir, name, "exists but no CA file does (the CA was lost or moved)");
    }
  }
  return CreateCa(data_dir, ids, shape, clock, random);
}

std::unique_ptr<Issuer> NewIntermediateIssuer(const CaMaterial& material, core::Random& random) {
  return std::make_unique<Issuer>(
      std::make_shared<KeySigner>(material.intermediate_key), material.intermediate_cert,
      material.chains.empty() ? material.intermediate_pem : material.chains[0].chain_pem, random);
}

}  // namespace flint::ca
