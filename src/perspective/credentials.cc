#include "perspective/credentials.h"

#include <sys/stat.h>

#include <boost/json.hpp>
#include <cerrno>
#include <cstring>
#include <filesystem>

#include "ca/atomic_file.h"
#include "ca/openssl_util.h"
#include "ca/x509_ext.h"
#include "core/json.h"

namespace flint::perspective {

namespace {

using core::Err;
using core::ErrorType;
using core::Result;

constexpr auto kCaValidity = std::chrono::hours(24 * 3650);
constexpr auto kLeafValidity = std::chrono::hours(24 * 730);

Result<void> MakeDir(const std::string& dir) {
  std::error_code ec;
  std::filesystem::path parent = std::filesystem::path(dir).parent_path();
  if (!parent.empty()) std::filesystem::create_directories(parent, ec);
  if (ec) return Err(ErrorType::kInternal, "creating " + parent.string() + ": " + ec.message());
  if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) {
    return Err(ErrorType::kInternal, "creating " + dir + ": " + std::strerror(errno));
  }
  return core::Ok();
}

struct CertSpec {
  std::string name;
  EVP_PKEY* key = nullptr;     // subject key
  X509* issuer = nullptr;      // nullptr: self-signed
  EVP_PKEY* signer = nullptr;  // issuer's key
  bool is_ca = false;
  int eku = 0;  // NID_client_auth / NID_server_auth for a leaf
  core::TimePoint now;
  std::chrono::hours validity{0};
};

Result<ca::UniqueX509> BuildCert(const CertSpec& s, core::Random& random) {
  ca::UniqueX509 cert(X509_new());
  if (!cert || X509_set_version(cert.get(), X509_VERSION_3) != 1) {
    return ca::OpenSslError("X509_new");
  }
  std::string serial = random.Bytes(16);
  if (serial.size() != 16) return Err(ErrorType::kInternal, "short random read");
  serial[0] = static_cast<char>(serial[0] & 0x7f);
  serial[15] = static_cast<char>(serial[15] | 1);
  ca::UniqueBignum bn(
      BN_bin2bn(reinterpret_cast<const unsigned char*>(serial.data()), 16, nullptr));
  ca::UniqueX509Name subject(X509_NAME_new());
  if (!bn || BN_to_ASN1_INTEGER(bn.get(), X509_get_serialNumber(cert.get())) == nullptr ||
      !subject ||
      X509_NAME_add_entry_by_NID(subject.get(), NID_organizationName, MBSTRING_UTF8,
                                 reinterpret_cast<const unsigned char*>("flint perspectives"),
                                 -1, -1, 0) != 1 ||
      X509_NAME_add_entry_by_NID(subject.get(), NID_commonName, MBSTRING_UTF8,
                                 reinterpret_cast<const unsigned char*>(s.name.c_str()), -1, -1,
                                 0) != 1 ||
      X509_set_subject_name(cert.get(), subject.get()) != 1 ||
      X509_set_issuer_name(cert.get(), s.issuer ? X509_get_subject_name(s.issuer)
                                                : subject.get()) != 1 ||
      X509_set_pubkey(cert.get(), s.key) != 1) {
    return ca::OpenSslError("perspective certificate names");
  }
  FLINT_ASSIGN_OR_RETURN(ca::UniqueAsn1Time nb, ca::ToAsn1Time(s.now - std::chrono::minutes(5)));
  FLINT_ASSIGN_OR_RETURN(ca::UniqueAsn1Time na, ca::ToAsn1Time(s.now + s.validity));
  if (X509_set1_notBefore(cert.get(), nb.get()) != 1 ||
      X509_set1_notAfter(cert.get(), na.get()) != 1) {
    return ca::OpenSslError("perspective certificate validity");
  }
  if (s.is_ca) {
    FLINT_TRY(ca::AddBasicConstraints(cert.get(), true, 0));
    FLINT_TRY(ca::AddKeyUsage(cert.get(), KU_KEY_CERT_SIGN | KU_CRL_SIGN));
  } else {
    FLINT_TRY(ca::AddBasicConstraints(cert.get(), false));
    FLINT_TRY(ca::AddKeyUsage(cert.get(), KU_DIGITAL_SIGNATURE));
    FLINT_TRY(ca::AddExtendedKeyUsage(cert.get(), {s.eku}));
    ca::UniqueGeneralNames names(sk_GENERAL_NAME_new_null());
    GENERAL_NAME* dns = ca::NewDnsName(s.name);
    if (!names || dns == nullptr || sk_GENERAL_NAME_push(names.get(), dns) == 0) {
      if (dns != nullptr) GENERAL_NAME_free(dns);
      return ca::OpenSslError("perspective certificate SAN");
    }
    FLINT_TRY(ca::AddSubjectAltNames(cert.get(), names.get(), false));
  }
  FLINT_TRY(ca::AddSubjectKeyId(cert.get()));
  if (s.issuer != nullptr) FLINT_TRY(ca::AddAuthorityKeyId(cert.get(), s.issuer));
  if (X509_sign(cert.get(), s.signer, EVP_sha256()) <= 0) {
    return ca::OpenSslError("signing perspective certificate");
  }
  return cert;
}

// A fresh key and a certificate for it, written as `cert_file` (0644) and `key_file` (0600).
Result<void> WriteLeaf(const std::string& dir, const char* cert_file, const char* key_file,
                       CertSpec spec, core::Random& random) {
  FLINT_ASSIGN_OR_RETURN(ca::UniquePkey key, ca::GenerateEcKey("P-256"));
  spec.key = key.get();
  FLINT_ASSIGN_OR_RETURN(ca::UniqueX509 cert, BuildCert(spec, random));
  FLINT_ASSIGN_OR_RETURN(std::string cert_pem, ca::CertToPem(cert.get()));
  FLINT_ASSIGN_OR_RETURN(std::string key_pem, ca::PrivateKeyToPem(key.get()));
  Result<void> wrote = ca::WriteFileAtomic(dir, key_file, key_pem, 0600, random);
  ca::Cleanse(key_pem);
  FLINT_TRY(wrote);
  return ca::WriteFileAtomic(dir, cert_file, cert_pem, 0644, random);
}

struct PerspectiveCa {
  ca::UniqueX509 cert;
  ca::UniquePkey key;
  std::string cert_pem;
};

// Loads DATA/perspectives' CA, creating it (and the CA's client certificate) the first time.
Result<PerspectiveCa> LoadOrCreatePerspectiveCa(const std::string& data_dir,
                                                const core::Clock& clock, core::Random& random) {
  const std::string dir = data_dir + "/" + kPerspectiveDir;
  FLINT_TRY(MakeDir(data_dir));
  FLINT_TRY(MakeDir(dir));
  PerspectiveCa out;
  auto existing = ca::ReadSmallFile(dir + "/" + kCaCertFile);
  if (existing.ok()) {
    out.cert_pem = *existing;
    FLINT_ASSIGN_OR_RETURN(std::vector<ca::UniqueX509> certs,
                           ca::ParsePemCertificates(out.cert_pem));
    out.cert = std::move(certs.front());
    FLINT_ASSIGN_OR_RETURN(std::string key_pem, ca::ReadSmallFile(dir + "/" + kCaKeyFile));
    auto key = ca::ParsePemPrivateKey(key_pem);
    ca::Cleanse(key_pem);
    if (!key.ok()) return Err(ErrorType::kInternal, dir + "/" + kCaKeyFile + " is not a key");
    out.key = std::move(key).value();
    if (X509_check_private_key(out.cert.get(), out.key.get()) != 1) {
      ca::DrainOpenSslErrors("");
      return Err(ErrorType::kInternal, dir + "/" + kCaKeyFile + " does not match " + kCaCertFile);
    }
  } else if (existing.error().type == ErrorType::kNotFound) {
    FLINT_ASSIGN_OR_RETURN(out.key, ca::GenerateEcKey("P-256"));
    CertSpec spec{"flint perspective CA", out.key.get(), nullptr, out.key.get(), true, 0,
                  clock.Now(), std::chrono::duration_cast<std::chrono::hours>(kCaValidity)};
    FLINT_ASSIGN_OR_RETURN(out.cert, BuildCert(spec, random));
    FLINT_ASSIGN_OR_RETURN(out.cert_pem, ca::CertToPem(out.cert.get()));
    FLINT_ASSIGN_OR_RETURN(std::string key_pem, ca::PrivateKeyToPem(out.key.get()));
    Result<void> wrote = ca::WriteFileAtomic(dir, kCaKeyFile, key_pem, 0600, random);
    ca::Cleanse(key_pem);
    FLINT_TRY(wrote);
    FLINT_TRY(ca::WriteFileAtomic(dir, kCaCertFile, out.cert_pem, 0644, random));
  } else {
    return std::move(existing).error();
  }
  // The CA's client certificate: issued with the perspective CA, re-issued when missing or
  // within 30 days of expiry (the agents trust the CA, not this certificate).
  bool fresh = false;
  if (auto client = ca::ReadSmallFile(dir + "/" + kClientCertFile); client.ok()) {
    auto certs = ca::ParsePemCertificates(*client);
    if (certs.ok()) {
      auto not_after = ca::FromAsn1Time(X509_get0_notAfter(certs->front().get()));
      fresh = not_after.ok() && *not_after > clock.Now() + std::chrono::hours(24 * 30) &&
              std::filesystem::exists(dir + "/" + kClientKeyFile);
    }
  }
  if (!fresh) {
    CertSpec spec{kCaClientName, nullptr, out.cert.get(), out.key.get(), false, NID_client_auth,
                  clock.Now(), std::chrono::duration_cast<std::chrono::hours>(kLeafValidity)};
    FLINT_TRY(WriteLeaf(dir, kClientCertFile, kClientKeyFile, spec, random));
  }
  return out;
}

Result<TlsIdentity> LoadIdentity(const std::string& dir, const char* cert_file,
                                 const char* key_file, const char* trust_file) {
  TlsIdentity id;
  FLINT_ASSIGN_OR_RETURN(id.cert_pem, ca::ReadSmallFile(dir + "/" + cert_file));
  FLINT_ASSIGN_OR_RETURN(id.key_pem, ca::ReadSmallFile(dir + "/" + key_file));
  FLINT_ASSIGN_OR_RETURN(id.trust_pem, ca::ReadSmallFile(dir + "/" + trust_file));
  return id;
}

}  // namespace

bool ValidPerspectiveName(std::string_view name) {
  if (name.empty() || name.size() > 32 || name.front() == '-' || name.back() == '-') return false;
  if (name == "primary" || name == kCaClientName) return false;
  for (char c : name) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-')) return false;
  }
  return true;
}

Result<void> MintAgent(const std::string& data_dir, const std::string& name,
                       const std::string& agent_dir, const core::Clock& clock,
                       core::Random& random) {
  if (!ValidPerspectiveName(name)) {
    return Err(ErrorType::kMalformed,
               "perspective name \"" + name + "\" must be 1 to 32 of a-z, 0-9 and '-' (not at "
               "either end), and not \"primary\" or \"flint-ca\"");
  }
  FLINT_ASSIGN_OR_RETURN(PerspectiveCa pca, LoadOrCreatePerspectiveCa(data_dir, clock, random));
  FLINT_TRY(MakeDir(agent_dir));
  if (::chmod(agent_dir.c_str(), 0700) != 0) {
    return Err(ErrorType::kInternal, "chmod " + agent_dir + ": " + std::strerror(errno));
  }
  CertSpec spec{name, nullptr, pca.cert.get(), pca.key.get(), false, NID_server_auth,
                clock.Now(), std::chrono::duration_cast<std::chrono::hours>(kLeafValidity)};
  FLINT_TRY(WriteLeaf(agent_dir, kAgentCertFile, kAgentKeyFile, spec, random));
  FLINT_TRY(ca::WriteFileAtomic(agent_dir, kAgentTrustFile, pca.cert_pem, 0644, random));
  boost::json::object config;
  config["format"] = 1;
  config["name"] = name;
  return ca::WriteFileAtomic(agent_dir, kAgentConfigFile, boost::json::serialize(config) + "\n",
                             0644, random);
}

Result<TlsIdentity> LoadCaClientIdentity(const std::string& data_dir) {
  const std::string dir = data_dir + "/" + kPerspectiveDir;
  auto id = LoadIdentity(dir, kClientCertFile, kClientKeyFile, kCaCertFile);
  if (!id.ok() && id.error().type == ErrorType::kNotFound) {
    return Err(ErrorType::kNotFound,
               "no perspective credentials in " + dir +
                   " (create them with: flint admin --data " + data_dir +
                   " perspective add NAME --out AGENTDIR)");
  }
  if (id.ok()) id->name = kCaClientName;
  return id;
}

Result<TlsIdentity> LoadAgentIdentity(const std::string& agent_dir) {
  FLINT_ASSIGN_OR_RETURN(TlsIdentity id,
                         LoadIdentity(agent_dir, kAgentCertFile, kAgentKeyFile, kAgentTrustFile));
  FLINT_ASSIGN_OR_RETURN(std::string config,
                         ca::ReadSmallFile(agent_dir + "/" + kAgentConfigFile, 4096));
  auto doc = core::ParseStrictJson(config);
  const boost::json::value* name =
      doc.ok() && doc->is_object() ? doc->get_object().if_contains("name") : nullptr;
  if (name == nullptr || !name->is_string() ||
      !ValidPerspectiveName(std::string(name->get_string()))) {
    return Err(ErrorType::kInternal,
               agent_dir + "/" + kAgentConfigFile + " does not name a valid perspective");
  }
  id.name = std::string(name->get_string());
  return id;
}

}  // namespace flint::perspective
